/* libFuzzer target: the EVTX chunk carver's hand-written part
 * (image/evtx_chunk.c): the scan at 512-byte steps, the checks, the key
 * and the one-chunk file header, on a buffer of exactly the input's size
 * (ASan sees any overread). The first byte's low bit makes the target seal
 * each candidate's CRC32s first, so that the salvage paths past the header
 * check are reached as well. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/evtx_chunk.h"
#include "util/crc32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void seal(uint8_t *c, size_t avail)
{
    if (avail < 512)
        return;
    uint32_t free_off = (uint32_t)c[48] | (uint32_t)c[49] << 8 | (uint32_t)c[50] << 16 | (uint32_t)c[51] << 24;
    if (free_off >= 512 && free_off <= avail)
        wr32(c + 52, tm_crc32(0, c + 512, free_off - 512));
    uint32_t h = tm_crc32(0, c, 120);
    wr32(c + 124, tm_crc32(h, c + 128, 512 - 128));
}

typedef struct {
    bool seal;
    uint64_t sum;
} fuzz_ctx;

static void on_hit(void *vc, size_t at, const uint8_t *c, size_t avail)
{
    fuzz_ctx *x = vc;
    (void)at;
    uint8_t *copy = malloc(avail); /* exact size */
    memcpy(copy, c, avail);
    if (x->seal)
        seal(copy, avail);
    tm_chunk_verdict v = tm_evtx_chunk_check(copy, avail);
    if (v == TM_CHUNK_OK || v == TM_CHUNK_SALVAGE) {
        tm_chunk_key k = tm_evtx_chunk_key(copy);
        uint8_t hdr[TM_CHUNK_FILE_HEADER];
        tm_evtx_chunk_file_header(copy, hdr);
        x->sum += k.first_id + hdr[24];
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_ctx x = {.seal = data[0] & 1};
    size_t n = size - 1;
    uint8_t *buf = malloc(n ? n : 1);
    memcpy(buf, data + 1, n);
    tm_evtx_chunk_scan(buf, n, n, on_hit, &x);
    free(buf);
    return 0;
}
