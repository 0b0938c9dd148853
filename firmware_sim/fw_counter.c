/*
 * fw_counter.c - instruction counting with SysTick under QEMU's `-icount shift=0`.
 *
 * QEMU has no timing model. With -icount shift=0 the virtual clock advances 1 ns per executed
 * instruction, and mps2-an386's SysTick runs from the 25 MHz system clock, so it ticks once
 * every 40 instructions, deterministically. A single reading is coarse (+-40 instructions);
 * callers sum over many frames.
 */
#include "fw.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_MASK 0x00FFFFFFu

static uint32_t start_value;

void fw_counter_start(void)
{
    if ((SYST_CSR & 1u) == 0u) {
        SYST_RVR = SYST_MASK;
        SYST_CVR = 0u;
        SYST_CSR = 5u; /* enable, processor clock, no interrupt */
    }
    start_value = SYST_CVR;
}

uint32_t fw_counter_ticks(void)
{
    /* SysTick counts down and wraps at 2^24 ticks (671 million instructions). */
    return (start_value - SYST_CVR) & SYST_MASK;
}
