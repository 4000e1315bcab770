#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "worker/jobserver.h"
#include "worker/pool.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "output/outputs.h"
#include "util/lifetime.h"
#include "util/msg.h"

void tm_help_list(tm_buf *b, const char *option, const char *what, const char *const *names, size_t n,
                  const char *tail)
{
    enum { COLUMN = 24, WIDTH = 79 };
    size_t start = b->len;
    tm_buf_printf(b, "  %-*s%s", COLUMN - 2, option, what);
    size_t line = start;
    for (size_t i = 0; i <= n; i++) {
        const char *word = i < n ? names[i] : tail;
        char piece[128];
        snprintf(piece, sizeof piece, i == 0 ? " %s" : i < n ? ", %s" : "%s", word);
        if (i == n && !*word)
            break;
        if (b->len - line + strlen(piece) > WIDTH) {
            tm_buf_printf(b, "%s\n%*s", i < n && i > 0 ? "," : "", COLUMN, "");
            line = b->len - COLUMN;
            snprintf(piece, sizeof piece, "%s", word + (i == n && *word == ' '));
        }
        tm_buf_puts(b, piece);
    }
    tm_buf_putc(b, '\n');
}

int tm_run_tokens;

void tm_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    tm_buf what;
    tm_buf_init(&what);
    va_start(ap, fmt);
    tm_buf_vprintf(&what, fmt, ap);
    va_end(ap);
    tm_msg_line("%s %s: %s", tm_prog, cmd, tm_buf_cstr(&what));
    tm_msg_line("Try '%s %s --help'.", tm_prog, cmd);
    tm_buf_free(&what);
}

int tm_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    char spec[64];
    snprintf(spec, sizeof spec, ":%s", shortopts); /* ':' first: a missing value is told apart */
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    /* A long option is named as written (up to '='); a short one by its
     * letter, which may sit inside a group ("-xj4"). */
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[128];
    if (arg[0] == '-' && arg[1] == '-')
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(name, sizeof name, "-%c", optopt ? optopt : '?');
    if (c == ':')
        tm_usage_error(cmd, "option '%s' needs a value", name);
    else
        tm_usage_error(cmd, "unknown option '%s'", name);
    return '?';
}

void tm_flush_stdout(tm_buf *b)
{
    if (tm_msg_sink) {
        tm_msg_flush(STDOUT_FILENO, b);
        return;
    }
    if (b->len)
        fwrite(b->data, 1, b->len, stdout);
    tm_buf_reset(b);
}

/* The input's child: open, run, exit with fn's status. status_fd: the pipe
 * to the supervisor's progress line, or -1. */
static void run_child(const char *path, const char *id, tm_input_fn fn, void *ctx, int status_fd)
{
    tm_status_child_init(status_fd, tm_progress_on);
    tm_input *in = tm_input_open(path);
    in->id = tm_xstrdup(id);
    int rc = fn(in, ctx);
    tm_input_close(in);
    fflush(stdout);
    exit(rc);
}

static int child_status(const char *path, int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
        exit(128 + SIGPIPE); /* our reader went away: stop quietly, like any filter */
    tm_msg("%s: the process reading this input died (%s); other inputs go on\n", path,
            WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "unknown status");
    return TM_EXIT_PARTIAL;
}

int tm_run_inputs_parallel(char *const *paths, size_t n, tm_input_fn fn, void *ctx, int parallel)
{
    return tm_run_inputs_as(paths, NULL, NULL, n, fn, ctx, parallel, NULL);
}

