/* A parse job (what one worker is asked to read: one artifact, or one
 * record range of it) and what reading it found. Shared by the coordinator,
 * which plans jobs, and the readers, which run them; the wire form is
 * worker/job.c's. */
#ifndef TM_JOB_H
#define TM_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "model/artifact.h"

typedef struct {
    tm_art_kind kind;
    const char *path; /* inside the input, as found (for messages) */
    const char *name; /* file name: a fallback hint only (e.g. EVTX channel) */
    const char *user;
    const char *subtype;
    uint64_t size;
    const tm_extent *extents; /* data runs incl. holes; may be NULL (all data) */
    size_t nextents;
    uint32_t part, parts;  /* splittable readers read part `part` (0-based) of `parts` (0 or 1: all) */
    bool all;              /* every record, fully decoded (dump) */
    bool libevtx_only;     /* EVTX: decode with libevtx alone (tests compare the two decoders) */
    const char *want;      /* subscription when !all: lines "CHANNEL<TAB>EVENT_ID", '*' = any */
    int64_t crtime, mtime; /* the artifact's times: bounds for records without their own time */
} tm_job;

typedef struct {
    uint64_t records;   /* records delivered */
    uint64_t recovered; /* of which recovered from slack */
    uint64_t skipped;   /* records that could not be read */
    uint64_t total;     /* records the artifact (part) holds, where known */
    uint64_t filtered;  /* records read but not asked for (subscription) */
    uint64_t fragments; /* remains of old records in slack that no decoder can read: what the
                         * reuse of a log leaves, not an error of the artifact */
    bool dirty;         /* the file was not closed cleanly */
    /* What the artifact covers (EVTX): channel, written-time span and
     * record-id span of the records read, and gaps in the ids. */
    char label[128];
    int64_t first_time, last_time;
    uint64_t first_id, last_id;
    uint64_t id_gaps, ids_missing;
} tm_read_stats;

/* Initialises stats (times unset). */
void tm_read_stats_init(tm_read_stats *st);

#endif
