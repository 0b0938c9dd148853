/* main.c - firmware entry: dispatch a job file to a component; see fw.h. */
#include <string.h>

#include "fw.h"
#include "semihost.h"

typedef struct {
    const char *name;
    fw_component_fn run;
} fw_component;

/* The components this firmware carries. */
static const fw_component components[] = {
    {"frontend", fw_frontend_run},
    {"frontend-cost", fw_frontend_cost},
    {"validate", fw_validate_run},
    {"dtw", fw_dtw_run},
    {"nn", fw_nn_run},
    {"detect", fw_detect_run},
};

/* The job file lives here; large enough for minutes of 16 kHz audio. */
#define JOB_CAPACITY (2u * 1024u * 1024u)
static uint32_t job_buffer[JOB_CAPACITY / 4u];

uint32_t fw_read_u32(fw_reader *r)
{
    const uint8_t *p = fw_read_bytes(r, 4u);
    return p == NULL ? 0u
                     : (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                           ((uint32_t)p[3] << 24);
}

int32_t fw_read_i32(fw_reader *r)
{
    return (int32_t)fw_read_u32(r);
}

const void *fw_read_bytes(fw_reader *r, size_t n)
{
    size_t padded = (n + 3u) & ~(size_t)3u;
    const void *p;
    if (r->failed || padded > r->size - r->pos) {
        r->failed = 1;
        return NULL;
    }
    p = r->data + r->pos;
    r->pos += padded;
    return p;
}

void fw_write(fw_writer *w, const void *data, size_t n)
{
    if (!w->failed && n > 0u && semihost_write(w->handle, data, n) != 0) {
        w->failed = 1;
    }
}

void fw_write_u32(fw_writer *w, uint32_t v)
{
    fw_write(w, &v, 4u); /* little-endian target */
}

/* Split the semihosting command line "COMPONENT JOB OUT" in place. */
static int split_args(char *line, char **args, int max_args)
{
    int count = 0;
    char *p = line;
    while (*p != '\0' && count < max_args) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        args[count++] = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
    }
    return count;
}

int main(void)
{
    static char line[512];
    char *args[3];
    fw_reader job = {0};
    fw_writer out = {0};
    long length;
    int handle;
    int status = FW_ERR_USAGE;
    size_t i;

    if (semihost_cmdline(line, sizeof line) != 0 || split_args(line, args, 3) != 3) {
        semihost_puts("usage: COMPONENT JOB_FILE OUT_FILE\n");
        return FW_ERR_USAGE;
    }
    handle = semihost_open(args[1], "rb");
    if (handle < 0) {
        return FW_ERR_IO;
    }
    length = semihost_file_length(handle);
    if (length < 0 || (size_t)length > JOB_CAPACITY ||
        semihost_read(handle, job_buffer, (size_t)length) != length) {
        semihost_close(handle);
        return FW_ERR_IO;
    }
    semihost_close(handle);
    job.data = (const uint8_t *)job_buffer;
    job.size = (size_t)length;

    out.handle = semihost_open(args[2], "wb");
    if (out.handle < 0) {
        return FW_ERR_IO;
    }
    for (i = 0; i < sizeof components / sizeof components[0]; i++) {
        if (strcmp(args[0], components[i].name) == 0) {
            status = components[i].run(&job, &out);
            break;
        }
    }
    if (i == sizeof components / sizeof components[0]) {
        semihost_puts("unknown component\n");
    }
    semihost_close(out.handle);
    if (status == FW_OK && out.failed) {
        status = FW_ERR_IO;
    }
    return status;
}