int tm_run_inputs_as(char *const *paths, char *const *given_ids, const bool *skip, size_t n, tm_input_fn fn, void *ctx,
                     int parallel, int *status)
{
    if (parallel < 1)
        parallel = 1;
    int worst = TM_EXIT_OK;
    char **ids = tm_xcalloc(n ? n : 1, sizeof *ids);
    {
        char **made = given_ids ? NULL : tm_input_ids(paths, n);
        for (size_t i = 0; i < n; i++)
            ids[i] = given_ids ? tm_xstrdup(given_ids[i]) : made[i];
        free(made);
    }
    for (size_t i = 0; status && i < n; i++)
        status[i] = TM_EXIT_OK;
    pid_t *pids = tm_xcalloc(n ? n : 1, sizeof *pids);
    /* each input talks to us through a pipe: its progress (drawn on a
     * terminal), its lines (while we draw), the tokens it holds */
    tm_progress *prog = tm_progress_new(paths, n);
    int tokens = tm_run_tokens;
    bool js = tokens > 0 && tm_jobserver_create(tokens);
    size_t next = 0, running = 0;
    while (next < n || running) {
        while (next < n && skip && skip[next])
            next++; /* done in an earlier run */
        while (next < n && running < (size_t)parallel) {
            if (skip && skip[next]) {
                next++;
                continue;
            }
            /* an input starts on a token of its own (the first always can) */
            if (js && !tm_jobserver_take()) {
                if (running)
                    break;
                tm_jobserver_settle(tokens); /* none running: whatever went missing is back */
                if (!tm_jobserver_take())
                    break;
            }
            fflush(stdout);
            fflush(stderr);
            int fd[2] = {-1, -1};
            if (pipe2(fd, O_CLOEXEC) != 0)
                fd[0] = fd[1] = -1;
            pid_t self = getpid(), pid = fork();
            if (pid < 0) {
                tm_msg("%s: cannot fork: %s\n", paths[next], strerror(errno));
                worst = TM_EXIT_PARTIAL;
                if (js)
                    tm_jobserver_give();
                if (fd[0] >= 0) {
                    close(fd[0]);
                    close(fd[1]);
                }
                next++;
                continue;
            }
            if (pid == 0) {
                tm_die_with_parent(self);
                if (fd[0] >= 0)
                    close(fd[0]);
                run_child(paths[next], ids[next], fn, ctx, fd[1]);
            }
            if (fd[1] >= 0)
                close(fd[1]);
            tm_progress_started(prog, next, fd[0]);
            pids[next++] = pid;
            running++;
        }
        int status_word = 0;
        pid_t done;
        /* an input is done when its pipe ends: then its process exits */
        int ended = tm_progress_wait(prog, 200);
        if (ended < 0) {
            done = waitpid(-1, &status_word, WNOHANG); /* one whose pipe could not be made */
            if (done <= 0)
                continue;
        } else {
            while ((done = waitpid(pids[ended], &status_word, 0)) < 0 && errno == EINTR)
                ;
        }
        if (done < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (prog)
            tm_progress_end(prog);
        for (size_t i = 0; i < next; i++)
            if (pids[i] == done) {
                pids[i] = 0;
                running--;
                tm_progress_finished(prog, i);
                /* its tokens back, its own and what it held when it ended */
                if (js)
                    tm_jobserver_settle(tokens - tm_progress_tokens_held(prog));
                int rc = child_status(paths[i], status_word);
                if (status)
                    status[i] = WIFEXITED(status_word) ? rc : -1;
                if (rc == TM_EXIT_NOT_READ)
                    rc = TM_EXIT_PARTIAL;
                if (rc > worst)
                    worst = rc;
            }
    }
    tm_progress_end(prog);
    tm_progress_free(prog);
    free(pids);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return worst;
}

int tm_run_inputs(char *const *paths, size_t n, tm_input_fn fn, void *ctx)
{
    return tm_run_inputs_parallel(paths, n, fn, ctx, 1);
}

/* Absolute path of p with symlinks resolved, also when p does not exist yet
 * (its nearest existing ancestor is resolved, the rest appended). */
/* Where a path that may not exist yet leads: its longest existing prefix
 * resolved by realpath (symbolic links followed), the rest collapsed by
 * text as mkdir will take it. After a ".." (or any step) the path so far is
 * resolved again, so "nosuch/../link/out" with link -> ev is ev/out; a
 * dangling link is followed to where it points (mkdir would create there). */
static char *resolve_path_depth(const char *p, int depth)
{
    char *r = realpath(p, NULL);
    if (r || depth > 40)
        return r;
    char *copy = tm_xstrdup(p);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    char *parent, *base;
    if (!slash) {
        parent = tm_xstrdup(".");
        base = copy;
    } else {
        *slash = '\0';
        parent = tm_xstrdup(slash == copy ? "/" : copy);
        base = slash + 1;
    }
    /* The parent is resolved (canonical); the rest does not exist yet, so
     * "." and ".." in it are collapsed by text, as mkdir will take them:
     * "nosuch/../ev/out" is "ev/out", inside the input ev. */
    char *pr = resolve_path_depth(parent, depth + 1);
    char *out = NULL;
    if (pr && strcmp(base, "..") == 0) {
        char *up = strrchr(pr, '/');
        out = up && up != pr ? tm_xstrndup(pr, (size_t)(up - pr)) : tm_xstrdup("/");
    } else if (pr && (strcmp(base, ".") == 0 || !*base))
        out = tm_xstrdup(pr);
    else if (pr)
        out = tm_xasprintf("%s/%s", strcmp(pr, "/") == 0 ? "" : pr, base);
    free(pr);
    free(parent);
    free(copy);
    if (out) {
        /* what the text names may exist (a link, or a folder reached again
         * after the ".."): resolve it */
        struct stat st;
        char *again = realpath(out, NULL);
        if (again) {
            free(out);
            out = again;
        } else if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t tl = readlink(out, target, sizeof target - 1);
            if (tl > 0) {
                target[tl] = '\0';
                char *dir = tm_xstrdup(out);
                char *s2 = strrchr(dir, '/');
                if (s2)
                    *s2 = '\0';
                char *via = target[0] == '/' ? tm_xstrdup(target)
                                             : tm_xasprintf("%s/%s", s2 && *dir ? dir : "/", target);
                char *r2 = resolve_path_depth(via, depth + 1);
                free(via);
                free(dir);
                if (r2) {
                    free(out);
                    out = r2;
                }
            }
        }
    }
    return out;
}

