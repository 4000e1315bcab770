/* toolmark-parse: the parser worker. Links the libyal parsers and libxml2,
 * never libtsk/libewf (docs/architecture.md explains why).
 *
 *   toolmark-parse --serve FD     internal: jobs from the input process on FD
 *   toolmark-parse KIND FILE...   standalone: parse files, records as JSON lines
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libbfio.h>
#include <libevtx.h>
#include <libregf.h>
#include <libscca.h>
#include <libxml/parser.h>

#include "readers/reader.h"
#include "worker/job.h"
#include "worker/proto.h"
#include "model/record_json.h"
#include "util/msg.h"

/* ---- remote source: bytes from the coordinator's read server ---------------- */

#define BLOCK (256u << 10)
#define NBLOCKS 4

typedef struct {
    tm_source base;
    int sock;
    tm_framer *fr;
    struct {
        uint64_t off;
        size_t len;
        uint64_t age;
        uint8_t *data;
    } cache[NBLOCKS];
    uint64_t clock;
} remote_source;

static int fetch(remote_source *r, uint64_t off, int slot)
{
    tm_buf req;
    tm_buf_init(&req);
    size_t s = tm_frame_begin(&req, TM_MSG_READ);
    tm_buf_put_u64(&req, off);
    tm_buf_put_u32(&req, BLOCK);
    tm_frame_end(&req, s);
    int rc = tm_write_all(r->sock, req.data, req.len);
    tm_buf_free(&req);
    if (rc != 0) {
        snprintf(r->base.err, sizeof r->base.err, "read request failed: %s", strerror(errno));
        return -1;
    }
    for (;;) {
        uint32_t type, len;
        const uint8_t *p;
        int got = tm_framer_next(r->fr, &type, &p, &len);
        if (got < 0)
            return -1;
        if (got == 0) {
            if (tm_framer_fill(r->fr, r->sock) <= 0) {
                snprintf(r->base.err, sizeof r->base.err, "read server went away");
                return -1;
            }
            continue;
        }
        tm_span sp = {p, len, false};
        uint64_t at = tm_span_u64(&sp);
        if (sp.bad || at != off)
            return -1;
        if (type == TM_MSG_DATA_ERR) {
            snprintf(r->base.err, sizeof r->base.err, "%.*s", (int)sp.n, (const char *)sp.p);
            return -1;
        }
        if (type != TM_MSG_DATA || sp.n > BLOCK)
            return -1;
        memcpy(r->cache[slot].data, sp.p, sp.n);
        r->cache[slot].off = off;
        r->cache[slot].len = sp.n;
        r->cache[slot].age = ++r->clock;
        return 0;
    }
}

static ssize_t remote_read(tm_source *s, uint64_t off, void *buf, size_t len)
{
    remote_source *r = (remote_source *)s;
    uint64_t base = off - off % BLOCK;
    int slot = -1, oldest = 0;
    for (int i = 0; i < NBLOCKS; i++) {
        if (r->cache[i].len && r->cache[i].off == base) {
            slot = i;
            break;
        }
        if (r->cache[i].age < r->cache[oldest].age)
            oldest = i;
    }
    if (slot < 0) {
        slot = oldest;
        r->cache[slot].len = 0;
        if (fetch(r, base, slot) != 0)
            return -1;
    }
    r->cache[slot].age = ++r->clock;
    uint64_t in = off - base;
    if (in >= r->cache[slot].len)
        return 0;
    size_t n = r->cache[slot].len - (size_t)in;
    if (n > len)
        n = len;
    memcpy(buf, r->cache[slot].data + in, n);
    return (ssize_t)n;
}

static void remote_close(tm_source *s)
{
    remote_source *r = (remote_source *)s;
    for (int i = 0; i < NBLOCKS; i++)
        free(r->cache[i].data);
    free(r);
}

static tm_source *remote_source_new(int sock, tm_framer *fr, uint64_t size)
{
    remote_source *r = tm_xcalloc(1, sizeof *r);
    r->base.read = remote_read;
    r->base.close = remote_close;
    r->base.size = size;
    r->sock = sock;
    r->fr = fr;
    for (int i = 0; i < NBLOCKS; i++)
        r->cache[i].data = tm_xmalloc(BLOCK);
    return &r->base;
}

/* ---- serve mode ------------------------------------------------------------- */

static int g_sock = -1;
static tm_emit *g_emit; /* the batch a fault handler sends */

/* A library's fault (libfwevt on crafted binary XML, say) kills the worker,
 * but the records read before it are not lost with the batch: the whole
 * frames in it go to the coordinator first (write(2) only, on a stack of
 * its own in case the fault was a stack overflow), then the signal takes
 * its course and the coordinator reports the artifact. Sanitizer builds
 * send them from the sanitizer's death callback instead, which keeps the
 * sanitizer's report. */
