#include "worker/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker/job.h"
#include "worker/jobserver.h"
#include "worker/proto.h"
#include "util/lifetime.h"
#include "util/msg.h"
#include "util/spill.h"

#define MAX_READ (1u << 20)

typedef struct {
    pid_t pid;
    int sock;
    tm_framer fr;
    long job;  /* running job index, -1 idle */
    tm_art_reader *reader;
    double last; /* monotonic seconds of last message */
    tm_read_stats stats;
    uint64_t last_position;
    bool token;  /* its job runs on a jobserver token (not the input's own) */
    bool logged; /* its job's start is in the job log */
} worker;

/* TOOLMARK_JOBLOG=FILE: a line "+" when a job starts and "-" when it ends,
 * appended (atomically) by every input process of the run, so that a test
 * can check that no more jobs ran at once than the worker budget allows. */
static void joblog(char c)
{
    static int fd = -2;
    if (fd == -2) {
        const char *p = getenv("TOOLMARK_JOBLOG");
        fd = p && *p ? open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    }
    if (fd >= 0) {
        char line[2] = {c, '\n'};
        if (write(fd, line, 2) < 0) {
        }
    }
}

/* A worker whose job ended: said in the log, then its token given back. */
static void job_ended(worker *w)
{
    if (w->job >= 0)
        return;
    if (w->logged) {
        joblog('-');
        w->logged = false;
    }
    if (w->token) {
        tm_jobserver_give();
        w->token = false;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

char *tm_worker_path(void)
{
    const char *env = getenv("TOOLMARK_PARSE");
    if (env && *env)
        return tm_xstrdup(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            char *p = tm_xasprintf("%s/toolmark-parse", self);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
#ifdef TM_LIBEXECDIR
            p = tm_xasprintf("%s/toolmark-parse", TM_LIBEXECDIR);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
#endif
        }
    }
    return tm_xstrdup("toolmark-parse");
}

static uint64_t g_memory; /* the run's --worker-memory (spawn and reap read it) */


static int spawn(worker *w, const char *path)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t self = getpid(), pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        tm_die_with_parent(self); /* kept across exec */
        /* A parser that libyal's allocations run away with (a hostile file
         * can ask for gigabytes) fails its allocation instead of taking the
         * machine: the reader reports the record or the file. */
        if (TM_POOL_BUDGET_APPLIES && g_memory) {
            struct rlimit rl = {(rlim_t)g_memory, (rlim_t)g_memory};
            setrlimit(RLIMIT_AS, &rl);
        }
        /* The worker gets the socket as fd 3 and nothing else of ours (image
         * files, other workers' sockets). */
        if (dup2(sv[1], 3) < 0)
            _exit(127);
        close_range(4, ~0U, 0);
        signal(SIGPIPE, SIG_DFL);
        execl(path, "toolmark-parse", "--serve", "3", (char *)NULL);
        tm_msg("cannot run parser worker %s: %s", path, strerror(errno));
        _exit(127);
    }
    close(sv[1]);
    w->pid = pid;
    tm_rss_watch(pid); /* its memory counts against the input's --memory budget */
    w->sock = sv[0];
    tm_framer_init(&w->fr);
    w->job = -1;
    w->last = now_s();
    return 0;
}

/* Reaps a worker; describes how it ended. */
static void reap(worker *w, bool kill_it, char *why, size_t n)
{
    if (w->pid <= 0)
        return;
    int status = 0;
    /* A worker that already died is not killed again: its own end is the
     * one to report. */
    pid_t gone = waitpid(w->pid, &status, WNOHANG);
    if (kill_it && gone == 0)
        kill(w->pid, SIGKILL);
    close(w->sock);
    w->sock = -1;
    if (gone == 0)
        while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (why) {
        if (WIFSIGNALED(status))
            snprintf(why, n, "parser worker died (%s)", strsignal(WTERMSIG(status)));
        else if (WIFEXITED(status) && WEXITSTATUS(status) == TM_WORKER_EXIT_MEMORY)
            snprintf(why, n, "parser worker ran out of its memory budget (--worker-memory %llu MiB)",
                     (unsigned long long)(g_memory >> 20));
        else if (WIFEXITED(status))
            snprintf(why, n, "parser worker exited with status %d", WEXITSTATUS(status));
    }
    tm_framer_free(&w->fr);
    tm_rss_unwatch(w->pid);
    w->pid = 0;
}

