/* Progress on the terminal. Each input runs in its own process; when stderr
 * is a terminal, each gets a pipe to the supervisor and sends it, as
 * frames, what it has done (artifacts, bytes, records, traces, its phase)
 * and the lines it would print. The supervisor keeps one status line at the
 * bottom of the terminal, redrawn in place, and prints the inputs' lines
 * above it. Elsewhere (a log file, a pipe) nothing of this runs: each input
 * prints its own lines, one per finished input.
 *
 * A frame: one byte of type, four of length (little-endian), the payload.
 * 'O' a line for stdout, 'E' one for stderr, 'P' the progress as text:
 * "phase\tartifacts_done\tartifacts\tbytes_done\tbytes\trecords\ttraces". */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/text.h"
#include "worker/jobserver.h"

bool tm_progress_on;

/* ---- the input process's side ---------------------------------------------------- */

static int g_fd = -1;
static struct {
    char phase[32];
    uint64_t arts_done, arts, bytes_done, bytes, records, traces;
    double last_sent;
} g_st;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void send_frame(char type, const char *p, size_t n)
{
    if (g_fd < 0)
        return;
    uint8_t h[5] = {(uint8_t)type, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    tm_buf f;
    tm_buf_init(&f);
    tm_buf_put(&f, h, sizeof h);
    tm_buf_put(&f, p, n);
    size_t off = 0;
    while (off < f.len) {
        ssize_t w = write(g_fd, f.data + off, f.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) { /* the supervisor is gone: say nothing more */
            g_fd = -1;
            break;
        }
        off += (size_t)w;
    }
    tm_buf_free(&f);
}

static void sink(int fd, const char *text, size_t len)
{
    send_frame(fd == 1 ? 'O' : 'E', text, len);
}

/* the tokens this process takes from the jobserver and gives back */
static void token_note(int delta)
{
    send_frame(delta > 0 ? 'T' : 't', "", 0);
}

static void send_progress(bool now)
{
    if (!tm_progress_on)
        return; /* nobody draws it */
    double t = mono();
    if (!now && t - g_st.last_sent < 0.1)
        return; /* ten a second is all a terminal needs */
    g_st.last_sent = t;
    char p[256];
    int n = snprintf(p, sizeof p, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64,
                     g_st.phase, g_st.arts_done, g_st.arts, g_st.bytes_done, g_st.bytes, g_st.records, g_st.traces);
    send_frame('P', p, (size_t)n);
}

void tm_status_child_init(int fd, bool lines)
{
    g_fd = fd;
    memset(&g_st, 0, sizeof g_st);
    if (fd >= 0 && lines)
        tm_msg_sink = sink;
    if (fd >= 0 && tm_jobserver_active())
        tm_jobserver_note = token_note;
}

void tm_status_phase(const char *phase)
{
    if (g_fd < 0)
        return;
    snprintf(g_st.phase, sizeof g_st.phase, "%s", phase);
    send_progress(true);
}

void tm_status_plan(uint64_t artifacts, uint64_t bytes)
{
    g_st.arts = artifacts;
    g_st.bytes = bytes;
    send_progress(true);
}

void tm_status_record(void)
{
    g_st.records++;
    if (g_fd >= 0 && (g_st.records & 1023) == 0)
        send_progress(false);
}

void tm_status_done(uint64_t bytes, bool artifact_done)
{
    g_st.bytes_done += bytes;
    g_st.arts_done += artifact_done;
    send_progress(false);
}

void tm_status_traces(uint64_t traces)
{
    g_st.traces = traces;
    send_progress(true);
}

/* ---- the supervisor's side ---------------------------------------------------------- */

typedef struct {
    const char *path;
    int fd;           /* -1 when not running */
    bool started, finished;
    tm_buf in;        /* bytes of a frame not complete yet */
    char phase[32];
    uint64_t arts_done, arts, bytes_done, bytes, records, traces;
    int tokens; /* jobserver tokens it holds besides its own (what it said it takes) */
} input_state;

struct tm_progress {
    input_state *in;
    size_t n;
    double t0;
    bool drawn;
};

tm_progress *tm_progress_new(char *const *paths, size_t n)
{
    tm_progress *p = tm_xcalloc(1, sizeof *p);
    p->in = tm_xcalloc(n ? n : 1, sizeof *p->in);
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        p->in[i].path = paths[i];
        p->in[i].fd = -1;
        tm_buf_init(&p->in[i].in);
    }
    p->t0 = mono();
    return p;
}

