/* Coordinator side of the process model: runs parse jobs for one input on a
 * pool of toolmark-parse workers, serves their reads from the image layer,
 * and hands back records. A worker that crashes, sends garbage or goes
 * silent past the time limit costs its job only. */
#ifndef TM_POOL_H
#define TM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/input.h"
#include "readers/reader.h"
#include "model/record.h"

typedef struct {
    const tm_artifact *art;
    uint32_t part, parts; /* split a large artifact: this job is part `part` of `parts` */
    bool all;
    const char *want; /* subscription (see tm_job) */
} tm_pool_job;

typedef struct {
    void *ctx;
    void (*on_record)(void *ctx, size_t job, const tm_record *r);
    /* a problem at a position of the kind given (TM_POS_NONE: the whole artifact) */
    void (*on_problem)(void *ctx, size_t job, tm_pos_kind kind, uint64_t position, bool fatal, const char *msg);
    /* failed: the job did not complete (worker died, timed out, could not
     * start); why says so. */
    void (*on_done)(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why);
} tm_pool_cb;

typedef struct {
    int workers;        /* parallel workers (>= 1) */
    int timeout_s;      /* inactivity limit per worker */
    uint64_t memory;    /* address space per worker in bytes (RLIMIT_AS); 0 = unlimited */
    const char *worker; /* toolmark-parse path; NULL = next to this executable */
} tm_pool_opts;

/* Sanitizer builds reserve terabytes of address space for their shadow
 * memory: there the budget cannot be applied and is not. */
#if defined(__SANITIZE_ADDRESS__)
#define TM_POOL_BUDGET_APPLIES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TM_POOL_BUDGET_APPLIES 0
#endif
#endif
#ifndef TM_POOL_BUDGET_APPLIES
#define TM_POOL_BUDGET_APPLIES 1
#endif

/* Event logs at least this large are split into record ranges, one job per
 * worker, when more than one worker runs. */
#define TM_SPLIT_EVTX_BYTES (8u << 20)

/* Runs all jobs; returns the number of jobs that failed. */
size_t tm_pool_run(tm_input *in, const tm_pool_job *jobs, size_t njobs, const tm_pool_opts *o, const tm_pool_cb *cb);

/* Bytes of artifacts served to workers (their READ requests), and bytes
 * received from them (records and the rest), since the process started. */
typedef struct {
    uint64_t served, received;
} tm_pool_io;
tm_pool_io tm_pool_io_totals(void);

/* Path of toolmark-parse next to the running executable (or $TOOLMARK_PARSE). */
char *tm_worker_path(void);


#endif