static void finish_job(worker *w, const tm_pool_cb *cb, bool failed, const char *why)
{
    if (w->job >= 0 && cb->on_done)
        cb->on_done(cb->ctx, (size_t)w->job, &w->stats, failed, why);
    tm_art_close(w->reader);
    w->reader = NULL;
    w->job = -1;
}

static void fail_worker(worker *w, const tm_pool_cb *cb, bool kill_it, const char *reason)
{
    char why[256] = "";
    reap(w, kill_it, why, sizeof why);
    char msg[600];
    snprintf(msg, sizeof msg, "%s%s%s (records delivered before: %llu)", reason, *why ? ": " : "", why,
             (unsigned long long)w->stats.records);
    finish_job(w, cb, true, msg);
}

static int start_job(worker *w, tm_input *in, const tm_pool_job *pj, size_t idx, const tm_pool_cb *cb, char *err,
                     size_t errlen)
{
    const tm_artifact *a = pj->art;
    w->reader = tm_art_open(in, a, err, errlen);
    if (!w->reader)
        return -1;
    const tm_extent *ext;
    size_t next = tm_art_extents(w->reader, &ext);
    const char *base = strrchr(a->path, '/');
    tm_job job = {.kind = a->kind,
                  .path = a->path,
                  .name = base ? base + 1 : a->path,
                  .user = a->user,
                  .subtype = a->subtype,
                  .size = tm_art_size(w->reader),
                  .extents = ext,
                  .nextents = next,
                  .part = pj->part,
                  .parts = pj->parts,
                  .all = pj->all,
                  .want = pj->want,
                  .crtime = a->times.crtime,
                  .mtime = a->times.mtime};
    int fd = tm_art_fd(w->reader);
    tm_buf b;
    tm_buf_init(&b);
    size_t s = tm_frame_begin(&b, TM_MSG_JOB);
    tm_job_encode(&b, &job, fd >= 0 ? TM_JOB_BYTES_FD : TM_JOB_BYTES_REMOTE);
    tm_frame_end(&b, s);
    int rc = fd >= 0 ? tm_send_with_fd(w->sock, b.data, b.len, fd) : tm_write_all(w->sock, b.data, b.len);
    tm_buf_free(&b);
    (void)cb;
    if (rc != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot hand the job to a parser worker: %s", strerror(e));
        tm_art_close(w->reader);
        w->reader = NULL;
        errno = e;
        return -1;
    }
    tm_read_stats_init(&w->stats);
    w->job = (long)idx;
    w->last = now_s();
    return 0;
}

/* What this process moved for its workers (the benchmark's I/O figures). */
static tm_pool_io g_io;

tm_pool_io tm_pool_io_totals(void)
{
    return g_io;
}

static int serve_read(worker *w, const uint8_t *p, uint32_t len)
{
    tm_span sp = {p, len, false};
    uint64_t off = tm_span_u64(&sp);
    uint32_t want = tm_span_u32(&sp);
    if (sp.bad || !w->reader)
        return -1;
    if (want > MAX_READ)
        want = MAX_READ;
    tm_buf b;
    tm_buf_init(&b);
    size_t s = tm_frame_begin(&b, TM_MSG_DATA);
    tm_buf_put_u64(&b, off);
    tm_buf_reserve(&b, want);
    ssize_t n = tm_art_read(w->reader, off, b.data + b.len, want);
    if (n < 0) {
        b.len = s;
        s = tm_frame_begin(&b, TM_MSG_DATA_ERR);
        tm_buf_put_u64(&b, off);
        tm_buf_puts(&b, tm_art_error(w->reader));
    } else {
        b.len += (size_t)n;
        g_io.served += (uint64_t)n;
    }
    tm_frame_end(&b, s);
    int rc = tm_write_all(w->sock, b.data, b.len);
    tm_buf_free(&b);
    return rc;
}

