/* Growable byte buffer used by every writer (JSON, CSV, IPC messages). */
#ifndef TM_BUF_H
#define TM_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    /* Where the bytes go once a megabyte has gathered (tm_buf_sink): an
     * output of any size then costs a megabyte of memory. NULL: kept. */
    int (*sink)(void *ctx, const void *p, size_t n);
    void *sink_ctx;
    bool sink_failed;
} tm_buf;

void tm_buf_init(tm_buf *b);
/* From now on, b hands what it holds to sink (returning 0, or -1 on a
 * failure, remembered in sink_failed) whenever a megabyte has gathered;
 * only for writers that append and never look back at what they wrote. */
void tm_buf_sink(tm_buf *b, int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
/* Hands what is left to the sink; false when any hand-over failed. */
bool tm_buf_flush(tm_buf *b);
void tm_buf_free(tm_buf *b);
void tm_buf_reset(tm_buf *b);
void tm_buf_reserve(tm_buf *b, size_t extra);
void tm_buf_put(tm_buf *b, const void *p, size_t n);
void tm_buf_putc(tm_buf *b, char c);
void tm_buf_puts(tm_buf *b, const char *s);
void tm_buf_printf(tm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tm_buf_vprintf(tm_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* NUL-terminates without counting the terminator in len. */
const char *tm_buf_cstr(tm_buf *b);

void tm_buf_put_u8(tm_buf *b, uint8_t v);
void tm_buf_put_u16(tm_buf *b, uint16_t v);
void tm_buf_put_u32(tm_buf *b, uint32_t v);
void tm_buf_put_u64(tm_buf *b, uint64_t v);

/* Little-endian readers with bounds checks over a byte span. */
typedef struct {
    const uint8_t *p;
    size_t n;
    bool bad;
} tm_span;

uint8_t tm_span_u8(tm_span *s);
uint16_t tm_span_u16(tm_span *s);
uint32_t tm_span_u32(tm_span *s);
uint64_t tm_span_u64(tm_span *s);
const uint8_t *tm_span_bytes(tm_span *s, size_t n);

/* Exhaustion exits with status instead of aborting (a parser worker says it
 * ran out of its memory budget this way). */
void tm_set_oom_exit(int status);

/* Allocation helpers that abort on exhaustion: a forensic run that cannot
 * allocate a few bytes cannot report anything useful either. */
void *tm_xmalloc(size_t n);
void *tm_xcalloc(size_t n, size_t m);
void *tm_xrealloc(void *p, size_t n);
char *tm_xstrdup(const char *s);
char *tm_xstrndup(const char *s, size_t n);
/* qsort, but an empty array may be NULL (qsort(NULL, 0, ...) is undefined). */
static inline void tm_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}
char *tm_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Makes room for element n of the array p (which holds n), doubling: the
 * capacity is implied by n (8, 16, 32 ...), so no capacity field is kept. */
#define TM_GROW(p, n)                                                                                                  \
    do {                                                                                                               \
        if ((n) == 0 || ((n) >= 8 && ((n) & ((n) - 1)) == 0))                                                          \
            (p) = tm_xrealloc((p), ((n) < 8 ? 8 : 2 * (n)) * sizeof *(p));                                             \
    } while (0)

#endif
