/* An E01 segment file whose `table` section is damaged: libewf (20140813)
 * refuses the whole set (a bad descriptor or header checksum) or loses its
 * chunks, although EnCase writes the same table again as `table2` right
 * after it. Here the sections of a segment file are walked and each damaged
 * table is given the bytes of its intact mirror: patches that turn the file
 * into one libewf reads (applied to a copy, never to the evidence). */
#ifndef TM_EWF_REPAIR_H
#define TM_EWF_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t offset;      /* where the bytes go in the segment file */
    unsigned char *bytes; /* descriptor of type "table" then table2's body */
    size_t len;
    char why[96];         /* what was damaged */
} tm_ewf_patch;

/* Reads up to len bytes at off; returns bytes read (short at the end) or -1. */
typedef long (*tm_ewf_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* The patches for one segment file of `size` bytes (at most max; *npatch
 * set). Returns false when the file is no EWF-E01 segment or a damaged table
 * has no intact mirror to take (the walk stops there). */
bool tm_ewf_table_repairs(tm_ewf_read_fn rd, void *ctx, uint64_t size, tm_ewf_patch *out, size_t max, size_t *npatch);

void tm_ewf_patches_free(tm_ewf_patch *p, size_t n);

/* Adler-32 as EWF uses it (seed 1). */
uint32_t tm_ewf_adler32(const unsigned char *p, size_t n);

#endif
