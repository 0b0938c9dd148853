/*
 * startup.c - reset handler and vector table for the Cortex-M4 on QEMU's mps2-an386.
 *
 * Copies .data from flash, zeroes .bss, paints the stack for the high-water mark, enables the
 * FPU only when the build uses the hard-float ABI (the kwsc numerics use none), runs main()
 * and hands its return value to the host as the exit code through semihosting.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_bottom, _stack_top;

int main(void);

/* Every word of the stack region starts with this pattern; see fw_stack_high_water(). */
#define STACK_PAINT 0xC0FFEE11u

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    semihost_exit(3); /* a fault: report it instead of hanging until the host's timeout */
}

__attribute__((section(".isr_vector"), used)) static void (*const vector_table[16])(void) = {
    (void (*)(void))(&_stack_top), /* initial stack pointer */
    Reset_Handler,
    Default_Handler, /* NMI */
    Default_Handler, /* HardFault */
    Default_Handler, /* MemManage */
    Default_Handler, /* BusFault */
    Default_Handler, /* UsageFault */
    0, 0, 0, 0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};

uint32_t fw_stack_high_water(void)
{
    const uint32_t *p = &_stack_bottom;
    while (p < &_stack_top && *p == STACK_PAINT) {
        p++;
    }
    return (uint32_t)((uintptr_t)&_stack_top - (uintptr_t)p);
}

uint32_t fw_stack_depth(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return (uint32_t)((uintptr_t)&_stack_top - sp);
}

__attribute__((noreturn)) void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst;
    volatile uint32_t *sp_now;
    int code;

    for (dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    /* Paint the stack below the current frame (the reset handler's own few words stay live). */
    __asm__ volatile("mov %0, sp" : "=r"(sp_now));
    for (dst = &_stack_bottom; dst < (uint32_t *)sp_now - 16; dst++) {
        *dst = STACK_PAINT;
    }
#if defined(__ARM_FP)
    /* Hard-float build: grant access to CP10/CP11 so compiler-generated FPU code cannot fault. */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n isb");
#endif
    code = main();
    semihost_exit(code);
}
