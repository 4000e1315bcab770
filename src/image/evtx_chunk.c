/* EVTX chunks outside any file (evtx_chunk.h). Layout of a chunk header:
 * "ElfChnk\0", first/last record number (8, 16), first/last record
 * identifier (24, 32), header size (40), last record offset (44),
 * free-space offset (48), records CRC32 (52: bytes 512 to the free-space
 * offset), header CRC32 (124: bytes 0-120 and 128-512). */
#include "image/evtx_chunk.h"

#include <string.h>

#include "util/crc32.h"

#define HDR 512u
#define REC_MIN 28u /* signature, size, id, time, size copy */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)v);
    wr16(p + 2, (uint16_t)(v >> 16));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

tm_chunk_verdict tm_evtx_chunk_check(const uint8_t *c, size_t n)
{
    if (n < 8 || memcmp(c, "ElfChnk\0", 8) != 0)
        return TM_CHUNK_NONE;
    if (n < HDR)
        return TM_CHUNK_BAD_HEADER;
    uint32_t h = tm_crc32(0, c, 120);
    h = tm_crc32(h, c + 128, HDR - 128);
    uint32_t free_off = rd32(c + 48), last_rec = rd32(c + 44);
    uint64_t first_id = rd64(c + 24), last_id = rd64(c + 32);
    /* a header whose CRC holds by chance still has to make sense */
    if (h != rd32(c + 124) || free_off < HDR || free_off > TM_CHUNK_SIZE || last_id < first_id ||
        last_id - first_id >= TM_CHUNK_SIZE / REC_MIN)
        return TM_CHUNK_BAD_HEADER;
    if (free_off == HDR)
        return TM_CHUNK_EMPTY;
    if (last_rec < HDR || last_rec >= free_off)
        return TM_CHUNK_BAD_HEADER;
    if (free_off <= n && tm_crc32(0, c + HDR, free_off - HDR) == rd32(c + 52))
        return TM_CHUNK_OK;
    /* salvage only what has a complete first record to read */
    uint32_t size = n >= HDR + 8 ? rd32(c + HDR + 4) : 0;
    if (n < HDR + REC_MIN || memcmp(c + HDR, "\x2a\x2a\x00\x00", 4) != 0 || size < REC_MIN || size > n - HDR ||
        size > free_off - HDR || rd32(c + HDR + size - 4) != size)
        return TM_CHUNK_BAD_HEADER;
    return TM_CHUNK_SALVAGE;
}

tm_chunk_key tm_evtx_chunk_key(const uint8_t *c)
{
    return (tm_chunk_key){rd32(c + 124), rd32(c + 52), rd64(c + 24), rd64(c + 32)};
}

void tm_evtx_chunk_file_header(const uint8_t *chunk, uint8_t out[TM_CHUNK_FILE_HEADER])
{
    memset(out, 0, TM_CHUNK_FILE_HEADER);
    memcpy(out, "ElfFile\0", 8);
    /* first and last chunk number 0: one chunk */
    wr64(out + 24, rd64(chunk + 32) + 1); /* next record identifier */
    wr32(out + 32, 128);                  /* header size */
    wr16(out + 36, 1);                    /* minor version */
    wr16(out + 38, 3);                    /* major version */
    wr16(out + 40, TM_CHUNK_FILE_HEADER); /* header block size */
    wr16(out + 42, 1);                    /* chunks */
    wr32(out + 124, tm_crc32(0, out, 120));
}

size_t tm_evtx_chunk_scan(const uint8_t *buf, size_t n, size_t limit,
                          void (*cb)(void *ctx, size_t at, const uint8_t *c, size_t avail), void *ctx)
{
    size_t found = 0;
    if (limit > n)
        limit = n;
    for (size_t at = 0; at < limit && n - at >= 8; at += TM_CHUNK_STEP) {
        /* the first byte alone rules out nearly every sector */
        if (buf[at] != 'E' || memcmp(buf + at, "ElfChnk\0", 8) != 0)
            continue;
        found++;
        size_t avail = n - at < TM_CHUNK_SIZE ? n - at : TM_CHUNK_SIZE;
        cb(ctx, at, buf + at, avail);
    }
    return found;
}