static char *resolve_path(const char *p)
{
    return resolve_path_depth(p, 0);
}

bool tm_output_inside_input(const char *cmd, const char *dir, char *const *paths, size_t n)
{
    char *out_real = resolve_path(dir);
    bool inside = false;
    for (size_t i = 0; i < n && out_real && !inside; i++) {
        char *in_real = realpath(paths[i], NULL);
        if (in_real) {
            size_t l = strlen(in_real);
            inside = strncmp(out_real, in_real, l) == 0 && (out_real[l] == '/' || out_real[l] == '\0');
            free(in_real);
            if (inside)
                tm_msg_line("%s %s: %s is inside input %s; evidence folders are never written to", tm_prog, cmd,
                        dir, paths[i]);
        }
    }
    free(out_real);
    return inside;
}

size_t tm_plan_jobs(const tm_input *in, int workers, const bool *kinds, const char *(*want)(void *ctx, tm_art_kind k),
                    void *ctx, tm_pool_job **out, size_t batches[4])
{
    size_t cap = in->narts ? in->narts : 1, nj = 0;
    tm_pool_job *jobs = tm_xcalloc(cap, sizeof *jobs);
    for (size_t i = 0; i < in->narts; i++) {
        const tm_artifact *a = &in->arts[i];
        const tm_kind_info *k = tm_kind(a->kind);
        if (!k->parsed || (kinds && !kinds[a->kind]))
            continue; /* transaction logs are read with their hive */
        uint32_t parts = (k->split && a->size >= TM_SPLIT_EVTX_BYTES && workers > 1) ? (uint32_t)workers : 1;
        if (nj + parts > cap) {
            cap = (nj + parts) * 2;
            jobs = tm_xrealloc(jobs, cap * sizeof *jobs);
        }
        const char *w = want ? want(ctx, a->kind) : NULL;
        for (uint32_t p = 0; p < parts; p++)
            jobs[nj++] = (tm_pool_job){.art = a, .all = w == NULL, .want = w, .part = p, .parts = parts};
    }
    /* A stable partition by the kinds' batches: artifact order is kept
     * within a batch. */
    batches[0] = 0;
    batches[3] = nj;
    for (int b = 0; b < 2; b++) {
        size_t k = batches[b];
        for (size_t i = k; i < nj; i++)
            if (tm_kind(jobs[i].art->kind)->batch == b) {
                tm_pool_job t = jobs[i];
                memmove(&jobs[k + 1], &jobs[k], (i - k) * sizeof *jobs);
                jobs[k++] = t;
            }
        batches[b + 1] = k;
    }
    *out = jobs;
    return nj;
}

