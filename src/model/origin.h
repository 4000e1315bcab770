/* Where an artifact's bytes came from: the live file system, a volume
 * shadow copy, a deleted file, or EVTX chunks carved from unallocated
 * space. Records inherit their artifact's origin; the outputs write it as
 * text (docs/outputs.md): "live", "vss:<store id>:<creation time>",
 * "deleted-file", "carved:<byte offset in the image>". */
#ifndef TM_ORIGIN_H
#define TM_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TM_ORIGIN_LIVE = 0, /* the zero value: what the locator finds in the file system */
    TM_ORIGIN_VSS,      /* a file of a volume shadow copy store */
    TM_ORIGIN_DELETED,  /* a deleted file whose data runs were intact */
    TM_ORIGIN_CARVED,   /* a chunk found in unallocated space */
} tm_origin_type;

typedef struct {
    tm_origin_type type;
    char store[40];     /* VSS: the store identifier (GUID text) */
    int64_t store_time; /* VSS: the store's creation time (us since the epoch, UTC) */
    uint64_t offset;    /* carved: the chunk's byte offset in the image */
    unsigned store_index; /* VSS: the image layer's number for the store (not written) */
} tm_origin;

/* Longest text tm_origin_text writes, NUL included. */
#define TM_ORIGIN_TEXT_MAX 96

/* "live", "vss:{GUID}:2017-05-01T10:00:00Z", "deleted-file", "carved:123456". */
void tm_origin_text(const tm_origin *o, char *out, size_t n);
/* Not live: recovered from what the file system no longer shows. */
static inline bool tm_origin_recovered(const tm_origin *o)
{
    return o->type != TM_ORIGIN_LIVE;
}

#endif
