/* The JOB message: a tm_job (model/job.h) on the wire. Shared by both ends. */
#ifndef TM_JOB_WIRE_H
#define TM_JOB_WIRE_H

#include "model/job.h"
#include "model/record.h"
#include "util/buf.h"

/* Where the worker gets the artifact's bytes: READ requests to the input
 * process, or a file descriptor sent with the job (folder inputs). */
typedef enum { TM_JOB_BYTES_REMOTE = 0, TM_JOB_BYTES_FD = 1 } tm_job_bytes;

/* Encodes a job as a JOB frame payload (field list) appended to b. */
void tm_job_encode(tm_buf *b, const tm_job *job, tm_job_bytes mode);

/* Decoded job: strings and extents are owned by it. */
typedef struct {
    tm_job job;
    tm_job_bytes mode;
    tm_extent *extents;
    char *path, *name, *user, *subtype, *want;
} tm_job_owned;

bool tm_job_decode(const uint8_t *p, size_t n, tm_job_owned *out);
void tm_job_owned_free(tm_job_owned *j);

/* The DONE message: how the job ended and its read statistics. */
void tm_done_encode(tm_buf *b, int status, const tm_read_stats *st);
bool tm_done_decode(const uint8_t *p, size_t n, tm_fields_scratch *scratch, int *status, tm_read_stats *st);

#endif
