/* LZXPRESS Huffman decompression (MS-XCA 2.1/2.2.4), for Windows 10/11
 * compressed Prefetch files ("MAM\x04"). Needed because Debian's libscca
 * (20200717) rejects the format version 31 that Windows 11 writes after
 * decompressing; toolmark decompresses itself and hands libscca the plain
 * SCCA data (see prefetch.c). Input is evidence: every read is bounds
 * checked and the output never exceeds the stated size. */
#include "readers/lzxpress.h"

#include <string.h>

#define TABLE_BITS 15
#define NSYMBOLS 512
#define BLOCK 65536u

typedef struct {
    const uint8_t *in;
    size_t n, pos;
    uint32_t bits;
    int extra;
} bitreader;

static bool read16(bitreader *b, uint32_t *v)
{
    if (b->pos + 2 > b->n) {
        /* Past the end: the encoder pads with zero bits. */
        *v = 0;
        b->pos += 2;
        return b->pos <= b->n + 4;
    }
    *v = (uint32_t)(b->in[b->pos] | b->in[b->pos + 1] << 8);
    b->pos += 2;
    return true;
}

static bool consume(bitreader *b, int nbits)
{
    b->bits <<= nbits;
    b->extra -= nbits;
    if (b->extra < 0) {
        uint32_t w;
        if (!read16(b, &w))
            return false;
        b->bits |= w << (-b->extra);
        b->extra += 16;
    }
    return true;
}

/* Canonical Huffman table from 4-bit code lengths: table[prefix] =
 * symbol | length << 9. */
static bool build_table(const uint8_t *lens_packed, uint16_t *table)
{
    uint8_t len[NSYMBOLS];
    for (int i = 0; i < NSYMBOLS / 2; i++) {
        len[2 * i] = lens_packed[i] & 15;
        len[2 * i + 1] = lens_packed[i] >> 4;
    }
    uint32_t code = 0;
    size_t filled = 0;
    for (int l = 1; l <= TABLE_BITS; l++) {
        for (int s = 0; s < NSYMBOLS; s++) {
            if (len[s] != l)
                continue;
            uint32_t span = 1u << (TABLE_BITS - l);
            if (code + span > (1u << TABLE_BITS))
                return false; /* over-subscribed code */
            for (uint32_t k = 0; k < span; k++)
                table[code + k] = (uint16_t)(s | l << 9);
            code += span;
            filled += span;
        }
    }
    /* Unused prefixes decode to an invalid entry (length 0). */
    for (size_t k = filled; k < (1u << TABLE_BITS); k++)
        table[k] = 0;
    return filled > 0;
}

bool tm_lzxpress_huffman(const uint8_t *in, size_t n, uint8_t *out, size_t out_size)
{
    static uint16_t table[1u << TABLE_BITS];
    bitreader b = {in, n, 0, 0, 0};
    size_t op = 0;
    while (op < out_size) {
        if (b.pos + 256 > n)
            return false;
        if (!build_table(in + b.pos, table))
            return false;
        b.pos += 256;
        uint32_t w1, w2;
        if (!read16(&b, &w1) || !read16(&b, &w2))
            return false;
        b.bits = w1 << 16 | w2;
        b.extra = 16;
        size_t block_end = op + BLOCK < out_size ? op + BLOCK : out_size;
        while (op < block_end) {
            uint16_t t = table[b.bits >> (32 - TABLE_BITS)];
            int l = t >> 9;
            unsigned sym = t & 511;
            if (l == 0 || !consume(&b, l))
                return false;
            if (sym < 256) {
                out[op++] = (uint8_t)sym;
                continue;
            }
            sym -= 256;
            size_t mlen = sym & 15;
            int obits = (int)(sym >> 4);
            if (mlen == 15) {
                if (b.pos >= n)
                    return false;
                mlen = in[b.pos++];
                if (mlen == 255) {
                    if (b.pos + 2 > n)
                        return false;
                    mlen = (size_t)(in[b.pos] | in[b.pos + 1] << 8);
                    b.pos += 2;
                    if (mlen < 15)
                        return false;
                    mlen -= 15;
                }
                mlen += 15;
            }
            mlen += 3;
            size_t off = obits ? (size_t)(b.bits >> (32 - obits)) : 0;
            off += (size_t)1 << obits;
            if (obits && !consume(&b, obits))
                return false;
            if (off > op || mlen > out_size - op)
                return false;
            for (size_t k = 0; k < mlen; k++, op++)
                out[op] = out[op - off];
        }
    }
    return true;
}

int tm_mam_decompress(const uint8_t *in, size_t n, uint8_t **out, size_t *out_size)
{
    if (n < 8 || memcmp(in, "MAM", 3) != 0)
        return -1;
    if ((in[3] & 0x0F) != 4)
        return -2; /* not LZXPRESS Huffman */
    size_t hdr = (in[3] & 0xF0) ? 12 : 8; /* a CRC32 follows when flagged */
    uint32_t size = (uint32_t)in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 | (uint32_t)in[7] << 24;
    if (n < hdr || size == 0 || size > (64u << 20))
        return -1;
    uint8_t *buf = tm_xmalloc(size);
    if (!tm_lzxpress_huffman(in + hdr, n - hdr, buf, size)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_size = size;
    return 0;
}