static void send_whole_frames(void)
{
    if (!g_emit || g_sock < 0)
        return;
    const char *p = g_emit->out.data;
    size_t n = g_emit->whole;
    while (n > 0) {
        ssize_t w = write(g_sock, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    g_emit->whole = 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define TM_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TM_SANITIZED_BUILD 1
#endif
#endif

#ifdef TM_SANITIZED_BUILD
#include <sanitizer/common_interface_defs.h>
static void install_fault_handler(void)
{
    __sanitizer_set_death_callback(send_whole_frames);
}
#else
static void on_fault(int sig)
{
    int saved = errno;
    send_whole_frames();
    errno = saved;
    raise(sig); /* SA_RESETHAND: the default action, once this returns */
}

static void install_fault_handler(void)
{
    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
}
#endif

/* TOOLMARK_TEST_WORKER_FAULT=N:SUFFIX (tests): the job of an artifact whose
 * path ends in SUFFIX faults after its Nth record. */
static uint64_t test_fault_at(const tm_job *job, uint64_t records_so_far)
{
    const char *v = getenv("TOOLMARK_TEST_WORKER_FAULT");
    if (!v || !job->path)
        return 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (n == 0 || *end != ':')
        return 0;
    size_t sl = strlen(end + 1), pl = strlen(job->path);
    if (sl > pl || strcmp(job->path + pl - sl, end + 1) != 0)
        return 0;
    return records_so_far + n;
}

static void sock_flush(tm_emit *e)
{
    if (tm_write_all(g_sock, e->out.data, e->out.len) != 0)
        _exit(3); /* the coordinator is gone: nothing left to do */
}

static void send_done(int rc, const tm_read_stats *st)
{
    tm_buf b;
    tm_buf_init(&b);
    size_t s = tm_frame_begin(&b, TM_MSG_DONE);
    tm_done_encode(&b, rc, st);
    tm_frame_end(&b, s);
    if (tm_write_all(g_sock, b.data, b.len) != 0)
        _exit(3);
    tm_buf_free(&b);
}

/* The parsers' libraries, as loaded: "NAME VERSION" lines (toolmark asks
 * once per run: --version, summary.json's run record). */
static void versions(char *out, size_t n)
{
    int xv = atoi(xmlParserVersion);
    snprintf(out, n, "libevtx %s\nlibregf %s\nlibscca %s\nlibbfio %s\nlibxml2 %d.%d.%d\n", libevtx_get_version(),
             libregf_get_version(), libscca_get_version(), libbfio_get_version(), xv / 10000, xv / 100 % 100, xv % 100);
}

static int serve(int sock)
{
    g_sock = sock;
    tm_framer fr;
    tm_framer_init(&fr);
    tm_emit emit = {0};
    tm_buf_init(&emit.out);
    emit.flush = sock_flush;
    g_emit = &emit;
    install_fault_handler();
    for (;;) {
        uint32_t type, len;
        const uint8_t *p;
        int got = tm_framer_next(&fr, &type, &p, &len);
        if (got < 0)
            return 2;
        if (got == 0) {
            long n = tm_framer_fill(&fr, sock);
            if (n == 0)
                break; /* coordinator closed: done */
            if (n < 0)
                return 2;
            continue;
        }
        if (type != TM_MSG_JOB)
            return 2;
        tm_job_owned jo;
        if (!tm_job_decode(p, len, &jo))
            return 2;
        tm_source *src;
        if (jo.mode == TM_JOB_BYTES_FD) {
            int fd = fr.pending_fd;
            fr.pending_fd = -1;
            if (fd < 0)
                return 2;
            src = tm_source_fd(fd, jo.job.size);
        } else {
            src = remote_source_new(sock, &fr, jo.job.size);
        }
        tm_read_stats st;
        tm_read_stats_init(&st);
        int rc = -1;
        const tm_reader *rd = tm_reader_for(jo.job.kind);
        if (!rd)
            tm_emit_problem(&emit, TM_POS_NONE, 0, true, "no reader for %s artifacts yet", tm_art_kind_name(jo.job.kind));
        else {
            emit.fault_at = test_fault_at(&jo.job, emit.records);
            rc = rd->run(&jo.job, src, &emit, &st);
        }
        tm_emit_flush(&emit);
        send_done(rc, &st);
        tm_source_close(src);
        tm_job_owned_free(&jo);
    }
    g_emit = NULL;
    tm_buf_free(&emit.out);
    tm_framer_free(&fr);
    return 0;
}

/* ---- standalone mode ---------------------------------------------------------- */

static const char *g_path;
static int g_problems;

static void print_frames(tm_emit *e)
{
    tm_buf out;
    tm_buf_init(&out);
    tm_fields_scratch scratch = {0};
    tm_span sp = {(const uint8_t *)e->out.data, e->out.len, false};
    while (sp.n >= TM_FRAME_HDR) {
        uint32_t type = tm_span_u32(&sp);
        uint32_t len = tm_span_u32(&sp);
        const uint8_t *p = tm_span_bytes(&sp, len);
        if (!p)
            break;
        if (type == TM_MSG_RECORD) {
            tm_record r;
            if (tm_record_decode(p, len, &scratch, &r)) {
                tm_record_origin o = {NULL, NULL, NULL, g_path, NULL, NULL};
                tm_record_json(&out, &r, &o, NULL, 0);
            }
        } else if (type == TM_MSG_PROBLEM) {
            size_t nf, used;
            if (tm_fields_decode(p, len, &scratch, &nf, &used)) {
                const tm_field *m = tm_field_get(scratch.fields, nf, "message");
                tm_msg("%s: %s", g_path, m && m->type == TM_F_STR ? m->v.str.s : "?");
                g_problems++;
            }
        }
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    tm_buf_free(&out);
    tm_fields_scratch_free(&scratch);
}

/* Hive subtype from a file name, as the locator would name it. */
/* The subtype (hive name) of a file read on its own, as its header says. */
static const char *subtype_of(tm_art_kind kind, int fd, const char *path)
{
    const tm_signature *sig = &tm_kind(kind)->signature;
    if (!sig->subtype)
        return NULL;
    unsigned char head[512];
    ssize_t n = pread(fd, head, sizeof head, 0);
    const char *base = strrchr(path, '/');
    return sig->subtype(head, n > 0 ? (size_t)n : 0, base ? base + 1 : path);
}

static const char *g_want; /* --want: subscription instead of every record */
static bool g_count;        /* --count: count records, print nothing (benchmarks) */
static bool g_libevtx;      /* --libevtx: EVTX through libevtx alone (comparison) */

static void count_frames(tm_emit *e)
{
    (void)e;
}

static int standalone(const char *kind_name, int n, char **files)
{
    int kind = tm_art_kind_from_name(kind_name);
    const tm_reader *rd = kind >= 0 ? tm_reader_for((tm_art_kind)kind) : NULL;
    if (!rd) {
        tm_msg("no reader for '%s'", kind_name);
        return 2;
    }
    int worst = 0;
    for (int i = 0; i < n; i++) {
        g_path = files[i];
        g_problems = 0;
        int fd = open(files[i], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            tm_msg("%s: %s", files[i], strerror(errno));
            worst = 1;
            if (fd >= 0)
                close(fd);
            continue;
        }
        tm_source *src = tm_source_fd(fd, (uint64_t)st.st_size);
        tm_emit emit = {0};
        tm_buf_init(&emit.out);
        emit.flush = g_count ? count_frames : print_frames;
        tm_job job = {.kind = (tm_art_kind)kind, .path = files[i], .name = files[i], .size = (uint64_t)st.st_size,
                      .all = g_want == NULL, .want = g_want, .crtime = INT64_MIN, .mtime = INT64_MIN};
        job.subtype = subtype_of((tm_art_kind)kind, fd, files[i]);
        job.libevtx_only = g_libevtx;
        tm_read_stats rs;
        tm_read_stats_init(&rs);
        int rc = rd->run(&job, src, &emit, &rs);
        tm_emit_flush(&emit);
        tm_buf_free(&emit.out);
        tm_source_close(src);
        if (g_count) {
            tm_buf line;
            tm_buf_init(&line);
            tm_buf_term_line(&line, "%s: %llu records delivered, %llu read but not wanted, %llu unreadable", files[i],
                             (unsigned long long)rs.records, (unsigned long long)rs.filtered,
                             (unsigned long long)rs.skipped);
            fwrite(line.data, 1, line.len, stdout);
            tm_buf_free(&line);
        }
        if (rc != 0 || g_problems)
            worst = 1;
    }
    return worst;
}

int main(int argc, char **argv)
{
    tm_prog = "toolmark-parse";
    tm_set_oom_exit(TM_WORKER_EXIT_MEMORY);
    xmlInitParser();
    int rc;
    if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
        rc = serve(atoi(argv[2]));
    } else if (argc == 2 && strcmp(argv[1], "--versions") == 0) {
        char v[512];
        versions(v, sizeof v);
        fputs(v, stdout);
        rc = 0;
    } else {
        int i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
            if (strcmp(argv[i], "--count") == 0)
                g_count = true;
            else if (strcmp(argv[i], "--libevtx") == 0)
                g_libevtx = true;
            else if (strcmp(argv[i], "--want") == 0 && i + 1 < argc)
                g_want = argv[++i];
            else
                break;
        }
        if (argc - i >= 2 && argv[i][0] != '-')
            rc = standalone(argv[i], argc - i - 1, argv + i + 1);
        else
            rc = -1;
    }
    if (rc == -1) {
        fprintf(stderr, "usage: toolmark-parse [--count] [--libevtx] [--want 'CHANNEL<TAB>ID\\n...'] KIND FILE...\n"
                        "  KIND: evtx, registry, usn, atjob, task, psreadline, prefetch\n");
        rc = 2;
    }
    xmlCleanupParser();
    return rc;
}
