#include "image/vs_recover.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define SECTOR 512u
#define MIB (1024u * 1024u)
#define MAX_EBRS 4096 /* a chain longer than this is not a real one */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

uint64_t tm_ntfs_boot_length(const unsigned char s[512])
{
    if (memcmp(s + 3, "NTFS    ", 8) != 0 || s[510] != 0x55 || s[511] != 0xAA)
        return 0;
    unsigned bps = (unsigned)s[11] | (unsigned)s[12] << 8;
    if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
        return 0;
    if (s[13] == 0)
        return 0; /* sectors per cluster */
    uint64_t total = le64(s + 0x28);
    if (total == 0 || total > UINT64_MAX / 8192)
        return 0;
    return (total + 1) * bps; /* the backup boot sector follows the last sector */
}

static bool read_sector(TSK_IMG_INFO *img, uint64_t off, unsigned char s[512])
{
    if (off + SECTOR > (uint64_t)img->size)
        return false;
    return tsk_img_read(img, (TSK_OFF_T)off, (char *)s, SECTOR) == (ssize_t)SECTOR;
}

static void add(tm_vs_found *f, uint64_t off, uint64_t len, char *desc)
{
    f->c = tm_xrealloc(f->c, (f->n + 1) * sizeof *f->c);
    f->c[f->n++] = (tm_vs_candidate){off, len, desc};
}

static bool extended_type(unsigned t)
{
    return t == 0x05 || t == 0x0F || t == 0x85;
}

/* One partition entry (primary or logical) at [start, start+len) sectors. */
static void entry(TSK_IMG_INFO *img, tm_input *in, tm_vs_found *f, const char *what, unsigned type, uint64_t start,
                  uint64_t len)
{
    uint64_t size = (uint64_t)img->size, off = start * SECTOR;
    if (off >= size) {
        tm_input_add_problem(in, "input", "partition table",
                             "%s (type 0x%02x, sector %" PRIu64 ") starts beyond the end of the image (%" PRIu64
                             " bytes): the image is cut short, the volume is not in it",
                             what, type, start, size);
        f->damaged++;
        return;
    }
    uint64_t bytes = len * SECTOR;
    if (len == 0) {
        /* TSK skips it; the volume itself may still say how long it is */
        unsigned char s[512];
        bytes = read_sector(img, off, s) ? tm_ntfs_boot_length(s) : 0;
        tm_input_add_problem(in, "input", "partition table",
                             "%s (type 0x%02x, sector %" PRIu64 ") has length 0%s", what, type, start,
                             bytes ? ": read by the NTFS boot sector found there" : ": not followed");
        f->damaged++;
        if (!bytes)
            return;
        if (bytes > size - off) {
            /* the boot sector's volume runs past the image's end (fuzz_vs) */
            tm_input_add_problem(in, "input", "partition table",
                                 "%s (sector %" PRIu64 "): the NTFS volume found there ends beyond the end of the "
                                 "image (%" PRIu64 " bytes): the image is cut short, the volume is read as far as it goes",
                                 what, start, size);
            bytes = size - off;
        }
    } else if (off + bytes > size) {
        tm_input_add_problem(in, "input", "partition table",
                             "%s (type 0x%02x, sector %" PRIu64 ", %" PRIu64
                             " sectors) ends beyond the end of the image (%" PRIu64
                             " bytes): the image is cut short, the volume is read as far as it goes",
                             what, type, start, len, size);
        f->damaged++;
        bytes = size - off;
    }
    add(f, off, bytes, tm_xasprintf("%s (type 0x%02x)", what, type));
}

static void walk_ebrs(TSK_IMG_INFO *img, tm_input *in, tm_vs_found *f, uint64_t base)
{
    uint64_t *seen = tm_xcalloc(MAX_EBRS, sizeof *seen);
    size_t nseen = 0;
    uint64_t ebr = base;
    for (unsigned k = 1;; k++) {
        for (size_t i = 0; i < nseen; i++)
            if (seen[i] == ebr) {
                tm_input_add_problem(in, "input", "partition table",
                                     "the extended partition's chain of EBRs loops back to sector %" PRIu64
                                     " after %zu EBRs: logical partitions after it are not followed",
                                     ebr, nseen);
                f->damaged++;
                goto done;
            }
        if (nseen == MAX_EBRS) {
            tm_input_add_problem(in, "input", "partition table", "more than %d EBRs: the chain is not followed further",
                                 MAX_EBRS);
            f->damaged++;
            break;
        }
        seen[nseen++] = ebr;
        unsigned char s[512];
        if (!read_sector(img, ebr * SECTOR, s)) {
            tm_input_add_problem(in, "input", "partition table",
                                 "EBR %u at sector %" PRIu64
                                 " lies beyond the end of the image: logical partitions from there on are not in it",
                                 k, ebr);
            f->damaged++;
            break;
        }
        if (s[510] != 0x55 || s[511] != 0xAA) {
            tm_input_add_problem(in, "input", "partition table",
                                 "EBR %u at sector %" PRIu64 " has no boot signature: the chain ends there", k, ebr);
            f->damaged++;
            break;
        }
        const unsigned char *e0 = s + 0x1BE, *e1 = s + 0x1CE;
        if (e0[4] != 0) {
            char what[48];
            snprintf(what, sizeof what, "logical partition %u", k);
            entry(img, in, f, what, e0[4], ebr + le32(e0 + 8), le32(e0 + 12));
        }
        if (e1[4] == 0 || !extended_type(e1[4]))
            break;
        ebr = base + le32(e1 + 8);
    }
done:
    free(seen);
}

