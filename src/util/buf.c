#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int oom_exit = -1; /* tm_set_oom_exit */

void tm_set_oom_exit(int status)
{
    oom_exit = status;
}

static void oom(void)
{
    fputs("toolmark: out of memory\n", stderr);
    if (oom_exit >= 0)
        _exit(oom_exit);
    abort();
}

void *tm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *tm_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        oom();
    return p;
}

void *tm_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *tm_xstrdup(const char *s)
{
    return tm_xstrndup(s, strlen(s));
}

char *tm_xstrndup(const char *s, size_t n)
{
    char *p = tm_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tm_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    char *p = tm_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void tm_buf_init(tm_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->sink = NULL;
    b->sink_ctx = NULL;
    b->sink_failed = false;
}

void tm_buf_sink(tm_buf *b, int (*sink)(void *ctx, const void *p, size_t n), void *ctx)
{
    b->sink = sink;
    b->sink_ctx = ctx;
}

bool tm_buf_flush(tm_buf *b)
{
    if (b->sink && b->len) {
        if (b->sink(b->sink_ctx, b->data, b->len) != 0)
            b->sink_failed = true;
        b->len = 0;
    }
    return !b->sink_failed;
}

#define SINK_CHUNK (1u << 20)

void tm_buf_free(tm_buf *b)
{
    free(b->data);
    tm_buf_init(b);
}

void tm_buf_reset(tm_buf *b)
{
    b->len = 0;
}

void tm_buf_reserve(tm_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        oom();
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    if (b->sink && b->len >= SINK_CHUNK) {
        tm_buf_flush(b); /* the sink takes it instead of the buffer growing */
        need = extra + 1;
        if (need <= b->cap)
            return;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = tm_xrealloc(b->data, cap);
    b->cap = cap;
}

void tm_buf_put(tm_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    tm_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void tm_buf_putc(tm_buf *b, char c)
{
    tm_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void tm_buf_puts(tm_buf *b, const char *s)
{
    tm_buf_put(b, s, strlen(s));
}

void tm_buf_vprintf(tm_buf *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return;
    tm_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tm_buf_printf(tm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tm_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *tm_buf_cstr(tm_buf *b)
{
    tm_buf_reserve(b, 0);
    b->data[b->len] = '\0';
    return b->data;
}

void tm_buf_put_u8(tm_buf *b, uint8_t v)
{
    tm_buf_put(b, &v, 1);
}

void tm_buf_put_u16(tm_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    tm_buf_put(b, x, 2);
}

void tm_buf_put_u32(tm_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    tm_buf_put(b, x, 4);
}

void tm_buf_put_u64(tm_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    tm_buf_put(b, x, 8);
}

uint8_t tm_span_u8(tm_span *s)
{
    if (s->bad || s->n < 1) {
        s->bad = true;
        return 0;
    }
    uint8_t v = s->p[0];
    s->p++;
    s->n--;
    return v;
}

uint16_t tm_span_u16(tm_span *s)
{
    if (s->bad || s->n < 2) {
        s->bad = true;
        return 0;
    }
    uint16_t v = (uint16_t)(s->p[0] | s->p[1] << 8);
    s->p += 2;
    s->n -= 2;
    return v;
}

uint32_t tm_span_u32(tm_span *s)
{
    if (s->bad || s->n < 4) {
        s->bad = true;
        return 0;
    }
    uint32_t v = (uint32_t)s->p[0] | (uint32_t)s->p[1] << 8 | (uint32_t)s->p[2] << 16 | (uint32_t)s->p[3] << 24;
    s->p += 4;
    s->n -= 4;
    return v;
}

uint64_t tm_span_u64(tm_span *s)
{
    uint64_t lo = tm_span_u32(s);
    uint64_t hi = tm_span_u32(s);
    return lo | hi << 32;
}

const uint8_t *tm_span_bytes(tm_span *s, size_t n)
{
    if (s->bad || s->n < n) {
        s->bad = true;
        return NULL;
    }
    const uint8_t *p = s->p;
    s->p += n;
    s->n -= n;
    return p;
}
