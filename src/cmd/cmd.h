/* Sub-commands and what they share. */
#ifndef TM_CMD_H
#define TM_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/input.h"
#include "worker/pool.h"
#include "model/artifact_json.h"
#include "util/json.h"
#include "util/msg.h"

/* Exit codes (docs/usage.md). */
enum { TM_EXIT_OK = 0, TM_EXIT_PARTIAL = 1, TM_EXIT_USAGE = 2 };

int cmd_artifacts(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* Runs fn for each input in its own child process, one after the other, so
 * that a crash inside libtsk/libewf on a hostile image costs that input only.
 * fn's return value is the child's exit code; the worst code is returned. */
typedef int (*tm_input_fn)(tm_input *in, void *ctx);
int tm_run_inputs(char *const *paths, size_t n, tm_input_fn fn, void *ctx);
/* The same, with up to `parallel` inputs at a time (their output lines may
 * interleave; each input writes its own files). */
int tm_run_inputs_parallel(char *const *paths, size_t n, tm_input_fn fn, void *ctx, int parallel);
/* The same with the inputs' ids given (NULL: from their names), inputs to
 * skip (NULL: none), and each input's exit status in status (NULL: not
 * wanted; -1 for an input process that died). */
int tm_run_inputs_as(char *const *paths, char *const *ids, const bool *skip, size_t n, tm_input_fn fn, void *ctx,
                     int parallel, int *status);
/* The run's worker budget shared by all inputs through a jobserver
 * (worker/jobserver.h): 0 for none (each input runs its own -j workers). */
extern int tm_run_tokens;
/* An input process's exit status for an input it could not open at all
 * (said to the supervisor only; the run's status is then 1). */
#define TM_EXIT_NOT_READ 3

/* After an input's artifacts were read: with verify, the whole image against
 * the hashes an E01 stored; then the damage the reads revealed (EWF chunk
 * checksums). Each new problem goes to stderr and, when errors is given,
 * into it (errors.jsonl); in->nproblems grows, so the exit status is 1. */
struct tm_errors;
/* "toolmark: INPUT: WHERE: message" (WHERE left out when it is the input). */
void tm_say_problem(const tm_input *in, const tm_problem *p);
void tm_note_late_problems(tm_input *in, bool verify, struct tm_errors *errors);

/* The parse jobs for an input's artifacts, in three batches (batches[0..3]
 * bound them): hives first (their time zone and computer name serve the
 * others), then USN journals (their writes of PSReadLine files bound its
 * commands), then the rest. Transaction logs are read with their hive; a
 * large event log is split by record range when workers > 1. want(ctx, k)
 * is the subscription for kind k (NULL: every record); kinds (NULL: all)
 * selects artifact kinds. The caller frees *out. */
size_t tm_plan_jobs(const tm_input *in, int workers, const bool *kinds, const char *(*want)(void *ctx, tm_art_kind k),
                    void *ctx, tm_pool_job **out, size_t batches[4]);
/* Runs the batches one after the other; *base gets the index of the
 * batch's first job (the pool numbers jobs from 0 in each). Returns the
 * failed jobs. */
size_t tm_run_job_batches(tm_input *in, const tm_pool_job *jobs, const size_t batches[4], const tm_pool_opts *o,
                          const tm_pool_cb *cb, size_t *base);

/* A number option in [lo, hi] (the whole argument, not a prefix); says so
 * and returns false otherwise. */
bool tm_opt_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *out);
/* The parser-worker options both dump and scan take: -j N, --worker-timeout
 * SEC ('t'), --worker PATH ('W'). 1 handled, 0 not one of them, -1 bad value. */
int tm_pool_option(const char *cmd, int c, const char *arg, tm_pool_opts *pool);
#define TM_POOL_LONG_OPTIONS                                                                                           \
    {"jobs", required_argument, NULL, 'j'}, {"worker-timeout", required_argument, NULL, 't'},                          \
        {"worker-memory", required_argument, NULL, 'M'}, {"worker", required_argument, NULL, 'W'}
/* Their defaults: a worker per core, silent for at most 120 s, 2 GiB of
 * address space each. */
tm_pool_opts tm_pool_defaults(void);
/* Their lines of --help. */
#define TM_POOL_HELP                                                                                                   \
    "  -j, --jobs N          parser workers (default: one per core); scan: in all\n"                                       \
    "  --worker-timeout SEC  kill a parser worker silent that long (default 120 s)\n"                              \
    "  --worker-memory SIZE  address space per parser worker (default 2G; 0: none)\n"

/* An option's line of --help that lists names from a table ("  --kind KIND
 * <what>: a, b, c<tail>"), wrapped under the description column. */
void tm_help_list(tm_buf *b, const char *option, const char *what, const char *const *names, size_t n,
                  const char *tail);


/* True (and says so) when dir is, or would be, inside one of the input
 * paths: evidence folders are never written to. */
bool tm_output_inside_input(const char *cmd, const char *dir, char *const *paths, size_t n);

/* Writes the buffer to stdout (whole lines) and resets it. */
void tm_flush_stdout(tm_buf *b);

void tm_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A size option (512M, 2G; at least 64M, or 0 for none); false after saying why. */
bool tm_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* "NAME VERSION" lines of every library toolmark and toolmark-parse run on
 * (src/cmd/versions.c). */
void tm_library_versions(tm_buf *out);
/* Warnings of one kind said once per artifact (src/cmd/warnings.c). */
typedef struct tm_warnings tm_warnings;
tm_warnings *tm_warnings_new(void);
void tm_warnings_free(tm_warnings *w);
void tm_warnings_add(tm_warnings *w, size_t art, const char *where, tm_pos_kind pos_kind, uint64_t pos,
                     const char *msg);
/* One line per artifact and kind, in artifact and position order. */
void tm_warnings_say(tm_warnings *w, const char *input);

/* Progress on the terminal (src/cmd/progress.c). tm_progress_on: the
 * supervisor draws it (stderr is a terminal, not -q); then each input
 * process sends its progress and its lines through a pipe. */
extern bool tm_progress_on;
typedef struct tm_progress tm_progress;
tm_progress *tm_progress_new(char *const *paths, size_t n);
void tm_progress_free(tm_progress *p);
void tm_progress_started(tm_progress *p, size_t input, int fd);
/* Waits up to timeout_ms for what the inputs send, redraws; returns the
 * input whose pipe ended, or -1. */
int tm_progress_wait(tm_progress *p, int timeout_ms);
/* The input's process has been reaped. */
void tm_progress_finished(tm_progress *p, size_t input);
/* Clears the progress line (before the supervisor prints a line itself). */
void tm_progress_end(tm_progress *p);
/* The input process's side: fd is its pipe (-1: no progress). */
void tm_status_child_init(int fd, bool lines);
/* Supervisor: jobserver tokens the running inputs hold, their own included. */
int tm_progress_tokens_held(tm_progress *p);
void tm_status_phase(const char *phase);
void tm_status_plan(uint64_t artifacts, uint64_t bytes);
void tm_status_record(void);
void tm_status_done(uint64_t bytes, bool artifact_done);
void tm_status_traces(uint64_t traces);

/* getopt_long for a command: getopt's own messages off; an unknown option or
 * one missing its value is said once ("toolmark scan: unknown option
 * '--bogus'", then the pointer to --help) and returned as '?'. */
int tm_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts);

#endif
