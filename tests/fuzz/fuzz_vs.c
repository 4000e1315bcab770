/* libFuzzer target: the partition-table recovery (image/vs_recover.c),
 * hand-written: the lenient MBR and EBR walk and the search for NTFS boot
 * sectors and their backups.
 *
 * The input describes a sparse disk: a u32 (little-endian) size in sectors
 * (capped at 4 GiB), then records of a u32 sector number and 512 bytes; a
 * sector no record gives reads as zeros, one past the size cannot be read.
 * So a few hundred bytes place an MBR at sector 0, EBRs far down the disk
 * and boot sectors at 1 MiB boundaries, as real tables do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/vs_recover.h"
#include "model/artifact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 512u
#define MAX_SECTORS (8u << 20) /* 4 GiB */

typedef struct {
    TSK_IMG_INFO img;
    const uint8_t *recs;
    size_t nrecs;
} sparse_img;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ssize_t sparse_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    sparse_img *s = (sparse_img *)img;
    if (off < 0 || off >= img->size)
        return -1;
    if ((uint64_t)off + len > (uint64_t)img->size)
        len = (size_t)(img->size - off);
    memset(buf, 0, len);
    uint64_t a = (uint64_t)off, b = a + len;
    /* later records win, as a later write would */
    for (size_t i = 0; i < s->nrecs; i++) {
        const uint8_t *r = s->recs + i * (4 + SECTOR);
        uint64_t at = (uint64_t)le32(r) * SECTOR, lo = a > at ? a : at, hi = b < at + SECTOR ? b : at + SECTOR;
        if (lo < hi)
            memcpy(buf + (lo - a), r + 4 + (lo - at), (size_t)(hi - lo));
    }
    return (ssize_t)len;
}

static void sparse_close(TSK_IMG_INFO *img)
{
    (void)img; /* static: TSK's image struct holds a 2 MiB cache, not allocated per input */
}

static sparse_img g_img;

static void sparse_stat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    (void)f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t sectors = le32(data) % (MAX_SECTORS + 1);
    sparse_img *s = &g_img;
    memset(s, 0, sizeof *s);
    s->recs = data + 4;
    s->nrecs = (size - 4) / (4 + SECTOR);
    if (s->nrecs > 64)
        s->nrecs = 64;
    TSK_IMG_INFO *img = tsk_img_open_external(s, (TSK_OFF_T)sectors * SECTOR, SECTOR, sparse_read, sparse_close,
                                              sparse_stat);
    if (!img)
        return 0;
    tm_input in = {0};
    tm_vs_found found = {0};
    tm_mbr_walk(img, &in, &found);
    uint64_t isize = (uint64_t)sectors * SECTOR;
    /* what the table walk gives lies in the image (entries are cut to it) */
    for (size_t i = 0; i < found.n; i++)
        if (found.c[i].offset >= isize || found.c[i].length == 0 ||
            found.c[i].offset + found.c[i].length > isize || !found.c[i].desc)
            abort();
    if (found.damaged > in.nproblems)
        abort(); /* every entry not followed is named */
    bool capped = false;
    tm_ntfs_scan(img, 0, isize, 64, &found, &capped); /* 64 MiB of 1 MiB steps */
    for (size_t i = 0; i < found.n; i++)
        if (found.c[i].offset >= isize || found.c[i].length == 0 || !found.c[i].desc)
            abort();
    tm_vs_found_free(&found);
    for (size_t i = 0; i < in.nproblems; i++) {
        free(in.problems[i].scope);
        free(in.problems[i].where);
        free(in.problems[i].message);
    }
    free(in.problems);
    tsk_img_close(img);
    return 0;
}
