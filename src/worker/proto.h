/* Framing between the input process (coordinator) and parser workers.
 * Frame: u32 type, u32 length, payload (little-endian). See
 * docs/architecture.md, "The worker protocol". */
#ifndef TM_PROTO_H
#define TM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/record.h"
#include "util/buf.h"

#define TM_FRAME_MAX (16u << 20)
#define TM_FRAME_HDR 8u
_Static_assert(TM_FIELD_VALUE_MAX <= TM_FRAME_MAX / 2, "a record field fits in a frame");

enum {
    /* coordinator -> worker */
    TM_MSG_JOB = 1,  /* fields (tm_fields codec); may carry one fd */
    TM_MSG_DATA = 2, /* u64 offset, then bytes (empty = EOF, or error: see TM_MSG_DATA_ERR) */
    TM_MSG_DATA_ERR = 3, /* u64 offset, then an error message */
    /* worker -> coordinator */
    TM_MSG_READ = 16,     /* u64 offset, u32 length */
    TM_MSG_RECORD = 17,   /* one record (record.h) */
    TM_MSG_PROBLEM = 18,  /* fields: position, message, fatal */
    TM_MSG_PROGRESS = 19, /* u64 records seen */
    TM_MSG_DONE = 20,     /* fields: statistics */
};

/* Appends a frame to out (worker side batches frames before writing). */
void tm_frame_put(tm_buf *out, uint32_t type, const void *payload, size_t len);
/* Begins a frame whose payload the caller appends; tm_frame_end patches the
 * length. Returns the frame's start offset. */
size_t tm_frame_begin(tm_buf *out, uint32_t type);
void tm_frame_end(tm_buf *out, size_t start);

/* Blocking write of all bytes (EINTR-safe). Returns 0 or -1. */
int tm_write_all(int fd, const void *p, size_t n);
/* Sends bytes with one file descriptor attached (SCM_RIGHTS). */
int tm_send_with_fd(int sock, const void *p, size_t n, int fd);

/* Incremental frame reader over a byte stream. */
typedef struct {
    tm_buf in;
    size_t pos;  /* consumed bytes in in */
    int pending_fd; /* fd received with SCM_RIGHTS, or -1 */
} tm_framer;

void tm_framer_init(tm_framer *f);
void tm_framer_free(tm_framer *f);
/* Reads what is available from fd (blocking or not, per the fd). Returns
 * bytes read, 0 at EOF, -1 on error (errno; EAGAIN when nothing). */
long tm_framer_fill(tm_framer *f, int fd);
/* Next complete frame: 1 and sets type/payload/len; 0 when incomplete; -1
 * when the stream is malformed (oversized frame). The payload stays valid
 * until the next fill. */
int tm_framer_next(tm_framer *f, uint32_t *type, const uint8_t **payload, uint32_t *len);

/* A worker that runs out of its memory budget exits with this status. */
#define TM_WORKER_EXIT_MEMORY 86

#endif
