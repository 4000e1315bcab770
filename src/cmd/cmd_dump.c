/* toolmark dump: every reader's normalised records as JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pipeline/enrich.h"
#include "pipeline/history_bounds.h"
#include "util/timeutil.h"
#include "worker/pool.h"
#include "model/record_json.h"
#include "util/msg.h"

static void usage(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_buf_puts(&b, "Usage: toolmark dump [--kind KIND]... [-j N] [--worker-timeout SEC] INPUT...\n"
                    "\n"
                    "Parse the artifacts of each INPUT and print their records as JSON lines,\n"
                    "one record per line, with its kind, origin (input, volume, path) and\n"
                    "position inside the artifact.\n"
                    "\n");
    const char *names[TM_ART__COUNT];
    size_t n = 0;
    for (int k = 0; k < TM_ART__COUNT; k++)
        if (tm_kind((tm_art_kind)k)->parsed)
            names[n++] = tm_kind((tm_art_kind)k)->name;
    tm_help_list(&b, "--kind KIND", "only this kind (repeatable):", names, n, "");
    tm_buf_puts(&b, TM_POOL_HELP "  -h, --help            this help\n");
    fwrite(b.data, 1, b.len, stdout);
    tm_buf_free(&b);
}

typedef struct {
    bool kinds[TM_ART__COUNT];
    bool any_kind;
    tm_pool_opts pool;
} opts;

typedef struct {
    tm_input *in;
    const tm_pool_job *jobs;
    size_t njobs;
    FILE **pending;  /* per job that runs ahead of the one being printed: an
                      * unlinked temporary file, so memory stays bounded */
    bool *finished;
    bool *fatal_said; /* a fatal problem was reported: no second line at the end */
    size_t next_print;
    tm_buf out;
    unsigned problems;
    tm_hostinfo host;
    tm_hist_writes hist; /* USN writes of PSReadLine files */
    tm_buf *held;        /* per PSReadLine job: its lines, until the count is known */
    size_t base;         /* added to the pool's job index (jobs run in batches) */
} dump_ctx;

static void emit_line(dump_ctx *c, size_t job, const tm_buf *line)
{
    if (job == c->next_print) {
        tm_buf_put(&c->out, line->data, line->len);
        if (c->out.len > (1u << 16))
            tm_flush_stdout(&c->out);
        return;
    }
    if (!c->pending[job] && !(c->pending[job] = tmpfile())) {
        tm_msg("cannot create a temporary file for parallel output: %s\n", strerror(errno));
        exit(TM_EXIT_PARTIAL);
    }
    fwrite(line->data, 1, line->len, c->pending[job]);
}

static void copy_pending(dump_ctx *c, size_t job)
{
    FILE *f = c->pending[job];
    if (!f)
        return;
    tm_flush_stdout(&c->out);
    rewind(f);
    char buf[1 << 15];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    c->pending[job] = NULL;
}

static void on_record(void *ctx, size_t job, const tm_record *r)
{
    dump_ctx *c = ctx;
    job += c->base;
    const tm_artifact *a = c->jobs[job].art;
    char label[32];
    tm_volume_label(c->in, &c->in->vols[a->volume], label, sizeof label);
    char origin[TM_ORIGIN_TEXT_MAX];
    tm_origin_text(&a->origin, origin, sizeof origin);
    tm_record_origin o = {c->in->path, c->in->id, label, a->path, a->stream, origin};
    tm_hostinfo_observe(&c->host, r);            /* the hives' time zone */
    tm_hist_observe_usn(&c->hist, a->volume, r); /* the journal's writes of history files */
    tm_enrichment en = {0};
    tm_enrich(c->in, a, r, &c->host, &en);
    tm_buf line;
    tm_buf_init(&line);
    tm_record_json(&line, r, &o, en.kv, en.n);
    if (tm_kind((tm_art_kind)r->kind)->timed_by_journal)
        tm_buf_put(&c->held[job], line.data, line.len); /* bounds need the command count */
    else
        emit_line(c, job, &line);
    tm_buf_free(&line);
    tm_enrichment_free(&en);
}

static void on_problem(void *ctx, size_t job, tm_pos_kind kind, uint64_t pos, bool fatal, const char *msg)
{
    dump_ctx *c = ctx;
    job += c->base;
    const tm_artifact *a = c->jobs[job].art;
    char at[64];
    tm_pos_text(kind, pos, at, sizeof at);
    tm_msg("%s: %s%s%s: %s%s%s%s", c->in->path, a->path, a->stream ? ":" : "", a->stream ? a->stream : "", msg,
           at[0] ? " (" : "", at, at[0] ? ")" : "");
    if (fatal)
        c->fatal_said[job] = true;
    c->problems++;
}

