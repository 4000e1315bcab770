/* libFuzzer target: the E01 table repair (image/ewf_repair.c), hand-written:
 * the walk of a segment file's sections and the search for the table2 that
 * mirrors a damaged table. The input is the segment file. Every patch must
 * lie in the file and carry a table descriptor whose checksum holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/ewf_repair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n;
} mem;

static long mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const mem *m = ctx;
    if (off >= m->n)
        return 0;
    if (len > m->n - off)
        len = (size_t)(m->n - off);
    memcpy(buf, m->p + off, len);
    return (long)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan sees any overread */
    memcpy(copy, data, size);
    mem m = {copy, size};
    tm_ewf_patch p[8];
    size_t n = 0;
    tm_ewf_table_repairs(mem_read, &m, size, p, 8, &n);
    for (size_t i = 0; i < n; i++) {
        if (p[i].offset > size || p[i].len > size - p[i].offset || p[i].len < 76)
            abort();
        uint32_t sum = (uint32_t)p[i].bytes[72] | (uint32_t)p[i].bytes[73] << 8 | (uint32_t)p[i].bytes[74] << 16 |
                       (uint32_t)p[i].bytes[75] << 24;
        if (memcmp(p[i].bytes, "table\0", 6) != 0 || tm_ewf_adler32(p[i].bytes, 72) != sum)
            abort();
    }
    tm_ewf_patches_free(p, n);
    free(copy);
    return 0;
}