size_t tm_run_job_batches(tm_input *in, const tm_pool_job *jobs, const size_t batches[4], const tm_pool_opts *o,
                          const tm_pool_cb *cb, size_t *base)
{
    size_t failed = 0;
    for (int b = 0; b < 3; b++) {
        if (batches[b + 1] == batches[b])
            continue;
        *base = batches[b];
        failed += tm_pool_run(in, jobs + batches[b], batches[b + 1] - batches[b], o, cb);
    }
    return failed;
}

bool tm_opt_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        tm_usage_error(cmd, "%s wants a number from %d to %d", opt, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

bool tm_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    /* SIZE with K, M or G (binary); 0 = no budget */
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    unsigned shift = 0;
    if (end && (*end == 'K' || *end == 'k'))
        shift = 10, end++;
    else if (end && (*end == 'M' || *end == 'm'))
        shift = 20, end++;
    else if (end && (*end == 'G' || *end == 'g'))
        shift = 30, end++;
    if (errno || !end || end == arg || *end || (v && v << shift >> shift != v) || (v && (v << shift) < (64ull << 20))) {
        tm_usage_error(cmd, "%s wants a size of at least 64M (e.g. 512M, 2G), or 0 for no budget", opt);
        return false;
    }
    *out = v << shift;
    return true;
}

tm_pool_opts tm_pool_defaults(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return (tm_pool_opts){
        .workers = cores < 1 ? 1 : cores > 256 ? 256 : (int)cores, .timeout_s = 120, .memory = 2ull << 30};
}

int tm_pool_option(const char *cmd, int c, const char *arg, tm_pool_opts *pool)
{
    switch (c) {
    case 'j': return tm_opt_int(cmd, "-j", arg, 1, 256, &pool->workers) ? 1 : -1;
    case 't': return tm_opt_int(cmd, "--worker-timeout", arg, 1, 86400, &pool->timeout_s) ? 1 : -1;
    case 'W': pool->worker = arg; return 1; /* tests: a stand-in worker */
    case 'M': return tm_opt_size(cmd, "--worker-memory", arg, &pool->memory) ? 1 : -1;
    default: return 0;
    }
}

void tm_say_problem(const tm_input *in, const tm_problem *p)
{
    if (strcmp(p->where, in->path) == 0)
        tm_msg("%s: %s", in->path, p->message);
    else
        tm_msg("%s: %s: %s", in->path, p->where, p->message);
}

void tm_note_late_problems(tm_input *in, bool verify, struct tm_errors *errors)
{
    size_t before = in->nproblems;
    if (verify && in->opened) {
        int v = tm_input_verify(in);
        if (v < 0)
            tm_msg("%s: --verify: the input stores no acquisition hash; nothing to verify against", in->path);
        else if (v == 0)
            tm_info("%s: verified: the media matches the hashes the E01 stored", in->path);
    }
    tm_input_recheck(in);
    for (size_t i = before; i < in->nproblems; i++) {
        tm_say_problem(in, &in->problems[i]);
        if (errors)
            tm_errors_add(errors, in->problems[i].scope, in->problems[i].where, -1, TM_POS_NONE, 0, false,
                          in->problems[i].message);
    }
}