/* Handles all complete frames; returns -1 when the worker misbehaved. */
static int drain(worker *w, const tm_pool_cb *cb, tm_fields_scratch *scratch)
{
    uint32_t type, len;
    const uint8_t *p;
    int got;
    while ((got = tm_framer_next(&w->fr, &type, &p, &len)) == 1) {
        if (w->job < 0)
            return -1; /* nothing was asked */
        switch (type) {
        case TM_MSG_READ:
            if (serve_read(w, p, len) != 0)
                return -1;
            break;
        case TM_MSG_RECORD: {
            tm_record r;
            if (!tm_record_decode(p, len, scratch, &r))
                return -1;
            w->stats.records++;
            w->last_position = r.position;
            if (cb->on_record)
                cb->on_record(cb->ctx, (size_t)w->job, &r);
            break;
        }
        case TM_MSG_PROBLEM: {
            size_t nf, used;
            if (!tm_fields_decode(p, len, scratch, &nf, &used))
                return -1;
            const tm_field *m = tm_field_get(scratch->fields, nf, "message");
            const tm_field *pos = tm_field_get(scratch->fields, nf, "position");
            const tm_field *pk = tm_field_get(scratch->fields, nf, "position_kind");
            const tm_field *fatal = tm_field_get(scratch->fields, nf, "fatal");
            tm_pos_kind kind = pos && pos->type == TM_F_UINT && pk && pk->type == TM_F_UINT && pk->v.u < TM_POS__COUNT
                                   ? (tm_pos_kind)pk->v.u
                                   : TM_POS_NONE; /* a worker is not trusted to name a kind that exists */
            if (cb->on_problem)
                cb->on_problem(cb->ctx, (size_t)w->job, kind, kind != TM_POS_NONE ? pos->v.u : 0,
                               fatal && fatal->type == TM_F_BOOL && fatal->v.b,
                               m && m->type == TM_F_STR ? m->v.str.s : "(no message)");
            break;
        }
        case TM_MSG_PROGRESS:
            break;
        case TM_MSG_DONE: {
            tm_read_stats st;
            int status;
            if (!tm_done_decode(p, len, scratch, &status, &st))
                return -1;
            bool failed = status != 0;
            w->stats = st;
            finish_job(w, cb, failed, failed ? "the artifact could not be read" : NULL);
            break;
        }
        default:
            return -1;
        }
    }
    return got < 0 ? -1 : 0;
}

/* A job that never reached a worker: reported done, failed, with nothing read. */
static void job_failed(const tm_pool_cb *cb, size_t job, const char *msg)
{
    tm_read_stats st;
    tm_read_stats_init(&st);
    if (cb->on_done)
        cb->on_done(cb->ctx, job, &st, true, msg);
}