/* PSReadLine lines of a finished job, with the journal's bounds added. */
static void release_history(dump_ctx *c, size_t job, const tm_artifact *a)
{
    tm_buf *h = &c->held[job];
    size_t n = 0;
    for (size_t i = 0; i < h->len; i++)
        n += h->data[i] == '\n';
    size_t k = n, start = 0;
    tm_buf line;
    tm_buf_init(&line);
    for (size_t i = 0; i < h->len; i++) {
        if (h->data[i] != '\n')
            continue;
        tm_buf_reset(&line);
        tm_buf_put(&line, h->data + start, i - start); /* without the closing brace and newline */
        int64_t nb, na;
        if (line.len && line.data[line.len - 1] == '}' && tm_hist_bounds(&c->hist, a, k, &nb, &na)) {
            line.len--;
            char iso[TM_TIME_ISO_LEN];
            if (nb != TM_TIME_NONE) {
                tm_time_iso(nb, iso);
                tm_buf_printf(&line, ",\"usn_not_before\":\"%s\"", iso);
            }
            tm_time_iso(na, iso);
            tm_buf_printf(&line, ",\"usn_not_after\":\"%s\"}", iso);
        }
        tm_buf_putc(&line, '\n');
        emit_line(c, job, &line);
        start = i + 1;
        k--;
    }
    tm_buf_free(&line);
    tm_buf_free(h);
}

static void on_done(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why)
{
    dump_ctx *c = ctx;
    job += c->base;
    const tm_artifact *a = c->jobs[job].art;
    if (c->held[job].len)
        release_history(c, job, a);
    if (failed && !c->fatal_said[job]) {
        tm_msg("%s: %s: %s\n", c->in->path, a->path, why ? why : "failed");
        c->problems++;
    } else if (st->skipped) {
        tm_msg("%s: %s: %" PRIu64 " records could not be read (%" PRIu64 " read)", c->in->path,
                a->path, st->skipped, st->records);
    }
    c->finished[job] = true;
    while (c->next_print < c->njobs && c->finished[c->next_print]) {
        c->next_print++;
        if (c->next_print < c->njobs)
            copy_pending(c, c->next_print);
    }
    tm_flush_stdout(&c->out);
}

static int per_input(tm_input *in, void *vo)
{
    opts *o = vo;
    for (size_t i = 0; i < in->nproblems; i++)
        tm_say_problem(in, &in->problems[i]);
    tm_pool_job *jobs;
    size_t bounds[4];
    size_t nj = tm_plan_jobs(in, o->pool.workers, o->any_kind ? o->kinds : NULL, NULL, NULL, &jobs, bounds);
    dump_ctx c = {.in = in, .jobs = jobs, .njobs = nj};
    tm_hostinfo_init(&c.host);
    tm_hist_init(&c.hist);
    c.held = tm_xcalloc(nj ? nj : 1, sizeof *c.held);
    c.pending = tm_xcalloc(nj ? nj : 1, sizeof *c.pending);
    c.finished = tm_xcalloc(nj ? nj : 1, sizeof *c.finished);
    c.fatal_said = tm_xcalloc(nj ? nj : 1, sizeof *c.fatal_said);
    tm_buf_init(&c.out);
    tm_pool_cb cb = {&c, on_record, on_problem, on_done};
    size_t failed = tm_run_job_batches(in, jobs, bounds, &o->pool, &cb, &c.base);
    tm_note_late_problems(in, false, NULL);
    tm_flush_stdout(&c.out);
    tm_buf_free(&c.out);
    for (size_t i = 0; i < nj; i++)
        if (c.pending[i])
            fclose(c.pending[i]);
    free(c.pending);
    free(c.finished);
    free(c.fatal_said);
    free(c.held);
    tm_hist_free(&c.hist);
    free(jobs);
    return (failed || c.problems || in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
}

int cmd_dump(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"kind", required_argument, NULL, 'k'}, TM_POOL_LONG_OPTIONS, {"help", no_argument, NULL, 'h'}, {0}};
    opts o = {.pool = tm_pool_defaults()};
    int c;
    optind = 1;
    while ((c = tm_getopt("dump", argc, argv, "hj:", lopts)) != -1) {
        switch (c) {
        case 'k': {
            int k = tm_art_kind_from_name(optarg);
            if (k < 0 || !tm_kind((tm_art_kind)k)->parsed) {
                tm_usage_error("dump", "unknown kind '%s'", optarg);
                return TM_EXIT_USAGE;
            }
            o.kinds[k] = true;
            o.any_kind = true;
            break;
        }
        case 'j':
        case 't':
        case 'W':
        case 'M':
            if (tm_pool_option("dump", c, optarg, &o.pool) < 0)
                return TM_EXIT_USAGE;
            break;
        case 'h': usage(); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    if (optind >= argc) {
        tm_usage_error("dump", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    return tm_run_inputs(argv + optind, (size_t)(argc - optind), per_input, &o);
}
