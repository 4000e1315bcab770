#include "readers/bfio_bridge.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    tm_source *src;
    uint64_t pos;
    int open;
} bridge;

static int b_free(intptr_t **io, libbfio_error_t **error)
{
    (void)error;
    free(*io);
    *io = NULL;
    return 1;
}

static int b_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **error)
{
    (void)error;
    if (!src) {
        *dst = NULL;
        return 1;
    }
    bridge *c = tm_xmalloc(sizeof *c);
    memcpy(c, src, sizeof *c);
    *dst = (intptr_t *)c;
    return 1;
}

static int b_open(intptr_t *io, int flags, libbfio_error_t **error)
{
    (void)flags;
    (void)error;
    ((bridge *)io)->open = 1;
    return 1;
}

static int b_close(intptr_t *io, libbfio_error_t **error)
{
    (void)error;
    ((bridge *)io)->open = 0;
    return 0;
}

static ssize_t b_read(intptr_t *io, uint8_t *buf, size_t size, libbfio_error_t **error)
{
    (void)error;
    bridge *b = (bridge *)io;
    ssize_t n = tm_source_pread(b->src, b->pos, buf, size);
    if (n < 0)
        return -1;
    b->pos += (uint64_t)n;
    return n;
}

static ssize_t b_write(intptr_t *io, const uint8_t *buf, size_t size, libbfio_error_t **error)
{
    /* Evidence is read-only. */
    (void)io;
    (void)buf;
    (void)size;
    (void)error;
    return -1;
}

static off64_t b_seek(intptr_t *io, off64_t off, int whence, libbfio_error_t **error)
{
    (void)error;
    bridge *b = (bridge *)io;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)b->pos : (int64_t)b->src->size;
    int64_t np = base + (int64_t)off;
    if (np < 0)
        return -1;
    b->pos = (uint64_t)np;
    return (off64_t)np;
}

static int b_exists(intptr_t *io, libbfio_error_t **error)
{
    (void)io;
    (void)error;
    return 1;
}

static int b_is_open(intptr_t *io, libbfio_error_t **error)
{
    (void)error;
    return ((bridge *)io)->open;
}

static int b_get_size(intptr_t *io, size64_t *size, libbfio_error_t **error)
{
    (void)error;
    *size = ((bridge *)io)->src->size;
    return 1;
}

libbfio_handle_t *tm_bfio_from_source(tm_source *src)
{
    bridge *b = tm_xcalloc(1, sizeof *b);
    b->src = src;
    libbfio_handle_t *h = NULL;
    libbfio_error_t *err = NULL;
    if (libbfio_handle_initialize(&h, (intptr_t *)b, b_free, b_clone, b_open, b_close, b_read, b_write, b_seek,
                                  b_exists, b_is_open, b_get_size, LIBBFIO_FLAG_IO_HANDLE_MANAGED, &err) != 1) {
        libbfio_error_free(&err);
        free(b);
        return NULL;
    }
    return h;
}

void tm_bfio_free(libbfio_handle_t **h)
{
    libbfio_error_t *err = NULL;
    if (*h && libbfio_handle_free(h, &err) != 1)
        libbfio_error_free(&err);
}
