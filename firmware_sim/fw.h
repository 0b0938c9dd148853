/*
 * fw.h - the firmware harness: components, job files and output writing.
 *
 * The host runs `qemu-system-arm ... -semihosting-config arg=COMPONENT,arg=JOB,arg=OUT`; main()
 * reads the job file JOB, hands it to the named component, and the component writes its
 * results to OUT. A component is one function in one fw_<name>.c file, listed in main.c's
 * table: adding the validator, model runtime or detector later is one file and one line.
 */
#ifndef KWSC_FW_H
#define KWSC_FW_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes the host understands (python/kwsc/firmware.py). */
enum {
    FW_OK = 0,
    FW_ERR_USAGE = 10,   /* bad command line or unknown component */
    FW_ERR_IO = 11,      /* a host file could not be read or written */
    FW_ERR_JOB = 12,     /* the job file is malformed */
    FW_ERR_KWSC = 13     /* a kwsc C function returned an error status */
};

/* Reads a job's fields in order; any read past the end sets `failed`. */
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int failed;
} fw_reader;

uint32_t fw_read_u32(fw_reader *r);
int32_t fw_read_i32(fw_reader *r);
/* Pointer to the next n bytes (aligned to 4 in the job layout), or NULL. */
const void *fw_read_bytes(fw_reader *r, size_t n);

/* Output file handle and helpers; a failed write makes every later write a no-op. */
typedef struct {
    int handle;
    int failed;
} fw_writer;

void fw_write(fw_writer *w, const void *data, size_t n);
void fw_write_u32(fw_writer *w, uint32_t v);

/* Instruction counter: SysTick under `-icount shift=0` (see fw_cost.c). */
void fw_counter_start(void);
uint32_t fw_counter_ticks(void); /* ticks since start; one tick = FW_INSTRUCTIONS_PER_TICK */
#define FW_INSTRUCTIONS_PER_TICK 40u

/* Stack high-water mark in bytes since reset (startup.c paints the stack). */
uint32_t fw_stack_high_water(void);
/* Bytes of stack in use at the caller's frame. */
uint32_t fw_stack_depth(void);

/* A component: parse the job, run, write results; returns an FW_* code. */
typedef int (*fw_component_fn)(fw_reader *job, fw_writer *out);

int fw_frontend_run(fw_reader *job, fw_writer *out);
int fw_frontend_cost(fw_reader *job, fw_writer *out);
int fw_validate_run(fw_reader *job, fw_writer *out);
int fw_dtw_run(fw_reader *job, fw_writer *out);
int fw_nn_run(fw_reader *job, fw_writer *out);
int fw_detect_run(fw_reader *job, fw_writer *out);

#endif /* KWSC_FW_H */
