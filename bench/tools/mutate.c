/* mutate SEED KIND IN OUT: writes IN with one seeded, deterministic mutation
 * to OUT and prints what it did (one line). bench/mutate runs toolmark on
 * the results.
 *
 * KIND says where the damage goes and which checksums to recompute so that
 * it gets past them and reaches the parser:
 *   evtx      file header or a chunk (header, string/template tables,
 *             records); chunk header and records CRC32 and the file header
 *             CRC32 recomputed on every other case
 *   registry  base block or a hive bin; the base block checksum recomputed
 *   image     MBR/EBR entries, an NTFS boot sector, MFT records, or E01
 *             section data (found by their signatures)
 *   other     anywhere (Prefetch, USN, at-jobs, task XML, PSReadLine)
 * Mutations: truncation, bit flips, a zeroed 512-byte sector, two 4 KiB
 * blocks swapped, a run of 0xFF, an integer field set to an extreme. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
    return n ? next() % n : 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t find(const uint8_t *b, size_t n, const char *sig, size_t siglen, size_t nth)
{
    for (size_t i = 0; i + siglen <= n; i++)
        if (memcmp(b + i, sig, siglen) == 0 && nth-- == 0)
            return i;
    return SIZE_MAX;
}

static size_t count(const uint8_t *b, size_t n, const char *sig, size_t siglen)
{
    size_t k = 0;
    for (size_t i = 0; i + siglen <= n; i++)
        k += memcmp(b + i, sig, siglen) == 0;
    return k;
}

/* One mutation inside [lo, hi) of b (size *n). */
static void mutate_range(uint8_t *b, size_t *n, size_t lo, size_t hi, char *what, size_t wn)
{
    if (hi > *n)
        hi = *n;
    if (lo >= hi)
        lo = 0, hi = *n;
    size_t span = hi - lo;
    size_t at = lo + below(span);
    switch (below(6)) {
    case 0: { /* truncation */
        *n = at;
        snprintf(what, wn, "truncated at %zu", at);
        break;
    }
    case 1: { /* bit flips */
        unsigned k = 1 + (unsigned)below(16);
        for (unsigned i = 0; i < k; i++) {
            size_t p = lo + below(span);
            b[p] ^= (uint8_t)(1u << below(8));
        }
        snprintf(what, wn, "%u bit flips in %zu-%zu", k, lo, hi);
        break;
    }
    case 2: { /* zeroed sector */
        size_t s = at & ~(size_t)511;
        size_t e = s + 512 < *n ? s + 512 : *n;
        memset(b + s, 0, e - s);
        snprintf(what, wn, "zeroed sector at %zu", s);
        break;
    }
    case 3: { /* two 4 KiB blocks swapped */
        if (*n < 8192) {
            b[at] ^= 0xFF;
            snprintf(what, wn, "byte inverted at %zu", at);
            break;
        }
        size_t x = (at & ~(size_t)4095) % (*n - 4096), y = (size_t)below(*n / 4096) * 4096 % (*n - 4096);
        uint8_t t[4096]; /* the blocks may overlap */
        memcpy(t, b + x, 4096);
        memmove(b + x, b + y, 4096);
        memcpy(b + y, t, 4096);
        snprintf(what, wn, "4 KiB blocks at %zu and %zu swapped", x, y);
        break;
    }
    case 4: { /* a run of 0xFF */
        size_t len = 1 + below(64);
        if (at + len > *n)
            len = *n - at;
        memset(b + at, 0xFF, len);
        snprintf(what, wn, "%zu bytes of 0xFF at %zu", len, at);
        break;
    }
    default: { /* an integer field at an extreme */
        size_t p = at & ~(size_t)3;
        if (p + 4 > *n) {
            b[at] ^= 0x80;
            snprintf(what, wn, "byte flipped at %zu", at);
            break;
        }
        static const uint32_t extremes[] = {0, 1, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x10000};
        uint32_t v = extremes[below(6)];
        wr32(b + p, v);
        snprintf(what, wn, "u32 at %zu set to 0x%x", p, v);
        break;
    }
    }
}