void tm_mbr_walk(TSK_IMG_INFO *img, tm_input *in, tm_vs_found *out)
{
    unsigned char s[512];
    if (!read_sector(img, 0, s) || s[510] != 0x55 || s[511] != 0xAA || tm_ntfs_boot_length(s))
        return; /* no MBR (an NTFS boot sector ends in 55 AA too) */
    for (int i = 0; i < 4; i++)
        if (s[0x1BE + 16 * i + 4] == 0xEE)
            return; /* GPT: TSK reads it, with its backup header */
    uint64_t walked[4];
    int nwalked = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned char *e = s + 0x1BE + 16 * i;
        unsigned type = e[4];
        if (type == 0)
            continue;
        if (e[0] != 0 && e[0] != 0x80)
            return; /* boot flags other than 0 and 0x80: not a partition table */
        uint64_t start = le32(e + 8), len = le32(e + 12);
        char what[32];
        snprintf(what, sizeof what, "MBR entry %d", i + 1);
        if (extended_type(type)) {
            if (start == 0 || start * SECTOR >= (uint64_t)img->size) {
                tm_input_add_problem(in, "input", "partition table",
                                     "%s (extended, sector %" PRIu64 ") lies outside the image: its logical "
                                     "partitions are not in it",
                                     what, start);
                out->damaged++;
                continue;
            }
            unsigned char first[512];
            if (read_sector(img, start * SECTOR, first) && tm_ntfs_boot_length(first)) {
                /* a type flipped to "extended" on an NTFS entry: TSK reads
                 * the boot sector as an empty EBR and the volume is gone
                 * without a word (bench/mutate 100947) */
                tm_input_add_problem(in, "input", "partition table",
                                     "%s says extended partition (type 0x%02x), but sector %" PRIu64
                                     " holds an NTFS boot sector: read as a volume",
                                     what, type, start);
                out->damaged++;
                entry(img, in, out, what, type, start, len);
                continue;
            }
            bool again = false;
            for (int k = 0; k < nwalked; k++)
                again |= walked[k] == start;
            if (again) {
                /* the chain once: its damage is said once, and each entry
                 * that could not be followed has a message of its own (fuzz_vs) */
                tm_input_add_problem(in, "input", "partition table",
                                     "%s repeats an earlier entry's extended partition (sector %" PRIu64
                                     "): followed once",
                                     what, start);
                out->damaged++;
                continue;
            }
            walked[nwalked++] = start;
            walk_ebrs(img, in, out, start);
        } else {
            entry(img, in, out, what, type, start, len);
        }
    }
}

static bool overlaps(const tm_vs_found *f, uint64_t off)
{
    for (size_t i = 0; i < f->n; i++)
        if (off >= f->c[i].offset && off < f->c[i].offset + f->c[i].length)
            return true;
    return false;
}

void tm_ntfs_scan(TSK_IMG_INFO *img, uint64_t from, uint64_t to, size_t max_probes, tm_vs_found *out, bool *capped)
{
    uint64_t size = (uint64_t)img->size;
    if (to > size)
        to = size;
    size_t probes = 0;
    unsigned char s[512];
    /* sector 63: partitions aligned to the old cylinder boundaries */
    if (from <= 63 * SECTOR && 63 * SECTOR < to && read_sector(img, 63 * SECTOR, s)) {
        uint64_t len = tm_ntfs_boot_length(s);
        if (len)
            add(out, 63 * SECTOR, len, tm_xstrdup("NTFS boot sector found at sector 63 (not in the partition table)"));
        probes++;
    }
    for (uint64_t p = (from + MIB - 1) / MIB * MIB; p < to + SECTOR; p += MIB) {
        if (++probes > max_probes) {
            *capped = true;
            break;
        }
        /* a volume ending here leaves its backup boot sector just before p */
        if (p >= SECTOR && p - SECTOR >= from && read_sector(img, p - SECTOR, s)) {
            uint64_t len = tm_ntfs_boot_length(s);
            uint64_t start = len && len <= p ? p - len : UINT64_MAX;
            if (start != UINT64_MAX && start >= from && !overlaps(out, start)) {
                bool primary_ok = false;
                unsigned char b[512];
                if (read_sector(img, start, b))
                    primary_ok = tm_ntfs_boot_length(b) == len;
                if (!primary_ok)
                    add(out, start, len,
                        tm_xasprintf("NTFS backup boot sector found at sector %" PRIu64
                                     " (not in the partition table; the primary is damaged)",
                                     (p - SECTOR) / SECTOR));
            }
        }
        if (p < to && read_sector(img, p, s) && !overlaps(out, p)) {
            uint64_t len = tm_ntfs_boot_length(s);
            if (len)
                add(out, p, len,
                    tm_xasprintf("NTFS boot sector found at sector %" PRIu64 " (not in the partition table)", p / SECTOR));
        }
    }
}

void tm_vs_found_free(tm_vs_found *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->c[i].desc);
    free(f->c);
    f->c = NULL;
    f->n = 0;
}