void tm_progress_free(tm_progress *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        tm_buf_free(&p->in[i].in);
    free(p->in);
    free(p);
}

void tm_progress_started(tm_progress *p, size_t i, int fd)
{
    p->in[i].fd = fd;
    p->in[i].started = true;
    snprintf(p->in[i].phase, sizeof p->in[i].phase, "opening");
}

static void clear_line(tm_progress *p)
{
    if (p && p->drawn) {
        static const char clr[] = "\r\033[K";
        if (write(STDERR_FILENO, clr, sizeof clr - 1) < 0) {
        }
        p->drawn = false;
    }
}

static void fmt_count(char *out, size_t n, uint64_t v)
{
    if (v >= 10000000)
        snprintf(out, n, "%.0fM", v / 1e6);
    else if (v >= 1000000)
        snprintf(out, n, "%.1fM", v / 1e6);
    else if (v >= 10000)
        snprintf(out, n, "%.0fk", v / 1e3);
    else
        snprintf(out, n, "%" PRIu64, v);
}

static void fmt_secs(char *out, size_t n, double s)
{
    long v = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0; /* more than 115 days is not an estimate */
    int h = (int)(v / 3600), m = (int)(v / 60 % 60), sec = (int)(v % 60);
    if (h)
        snprintf(out, n, "%d:%02d:%02d", h, m, sec);
    else
        snprintf(out, n, "%02d:%02d", m, sec);
}

/* "[2/5] ws02.E01 parsing 12/40 artifacts 31% | 1.2M records, 37 traces | 01:23, about 02:10 left" */
static void draw(tm_progress *p)
{
    size_t done = 0, running = 0;
    uint64_t records = 0, traces = 0;
    double frac = 0;
    const input_state *show = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const input_state *s = &p->in[i];
        records += s->records;
        traces += s->traces;
        if (s->finished) {
            done++;
            frac += 1;
        } else if (s->started) {
            running++;
            double f = s->bytes ? (double)s->bytes_done / (double)s->bytes : 0;
            frac += f > 1 ? 1 : f;
            if (!show)
                show = s;
        }
    }
    frac /= p->n ? (double)p->n : 1;
    double el = mono() - p->t0;
    tm_buf line;
    tm_buf_init(&line);
    char rec[16], tr[16], e[24], left[24];
    fmt_count(rec, sizeof rec, records);
    fmt_count(tr, sizeof tr, traces);
    fmt_secs(e, sizeof e, el);
    tm_buf_printf(&line, "[%zu/%zu]", done, p->n);
    if (show) {
        const char *base = strrchr(show->path, '/');
        tm_buf_printf(&line, " %s %s", base && base[1] ? base + 1 : show->path, show->phase);
        if (show->arts)
            tm_buf_printf(&line, " %" PRIu64 "/%" PRIu64 " artifacts", show->arts_done, show->arts);
        if (running > 1)
            tm_buf_printf(&line, " (+%zu running)", running - 1);
    }
    tm_buf_printf(&line, " | %s records, %s traces | %s", rec, tr, e);
    if (frac > 0.02 && frac < 1) {
        fmt_secs(left, sizeof left, el * (1 - frac) / frac);
        tm_buf_printf(&line, ", about %s left", left);
    }
    /* one terminal line: cut to its width, evidence names escaped */
    struct winsize ws;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 79;
    tm_buf out;
    tm_buf_init(&out);
    tm_buf_puts(&out, "\r\033[K");
    size_t start = out.len;
    tm_put_terminal(&out, line.data, line.len);
    if (out.len - start > width) {
        out.len = start + width; /* about a column a byte; never half a character */
        while (out.len > start && ((unsigned char)out.data[out.len] & 0xC0) == 0x80)
            out.len--;
    }
    tm_msg_flush(STDERR_FILENO, &out);
    p->drawn = true;
    tm_buf_free(&out);
    tm_buf_free(&line);
}