static void evtx_fix_crcs(uint8_t *b, size_t n)
{
    if (n >= 4096 && memcmp(b, "ElfFile", 8) == 0)
        wr32(b + 0x7C, (uint32_t)crc32(0, b, 0x78));
    for (size_t c = 4096; c + 65536 <= n; c += 65536) {
        uint8_t *h = b + c;
        if (memcmp(h, "ElfChnk", 8) != 0)
            continue;
        uint32_t free_off = rd32(h + 0x30);
        if (free_off >= 0x200 && free_off <= 65536)
            wr32(h + 0x34, (uint32_t)crc32(0, h + 0x200, free_off - 0x200));
        uLong crc = crc32(0, h, 0x78);
        crc = crc32(crc, h + 0x80, 0x200 - 0x80);
        wr32(h + 0x7C, (uint32_t)crc);
    }
}

static void regf_fix_checksum(uint8_t *b, size_t n)
{
    if (n < 512 || memcmp(b, "regf", 4) != 0)
        return;
    uint32_t x = 0;
    for (int i = 0; i < 127; i++)
        x ^= rd32(b + 4 * i);
    wr32(b + 508, x);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mutate SEED evtx|registry|image|other IN OUT\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL | 1;
    for (int i = 0; i < 8; i++)
        next();
    const char *kind = argv[2];
    FILE *f = fopen(argv[3], "rb");
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t n = sz > 0 ? (size_t)sz : 0;
    uint8_t *b = malloc(n ? n : 1);
    if (!b || fread(b, 1, n, f) != n) {
        fprintf(stderr, "mutate: cannot read %s\n", argv[3]);
        return 1;
    }
    fclose(f);
    char what[160] = "unchanged";
    size_t lo = 0, hi = n;
    bool fix = below(2) == 0;
    if (strcmp(kind, "evtx") == 0) {
        size_t chunks = n > 4096 ? (n - 4096) / 65536 : 0;
        switch (below(4)) {
        case 0: hi = 4096; break; /* file header */
        case 1: { size_t c = 4096 + 65536 * below(chunks); lo = c; hi = c + 0x200; break; } /* chunk header */
        case 2: { size_t c = 4096 + 65536 * below(chunks); lo = c + 0x80; hi = c + 0x200 + 4096; break; } /* tables, first records */
        default: { size_t c = 4096 + 65536 * below(chunks); lo = c + 0x200; hi = c + 65536; break; } /* records */
        }
    } else if (strcmp(kind, "registry") == 0) {
        if (below(4) == 0)
            hi = 4096;
        else
            lo = 4096;
    } else if (strcmp(kind, "image") == 0) {
        size_t k;
        switch (below(5)) {
        case 0: lo = 0x1BE; hi = 0x200; break; /* the MBR's partition entries */
        case 1:
            k = count(b, n, "NTFS    ", 8);
            if (k) { lo = find(b, n, "NTFS    ", 8, below(k)); lo = lo >= 3 ? lo - 3 : 0; hi = lo + 512; }
            break;
        case 2:
            k = count(b, n, "FILE0", 5);
            if (k) { lo = find(b, n, "FILE0", 5, below(k)); hi = lo + 1024; }
            break;
        case 3:
            k = count(b, n, "sectors", 7) + count(b, n, "table", 5);
            if (k) { lo = find(b, n, "table", 5, below(count(b, n, "table", 5) + 1)); if (lo == SIZE_MAX) lo = 0; hi = lo + 4096; }
            break;
        default: break;
        }
    }
    mutate_range(b, &n, lo, hi, what, sizeof what);
    if (fix && strcmp(kind, "evtx") == 0)
        evtx_fix_crcs(b, n);
    if (fix && strcmp(kind, "registry") == 0)
        regf_fix_checksum(b, n);
    f = fopen(argv[4], "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(argv[4]);
        return 1;
    }
    printf("%s%s\n", what, fix && (strcmp(kind, "evtx") == 0 || strcmp(kind, "registry") == 0) ? ", checksums recomputed" : "");
    free(b);
    return 0;
}
