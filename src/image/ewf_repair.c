#include "image/ewf_repair.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define DESC 76u                   /* section descriptor */
#define FILE_HEADER 13u            /* "EVF" signature, segment number */
#define MAX_SECTIONS 1000000u      /* a walk longer than this is not a real one */
#define SEARCH_MAX (64u << 20)     /* how far past a damaged descriptor table2 is looked for */
#define TABLE_MAX (64u << 20)      /* a table body larger than this is not believed */

uint32_t tm_ewf_adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n > 0) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

typedef struct {
    unsigned char raw[DESC];
    char type[17];
    uint64_t next, size;
    bool ok; /* its checksum holds */
} desc;

static bool read_desc(tm_ewf_read_fn rd, void *ctx, uint64_t off, desc *d)
{
    if (rd(ctx, off, d->raw, DESC) != (long)DESC)
        return false;
    memcpy(d->type, d->raw, 16);
    d->type[16] = '\0';
    d->next = le64(d->raw + 16);
    d->size = le64(d->raw + 24);
    d->ok = tm_ewf_adler32(d->raw, 72) == le32(d->raw + 72);
    return true;
}

static bool is_type(const desc *d, const char *t)
{
    size_t n = strlen(t);
    if (memcmp(d->raw, t, n) != 0)
        return false;
    for (size_t i = n; i < 16; i++)
        if (d->raw[i] != 0)
            return false;
    return true;
}

/* A table body (EnCase 6): a 24-byte header with its own checksum, the
 * entries, their checksum. */
static bool table_body_ok(const unsigned char *b, size_t len)
{
    if (len < 24 || tm_ewf_adler32(b, 20) != le32(b + 20))
        return false;
    uint64_t n = le32(b);
    if (n == 0 || 24 + 4 * n + 4 > len)
        return false;
    return tm_ewf_adler32(b + 24, (size_t)(4 * n)) == le32(b + 24 + 4 * n);
}

static unsigned char *read_body(tm_ewf_read_fn rd, void *ctx, uint64_t off, uint64_t size, uint64_t file)
{
    if (size < DESC || size - DESC > TABLE_MAX || off > file || size > file - off)
        return NULL;
    size_t len = (size_t)(size - DESC);
    unsigned char *b = tm_xmalloc(len ? len : 1);
    if (rd(ctx, off + DESC, b, len) != (long)len) {
        free(b);
        return NULL;
    }
    return b;
}

/* The table2 that mirrors a table at `off`: where its descriptor says, else
 * the first intact "table2" descriptor in the bytes after it. */
static bool find_table2(tm_ewf_read_fn rd, void *ctx, uint64_t off, const desc *t, uint64_t file, uint64_t *at,
                        desc *t2)
{
    if (t->next > off && t->next < file && read_desc(rd, ctx, t->next, t2) && t2->ok && is_type(t2, "table2")) {
        *at = t->next;
        return true;
    }
    enum { BLOCK = 1 << 16 };
    unsigned char *buf = tm_xmalloc(BLOCK + 16);
    bool found = false;
    uint64_t from = off + DESC, end = file - off > SEARCH_MAX ? off + SEARCH_MAX : file;
    for (uint64_t p = from; p < end && !found; p += BLOCK) {
        size_t want = BLOCK + 16;
        long got = rd(ctx, p, buf, want);
        if (got < 16)
            break;
        for (long i = 0; i + 16 <= got && i < BLOCK && !found; i++) {
            if (buf[i] != 't' || memcmp(buf + i, "table2\0\0\0\0\0\0\0\0\0\0", 16) != 0)
                continue;
            if (read_desc(rd, ctx, p + (uint64_t)i, t2) && t2->ok) {
                *at = p + (uint64_t)i;
                found = true;
            }
        }
    }
    free(buf);
    return found;
}

bool tm_ewf_table_repairs(tm_ewf_read_fn rd, void *ctx, uint64_t size, tm_ewf_patch *out, size_t max, size_t *npatch)
{
    *npatch = 0;
    unsigned char sig[8];
    if (size < FILE_HEADER + DESC || rd(ctx, 0, sig, 8) != 8 || memcmp(sig, "EVF\x09\x0d\x0a\xff\x00", 8) != 0)
        return false;
    uint64_t off = FILE_HEADER;
    for (unsigned k = 0; k < MAX_SECTIONS; k++) {
        desc d;
        if (off > size - DESC || !read_desc(rd, ctx, off, &d))
            return true; /* the end (a cut file is libewf's to say) */
        if (is_type(&d, "table")) {
            desc t2;
            uint64_t t2_at;
            unsigned char *body = d.ok ? read_body(rd, ctx, off, d.size, size) : NULL;
            bool ok = body && table_body_ok(body, (size_t)(d.size - DESC));
            free(body);
            if (ok) {
                if (d.next <= off)
                    return true;
                off = d.next;
                continue;
            }
            /* damaged: its mirror, of the same size, right after it */
            if (!find_table2(rd, ctx, off, &d, size, &t2_at, &t2))
                return false;
            unsigned char *b2 = read_body(rd, ctx, t2_at, t2.size, size);
            if (!b2 || !table_body_ok(b2, (size_t)(t2.size - DESC)) || t2_at - off != t2.size) {
                free(b2);
                return false;
            }
            if (*npatch == max) {
                free(b2);
                return false;
            }
            tm_ewf_patch *p = &out[(*npatch)++];
            p->offset = off;
            p->len = (size_t)t2.size;
            p->bytes = tm_xmalloc(p->len);
            memcpy(p->bytes, t2.raw, DESC);
            memset(p->bytes, 0, 16);
            memcpy(p->bytes, "table", 5);
            put64(p->bytes + 16, t2_at);
            put64(p->bytes + 24, t2.size);
            put32(p->bytes + 72, tm_ewf_adler32(p->bytes, 72));
            memcpy(p->bytes + DESC, b2, p->len - DESC);
            free(b2);
            snprintf(p->why, sizeof p->why, "the table section at offset %" PRIu64 " (its %s)", off,
                     d.ok ? "entries or their header" : "descriptor");
            off = t2_at;
            continue;
        }
        if (!d.ok)
            return true; /* another section damaged: not ours to mend */
        if (is_type(&d, "done") || is_type(&d, "next") || d.next <= off)
            return true;
        off = d.next;
    }
    return true;
}

void tm_ewf_patches_free(tm_ewf_patch *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].bytes);
        p[i].bytes = NULL;
    }
}