static void handle_frame(tm_progress *p, input_state *s, char type, const char *d, size_t n)
{
    if (type == 'O' || type == 'E') {
        clear_line(p);
        int fd = type == 'O' ? STDOUT_FILENO : STDERR_FILENO;
        if (fd == STDOUT_FILENO)
            fflush(stdout);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, d + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    } else if (type == 'T') {
        s->tokens++;
    } else if (type == 't') {
        s->tokens--;
    } else if (type == 'P') {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), d);
        char phase[32] = "";
        unsigned long long v[6] = {0};
        if (sscanf(buf, "%31[^\t]\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu", phase, &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5]) == 7) {
            snprintf(s->phase, sizeof s->phase, "%s", phase);
            s->arts_done = v[0];
            s->arts = v[1];
            s->bytes_done = v[2];
            s->bytes = v[3];
            s->records = v[4];
            s->traces = v[5];
        }
    }
}

/* Reads what input i sent; false at its end (its process has exited or is
 * about to). */
static bool read_input(tm_progress *p, input_state *s)
{
    char b[8192];
    ssize_t r = read(s->fd, b, sizeof b);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (r <= 0)
        return false;
    tm_buf_put(&s->in, b, (size_t)r);
    size_t off = 0;
    while (s->in.len - off >= 5) {
        const uint8_t *h = (const uint8_t *)s->in.data + off;
        size_t len = (size_t)h[1] | (size_t)h[2] << 8 | (size_t)h[3] << 16 | (size_t)h[4] << 24;
        if (len > (16u << 20))
            return false; /* not ours: stop listening to it */
        if (s->in.len - off - 5 < len)
            break;
        handle_frame(p, s, (char)h[0], (const char *)h + 5, len);
        off += 5 + len;
    }
    memmove(s->in.data, s->in.data + off, s->in.len - off);
    s->in.len -= off;
    return true;
}

int tm_progress_wait(tm_progress *p, int timeout_ms)
{
    struct pollfd *fds = tm_xcalloc(p->n ? p->n : 1, sizeof *fds);
    size_t *who = tm_xcalloc(p->n ? p->n : 1, sizeof *who), nf = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->in[i].fd >= 0) {
            fds[nf] = (struct pollfd){.fd = p->in[i].fd, .events = POLLIN};
            who[nf++] = i;
        }
    int ended = -1;
    if (nf && poll(fds, nf, timeout_ms) > 0)
        for (size_t k = 0; k < nf && ended < 0; k++)
            if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                input_state *s = &p->in[who[k]];
                if (!read_input(p, s)) {
                    close(s->fd);
                    s->fd = -1;
                    s->finished = true;
                    ended = (int)who[k];
                }
            }
    free(fds);
    free(who);
    if (tm_progress_on)
        draw(p);
    return ended;
}

int tm_progress_tokens_held(tm_progress *p)
{
    /* what is in the pipes first: a process says what it takes before taking it */
    for (size_t i = 0; i < p->n; i++)
        while (p->in[i].fd >= 0) {
            struct pollfd f = {.fd = p->in[i].fd, .events = POLLIN};
            if (poll(&f, 1, 0) <= 0 || !(f.revents & POLLIN) || !read_input(p, &p->in[i]))
                break;
        }
    int held = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->in[i].started && !p->in[i].finished)
            held += 1 + (p->in[i].tokens > 0 ? p->in[i].tokens : 0);
    return held;
}

void tm_progress_finished(tm_progress *p, size_t i)
{
    if (i >= p->n)
        return;
    if (p->in[i].fd >= 0) {
        close(p->in[i].fd);
        p->in[i].fd = -1;
    }
    bool was = p->in[i].finished;
    p->in[i].finished = true;
    p->in[i].tokens = 0;
    /* an input reaped before its pipe's end was read (its exit fell between
     * two polls) is drawn done too: the last one's "[n/n]" was lost so */
    if (!was && tm_progress_on)
        draw(p);
}

void tm_progress_end(tm_progress *p)
{
    clear_line(p);
}
