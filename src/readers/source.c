/* Byte sources shared by all readers (the record sink is worker/emit.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readers/reader.h"

ssize_t tm_source_pread(tm_source *s, uint64_t off, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        if (off + done >= s->size)
            break;
        size_t want = len - done;
        if (want > s->size - (off + done))
            want = (size_t)(s->size - (off + done));
        ssize_t n = s->read(s, off + done, (char *)buf + done, want);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

void tm_source_close(tm_source *s)
{
    if (s)
        s->close(s);
}

typedef struct {
    tm_source base;
    int fd;
} fd_source;

static ssize_t fd_read(tm_source *s, uint64_t off, void *buf, size_t len)
{
    fd_source *f = (fd_source *)s;
    for (;;) {
        ssize_t n = pread(f->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            snprintf(s->err, sizeof s->err, "read failed: %s", strerror(errno));
        return n;
    }
}

static void fd_close(tm_source *s)
{
    close(((fd_source *)s)->fd);
    free(s);
}

tm_source *tm_source_fd(int fd, uint64_t size)
{
    fd_source *f = tm_xcalloc(1, sizeof *f);
    f->fd = fd;
    f->base.read = fd_read;
    f->base.close = fd_close;
    f->base.size = size;
    return &f->base;
}

typedef struct {
    tm_source base;
    const uint8_t *p;
} mem_source;

static ssize_t mem_read(tm_source *s, uint64_t off, void *buf, size_t len)
{
    mem_source *m = (mem_source *)s;
    if (off >= s->size)
        return 0;
    if (len > s->size - off)
        len = (size_t)(s->size - off);
    memcpy(buf, m->p + off, len);
    return (ssize_t)len;
}

static void mem_close(tm_source *s)
{
    free(s);
}

tm_source *tm_source_mem(const void *p, size_t n)
{
    mem_source *m = tm_xcalloc(1, sizeof *m);
    m->p = p;
    m->base.read = mem_read;
    m->base.close = mem_close;
    m->base.size = n;
    return &m->base;
}
