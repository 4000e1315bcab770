/* Artifact readers: one per format, one file each, registered in readers.c.
 * A reader turns the bytes of one artifact into normalised records. Readers
 * run inside parser workers (toolmark-parse); they never see libtsk. They
 * get their bytes from a tm_source and give records to a tm_emit. */
#ifndef TM_READER_H
#define TM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/artifact.h"
#include "model/job.h"
#include "model/record.h"

/* ---- bytes -------------------------------------------------------------- */
typedef struct tm_source tm_source;
struct tm_source {
    ssize_t (*read)(tm_source *s, uint64_t off, void *buf, size_t len); /* bytes, 0 EOF, -1 error */
    void (*close)(tm_source *s);
    uint64_t size;
    char err[256];
};

/* Reads exactly len bytes unless the end comes first; returns bytes read or -1. */
ssize_t tm_source_pread(tm_source *s, uint64_t off, void *buf, size_t len);
tm_source *tm_source_fd(int fd, uint64_t size);             /* takes ownership of fd */
tm_source *tm_source_mem(const void *p, size_t n);          /* borrows p */
void tm_source_close(tm_source *s);

/* ---- records out ---------------------------------------------------------- */
typedef struct tm_emit tm_emit;
struct tm_emit {
    tm_buf out;           /* framed messages not yet flushed */
    size_t frame_start;
    tm_fields_enc enc;
    void (*flush)(tm_emit *e); /* writes out and resets it */
    void *ctx;
    uint64_t records, problems;
    size_t whole;      /* bytes of out that are whole frames (what a fault handler may still send) */
    uint64_t fault_at; /* tests: SIGSEGV when records reaches it (TOOLMARK_TEST_WORKER_FAULT); 0 = never */
};

/* Begins a record frame; add fields through the returned encoder, then end. */
tm_fields_enc *tm_emit_begin(tm_emit *e, tm_art_kind kind, uint8_t flags, uint64_t position, int64_t time);
void tm_emit_end(tm_emit *e);
/* Drops the record begun with tm_emit_begin (nothing of it is sent). */
void tm_emit_abort(tm_emit *e);
/* A problem at a position inside the artifact, of the kind given (a record
 * id, a byte offset, a line; TM_POS_NONE for the artifact as a whole);
 * fatal means the reader stopped. */
void tm_emit_problem(tm_emit *e, tm_pos_kind kind, uint64_t position, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void tm_emit_progress(tm_emit *e, uint64_t seen);
void tm_emit_flush(tm_emit *e);

typedef struct {
    tm_art_kind kind; /* its name and the rest of what is known of it: tm_kind(kind) */
    /* Returns 0 when the artifact was read (possibly with skipped parts), -1
     * when it could not be read at all (a fatal problem was emitted). */
    int (*run)(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
} tm_reader;

const tm_reader *tm_reader_for(tm_art_kind kind);

/* Readers (src/readers/<format>.c). */
int tm_read_evtx(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
/* Whether the EVTX reader asks libevtx for a record its own decoder cannot
 * read in a child process (default true: a library fault then costs that
 * record, not the worker). The fuzz target turns it off, so that the glue
 * runs, and is measured, in its own process. */
void tm_evtx_contain_fallback(bool on);
int tm_read_psreadline(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
int tm_read_task(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
int tm_read_atjob(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
int tm_read_prefetch(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
int tm_read_registry(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);
int tm_read_usn(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *stats);

#endif
