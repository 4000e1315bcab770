/* The JOB message: what a worker is asked to parse. Shared by both ends. */
#ifndef TM_JOB_H
#define TM_JOB_H

#include "readers/reader.h"
#include "util/buf.h"

typedef enum { TM_SRC_REMOTE = 0, TM_SRC_FD = 1 } tm_src_mode;

/* Encodes a job as a JOB frame payload (field list) appended to b. */
void tm_job_encode(tm_buf *b, const tm_job *job, tm_src_mode mode);

/* Decoded job: strings and extents are owned by it. */
typedef struct {
    tm_job job;
    tm_src_mode mode;
    tm_extent *extents;
    char *path, *name, *user, *subtype, *want;
} tm_job_owned;

bool tm_job_decode(const uint8_t *p, size_t n, tm_job_owned *out);
void tm_job_owned_free(tm_job_owned *j);

#endif
