/* semihost.c - see semihost.h. */
#include "semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT_EXTENDED = 0x20,
};

static int console = -1;

static long semihost_call(long op, void *args)
{
    register long r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int semihost_open(const char *path, const char *mode)
{
    /* fopen-style modes map to semihosting mode numbers: r=0, rb=1, w=4, wb=5. */
    long mode_number = (mode[0] == 'w' ? 4 : 0) + (strchr(mode, 'b') != NULL ? 1 : 0);
    long args[3] = {(long)(uintptr_t)path, mode_number, (long)strlen(path)};
    return (int)semihost_call(SYS_OPEN, args);
}

long semihost_read(int handle, void *buf, size_t len)
{
    long args[3] = {handle, (long)(uintptr_t)buf, (long)len};
    long not_read = semihost_call(SYS_READ, args);
    return not_read < 0 ? -1 : (long)len - not_read;
}

int semihost_write(int handle, const void *buf, size_t len)
{
    long args[3] = {handle, (long)(uintptr_t)buf, (long)len};
    return semihost_call(SYS_WRITE, args) == 0 ? 0 : -1;
}

int semihost_close(int handle)
{
    long args[1] = {handle};
    return (int)semihost_call(SYS_CLOSE, args);
}

long semihost_file_length(int handle)
{
    long args[1] = {handle};
    return semihost_call(SYS_FLEN, args);
}

int semihost_cmdline(char *buf, size_t len)
{
    long args[2] = {(long)(uintptr_t)buf, (long)len};
    return semihost_call(SYS_GET_CMDLINE, args) == 0 ? 0 : -1;
}

void semihost_puts(const char *text)
{
    if (console < 0) {
        console = semihost_open(":tt", "w"); /* the console is the special file ":tt" */
    }
    if (console >= 0) {
        semihost_write(console, text, strlen(text));
    }
}

void semihost_exit(int code)
{
    long args[2] = {0x20026, code}; /* ADP_Stopped_ApplicationExit, exit code */
    for (;;) {
        semihost_call(SYS_EXIT_EXTENDED, args);
    }
}
