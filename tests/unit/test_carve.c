/* Unit tests of the EVTX chunk checks used by carving (image/evtx_chunk.c):
 * both CRC32s, what a valid header must also say, salvage of a chunk cut
 * short, the one-chunk file header, the 512-byte-step scan. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "image/evtx_chunk.h"
#include "util/crc32.h"

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Both checksums of a chunk image, as Windows writes them. */
static void seal(uint8_t *c)
{
    uint32_t free_off = rd32(c + 48);
    wr32(c + 52, tm_crc32(0, c + 512, free_off - 512));
    uint32_t h = tm_crc32(0, c, 120);
    wr32(c + 124, tm_crc32(h, c + 128, 512 - 128));
}

/* A chunk of three 200-byte records, ids 70-72 (their bodies are filler:
 * the checks look at the framing, not at binary XML). */
static uint8_t *make_chunk(void)
{
    uint8_t *c = calloc(1, TM_CHUNK_SIZE);
    memcpy(c, "ElfChnk\0", 8);
    wr64(c + 8, 70);
    wr64(c + 16, 72);
    wr64(c + 24, 70);
    wr64(c + 32, 72);
    wr32(c + 40, 128);
    uint32_t off = 512;
    for (uint64_t id = 70; id <= 72; id++, off += 200) {
        memcpy(c + off, "\x2a\x2a\x00\x00", 4);
        wr32(c + off + 4, 200);
        wr64(c + off + 8, id);
        for (uint32_t k = 24; k < 196; k++)
            c[off + k] = (uint8_t)(k * id);
        wr32(c + off + 196, 200);
    }
    wr32(c + 44, off - 200); /* the last record */
    wr32(c + 48, off);       /* free space */
    seal(c);
    return c;
}

static void test_check(void)
{
    uint8_t *c = make_chunk();
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_OK);
    tm_chunk_key k = tm_evtx_chunk_key(c);
    CHECK(k.first_id == 70 && k.last_id == 72 && k.header_crc == rd32(c + 124) && k.records_crc == rd32(c + 52));
    /* bytes 120-127 are outside the header CRC (flags, and the CRC itself) */
    c[121] ^= 0xFF;
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_OK);
    c[121] ^= 0xFF;
    /* a changed header byte: not a chunk */
    c[20] ^= 1;
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    c[20] ^= 1;
    c[300] ^= 1; /* in the header's unused part, still covered */
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    c[300] ^= 1;
    /* a changed record: the header stands, the records are salvaged */
    c[512 + 400 + 50] ^= 1;
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_SALVAGE);
    /* cut short after its first record: salvaged; before it ends: nothing to read */
    CHECK(tm_evtx_chunk_check(c, 512 + 200) == TM_CHUNK_SALVAGE);
    CHECK(tm_evtx_chunk_check(c, 512 + 199) == TM_CHUNK_BAD_HEADER);
    CHECK(tm_evtx_chunk_check(c, 511) == TM_CHUNK_BAD_HEADER);
    CHECK(tm_evtx_chunk_check(c, 7) == TM_CHUNK_NONE);
    /* a first record whose size copy is wrong: nothing complete to salvage */
    wr32(c + 512 + 196, 201);
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    free(c);

    /* header fields that make no sense, with a CRC that holds */
    c = make_chunk();
    wr32(c + 48, TM_CHUNK_SIZE + 8);
    uint32_t h = tm_crc32(0, c, 120);
    wr32(c + 124, tm_crc32(h, c + 128, 512 - 128));
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    free(c);
    c = make_chunk();
    wr64(c + 32, 69); /* last id before the first */
    seal(c);
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    free(c);
    c = make_chunk();
    wr32(c + 48, 512); /* no records */
    wr32(c + 44, 0);
    seal(c);
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_EMPTY);
    free(c);

    /* random data that happens to start with the signature */
    c = malloc(TM_CHUNK_SIZE);
    srand(7);
    for (size_t i = 0; i < TM_CHUNK_SIZE; i++)
        c[i] = (uint8_t)rand();
    memcpy(c, "ElfChnk\0", 8);
    CHECK(tm_evtx_chunk_check(c, TM_CHUNK_SIZE) == TM_CHUNK_BAD_HEADER);
    free(c);
}

static void test_file_header(void)
{
    uint8_t *c = make_chunk();
    uint8_t h[TM_CHUNK_FILE_HEADER];
    tm_evtx_chunk_file_header(c, h);
    CHECK(memcmp(h, "ElfFile\0", 8) == 0);
    CHECK(rd32(h + 8) == 0 && rd32(h + 16) == 0); /* first and last chunk: 0 */
    CHECK(rd32(h + 24) == 73);                   /* next record id */
    CHECK(rd32(h + 32) == 128);
    CHECK((h[36] | h[37] << 8) == 1 && (h[38] | h[39] << 8) == 3);
    CHECK((h[40] | h[41] << 8) == TM_CHUNK_FILE_HEADER && (h[42] | h[43] << 8) == 1);
    CHECK(rd32(h + 120) == 0);
    CHECK(rd32(h + 124) == tm_crc32(0, h, 120));
    free(c);
}

typedef struct {
    size_t at[8], avail[8], n;
} hits;

static void on_hit(void *ctx, size_t at, const uint8_t *c, size_t avail)
{
    hits *h = ctx;
    (void)c;
    if (h->n < 8) {
        h->at[h->n] = at;
        h->avail[h->n++] = avail;
    }
}

static void test_scan(void)
{
    size_t n = 4 * TM_CHUNK_SIZE;
    uint8_t *buf = calloc(1, n);
    memcpy(buf + 100, "ElfChnk\0", 8);      /* not on a sector: ignored */
    memcpy(buf + 3 * 512, "ElfChnk\0", 8);  /* a sector */
    memcpy(buf + 5 * 512, "ElfChnkX", 8);   /* no NUL: not the signature */
    memcpy(buf + n - 1024, "ElfChnk\0", 8); /* near the end: what is there */
    memcpy(buf + n - 512, "ElfChnk\0", 8);  /* at the limit: not searched */
    hits h = {0};
    CHECK(tm_evtx_chunk_scan(buf, n, n - 512, on_hit, &h) == 2);
    CHECK(h.n == 2 && h.at[0] == 1536 && h.avail[0] == TM_CHUNK_SIZE);
    CHECK(h.n == 2 && h.at[1] == n - 1024 && h.avail[1] == 1024);
    h.n = 0;
    CHECK(tm_evtx_chunk_scan(buf, 4, 4, on_hit, &h) == 0);
    free(buf);
}

int main(void)
{
    CHECK(tm_crc32(0, "123456789", 9) == 0xCBF43926u); /* the standard check value */
    test_check();
    test_file_header();
    test_scan();
    return CHECK_DONE();
}
