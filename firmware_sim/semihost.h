/*
 * semihost.h - ARM semihosting calls used by the firmware: host file I/O, command line, exit.
 *
 * Semihosting traps into the debugger (here QEMU with -semihosting-config enable=on) with
 * `bkpt 0xAB`; r0 holds the operation and r1 a pointer to its argument block.
 */
#ifndef KWSC_FW_SEMIHOST_H
#define KWSC_FW_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* Open a host file; mode as in fopen ("rb", "wb"). Returns a handle >= 0, or -1. */
int semihost_open(const char *path, const char *mode);
/* Read up to len bytes; returns the number read (0 at end of file), or -1. */
long semihost_read(int handle, void *buf, size_t len);
/* Write len bytes; returns 0 on success, -1 otherwise. */
int semihost_write(int handle, const void *buf, size_t len);
int semihost_close(int handle);
/* Length of an open file in bytes, or -1. */
long semihost_file_length(int handle);
/* The command line passed by the host (QEMU -semihosting-config arg=...); 0 on success. */
int semihost_cmdline(char *buf, size_t len);
/* Write a NUL-terminated string to the host console. */
void semihost_puts(const char *text);
/* End the simulation with this exit code (SYS_EXIT_EXTENDED). */
__attribute__((noreturn)) void semihost_exit(int code);

#endif /* KWSC_FW_SEMIHOST_H */
