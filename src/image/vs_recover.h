/* Volumes the partition table parser did not give: TSK drops a damaged MBR
 * or EBR entry silently (length 0, a chain that loops, a table cut short by
 * a truncated image), and a table it rejects loses every volume. Here the
 * MBR and its EBR chain are walked leniently, every entry that cannot be
 * followed is named, and NTFS boot sectors (or their backups at a volume's
 * end) are looked for where the table is damaged. */
#ifndef TM_VS_RECOVER_H
#define TM_VS_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#include "model/artifact.h"

typedef struct {
    uint64_t offset, length; /* bytes */
    char *desc;              /* how it was found */
} tm_vs_candidate;

typedef struct {
    tm_vs_candidate *c;
    size_t n;
    size_t damaged; /* entries that could not be followed (each a problem of in) */
} tm_vs_found;

/* The NTFS volume length a boot sector gives, or 0 when s is not an NTFS
 * boot sector. */
uint64_t tm_ntfs_boot_length(const unsigned char s[512]);

/* Walks the MBR at sector 0 and its EBR chain: every partition entry that
 * lies in the image, damaged ones included; problems go to in. Nothing when
 * sector 0 is not an MBR (or is a GPT protective MBR). */
void tm_mbr_walk(TSK_IMG_INFO *img, tm_input *in, tm_vs_found *out);

/* NTFS volumes in [from, to) of the image, by their boot sector at each
 * 1 MiB boundary (and at sector 63, the old alignment), or their backup
 * boot sector in the last sector before a boundary. At most max_probes
 * positions are looked at; *capped says whether the range was longer. */
void tm_ntfs_scan(TSK_IMG_INFO *img, uint64_t from, uint64_t to, size_t max_probes, tm_vs_found *out, bool *capped);

void tm_vs_found_free(tm_vs_found *f);

#endif