size_t tm_pool_run(tm_input *in, const tm_pool_job *jobs, size_t njobs, const tm_pool_opts *o, const tm_pool_cb *cb)
{
    int nw = o->workers > 0 ? o->workers : 1;
    if ((size_t)nw > njobs)
        nw = njobs ? (int)njobs : 1;
    int timeout = o->timeout_s > 0 ? o->timeout_s : 120;
    g_memory = o->memory;
    char *path = o->worker ? tm_xstrdup(o->worker) : tm_worker_path();
    worker *ws = tm_xcalloc((size_t)nw, sizeof *ws);
    struct pollfd *pfd = tm_xcalloc((size_t)nw + 1, sizeof *pfd);
    tm_fields_scratch scratch = {0};
    size_t next = 0, failed = 0, done = 0;
    /* Count failures through the callback wrapper. */
    for (int i = 0; i < nw; i++)
        ws[i].job = -1;

    while (done < njobs) {
        /* Hand out jobs to idle workers: the first running job on the
         * input's own token, each further one on a jobserver token. */
        bool want_token = false;
        for (int i = 0; i < nw && next < njobs; i++) {
            worker *w = &ws[i];
            if (w->job >= 0)
                continue;
            int running = 0;
            for (int k = 0; k < nw; k++)
                running += ws[k].job >= 0;
            if (running > 0 && tm_jobserver_active()) {
                if (!tm_jobserver_take()) {
                    want_token = true;
                    break;
                }
                w->token = true;
            }
            if (w->pid <= 0 && spawn(w, path) != 0) {
                char msg[300];
                snprintf(msg, sizeof msg, "cannot start a parser worker: %s", strerror(errno));
                job_failed(cb, next, msg);
                next++;
                done++;
                failed++;
                continue;
            }
            char err[300];
            if (start_job(w, in, &jobs[next], next, cb, err, sizeof err) != 0) {
                /* A worker that cannot take a job is suspect: replace it,
                 * and say how it ended if it died first. */
                char why[200] = "";
                bool died = errno == EPIPE || errno == ECONNRESET;
                reap(w, true, why, sizeof why);
                char msg[520];
                if (died && why[0])
                    snprintf(msg, sizeof msg, "parse job failed: %s before taking the job", why);
                else
                    snprintf(msg, sizeof msg, "%s", err);
                job_failed(cb, next, msg);
                next++;
                done++;
                failed++;
                continue;
            }
            joblog('+');
            w->logged = true;
            next++;
        }
        int active = 0;
        for (int i = 0; i < nw; i++) {
            job_ended(&ws[i]); /* a job that ended in a failure, or never started */
            pfd[i].fd = ws[i].job >= 0 ? ws[i].sock : -1;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            active += ws[i].job >= 0;
        }
        /* waiting for a token too: wake when another process gives one */
        pfd[nw] = (struct pollfd){.fd = want_token ? tm_jobserver_fd() : -1, .events = POLLIN};
        if (!active)
            continue;
        double t = now_s();
        double wait = timeout;
        for (int i = 0; i < nw; i++)
            if (ws[i].job >= 0 && ws[i].last + timeout - t < wait)
                wait = ws[i].last + timeout - t;
        int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        int pr = poll(pfd, (nfds_t)nw + 1, ms);
        if (pr < 0 && errno != EINTR)
            break;
        t = now_s();
        for (int i = 0; i < nw; i++) {
            worker *w = &ws[i];
            if (w->job < 0)
                continue;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                long n = tm_framer_fill(&w->fr, w->sock);
                if (n > 0)
                    g_io.received += (uint64_t)n;
                if (n < 0 && errno == EAGAIN)
                    continue;
                if (n <= 0) {
                    fail_worker(w, cb, false, "parse job failed");
                    done++;
                    failed++;
                    continue;
                }
                w->last = t;
                long before = w->job;
                if (drain(w, cb, &scratch) != 0) {
                    fail_worker(w, cb, true, "parser worker sent malformed data");
                    done++;
                    failed++;
                    continue;
                }
                if (before >= 0 && w->job < 0) {
                    done++;
                    /* on_done was told whether it failed. */
                }
                job_ended(w);
            } else if (t - w->last > timeout) {
                char reason[128];
                snprintf(reason, sizeof reason, "no progress for %d s: parser worker killed", timeout);
                fail_worker(w, cb, true, reason);
                done++;
                failed++;
            }
            job_ended(w);
        }
    }
    for (int i = 0; i < nw; i++) {
        ws[i].job = -1;
        job_ended(&ws[i]);
    }
    for (int i = 0; i < nw; i++)
        if (ws[i].pid > 0)
            reap(&ws[i], false, NULL, 0);
    tm_fields_scratch_free(&scratch);
    free(ws);
    free(pfd);
    free(path);
    return failed;
}
