/* toolmark scan: every input's artifacts through the plugins, execution
 * traces out. OUT/<input-id>/traces.jsonl, one trace per line (docs/traces.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pipeline/pipeline.h"
#include "pipeline/plugin.h"
#include "util/fileout.h"
#include "worker/pool.h"

static const char usage[] =
    "Usage: toolmark scan [-j N] [--worker-timeout SEC] -o OUT INPUT...\n"
    "\n"
    "Find the traces of attacker tools in each INPUT (disk image or folder of\n"
    "collected files) and write them to OUT/<input-id>/traces.jsonl, one\n"
    "execution trace per line (docs/traces.md).\n"
    "\n"
    "  -o, --output OUT      output directory (created; never inside an input)\n"
    "  -j, --jobs N          parser workers per input (default 1)\n"
    "  --worker-timeout SEC  kill a parser worker silent for SEC seconds (default 120)\n"
    "  -h, --help            this help\n";

typedef struct {
    const char *out;
    tm_pool_opts pool;
} opts;

typedef struct {
    tm_input *in;
    const tm_pool_job *jobs;
    size_t base;
    tm_pipeline *pl;
    unsigned problems;
    bool *fatal_said;
} scan_ctx;

static void on_record(void *ctx, size_t job, const tm_record *r)
{
    scan_ctx *c = ctx;
    tm_pipeline_record(c->pl, c->jobs[c->base + job].art, r);
}

static void on_problem(void *ctx, size_t job, uint64_t pos, bool fatal, const char *msg)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    fprintf(stderr, "%s: %s: %s%s%s: %s (position %" PRIu64 ")\n", tm_prog, c->in->path, a->path,
            a->stream ? ":" : "", a->stream ? a->stream : "", msg, pos);
    if (fatal)
        c->fatal_said[c->base + job] = true;
    c->problems++;
}

static void on_done(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    if (failed && !c->fatal_said[c->base + job]) {
        fprintf(stderr, "%s: %s: %s: %s\n", tm_prog, c->in->path, a->path, why ? why : "failed");
        c->problems++;
    } else if (st->skipped) {
        fprintf(stderr, "%s: %s: %s: %" PRIu64 " records could not be read (%" PRIu64 " read)\n", tm_prog, c->in->path,
                a->path, st->skipped, st->records);
    }
}

static int write_traces(const opts *o, tm_input *in, const tm_traces *ts)
{
    char *dir = tm_xasprintf("%s/%s", o->out, in->id);
    char *path = tm_xasprintf("%s/traces.jsonl", dir);
    int rc = 0;
    tm_fileout f;
    if (tm_mkdirs(dir, 0755) != 0 || tm_fileout_open(&f, path) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", tm_prog, path, strerror(errno));
        rc = -1;
    } else {
        char **labels = tm_xcalloc(in->nvols ? in->nvols : 1, sizeof *labels);
        for (size_t i = 0; i < in->nvols; i++) {
            char l[32];
            tm_volume_label(in, &in->vols[i], l, sizeof l);
            labels[i] = tm_xstrdup(l);
        }
        tm_buf b;
        tm_buf_init(&b);
        for (size_t i = 0; i < ts->n; i++) {
            tm_trace_json(&b, &ts->t[i], in->path, in->id, (const char *const *)labels, in->nvols);
            tm_buf_putc(&b, '\n');
            if (b.len > (1u << 16)) {
                tm_fileout_write(&f, b.data, b.len);
                tm_buf_reset(&b);
            }
        }
        tm_fileout_write(&f, b.data, b.len);
        tm_buf_free(&b);
        for (size_t i = 0; i < in->nvols; i++)
            free(labels[i]);
        free(labels);
        if (tm_fileout_commit(&f) != 0) {
            fprintf(stderr, "%s: cannot write %s: %s\n", tm_prog, path, strerror(errno));
            rc = -1;
        }
    }
    free(dir);
    free(path);
    return rc;
}

static int per_input(tm_input *in, void *vo)
{
    opts *o = vo;
    for (size_t i = 0; i < in->nproblems; i++)
        fprintf(stderr, "%s: %s: %s: %s\n", tm_prog, in->path, in->problems[i].where, in->problems[i].message);
    tm_pipeline *pl = tm_pipeline_new(tm_plugins, tm_plugin_count);
    size_t cap = in->narts ? in->narts : 1;
    tm_pool_job *jobs = tm_xcalloc(cap, sizeof *jobs);
    size_t nj = 0;
    for (size_t i = 0; i < in->narts; i++) {
        tm_artifact *a = &in->arts[i];
        if (a->kind == TM_ART_REGISTRY_LOG)
            continue;
        uint32_t parts = (a->kind == TM_ART_EVTX && a->size >= TM_SPLIT_EVTX_BYTES && o->pool.workers > 1)
                             ? (uint32_t)o->pool.workers
                             : 1;
        if (nj + parts > cap) {
            cap = (nj + parts) * 2;
            jobs = tm_xrealloc(jobs, cap * sizeof *jobs);
        }
        const char *want = tm_pipeline_want(pl, a->kind);
        for (uint32_t p = 0; p < parts; p++)
            jobs[nj++] = (tm_pool_job){.art = a, .all = want == NULL, .want = want, .part = p, .parts = parts};
    }
    /* Hives first (time zone, computer name), then journals (PSReadLine
     * bounds), then the rest: as in dump. */
    size_t bounds[4] = {0, 0, 0, nj};
    for (int b = 0; b < 2; b++) {
        tm_art_kind want = b == 0 ? TM_ART_REGISTRY : TM_ART_USN;
        size_t k = bounds[b];
        for (size_t i = k; i < nj; i++)
            if (jobs[i].art->kind == want) {
                tm_pool_job t = jobs[i];
                memmove(&jobs[k + 1], &jobs[k], (i - k) * sizeof *jobs);
                jobs[k++] = t;
            }
        bounds[b + 1] = k;
    }
    scan_ctx c = {.in = in, .jobs = jobs, .pl = pl};
    c.fatal_said = tm_xcalloc(nj ? nj : 1, sizeof *c.fatal_said);
    tm_pool_cb cb = {&c, on_record, on_problem, on_done};
    size_t failed = 0;
    for (int b = 0; b < 3; b++) {
        if (bounds[b + 1] == bounds[b])
            continue;
        c.base = bounds[b];
        failed += tm_pool_run(in, jobs + bounds[b], bounds[b + 1] - bounds[b], &o->pool, &cb);
    }
    tm_traces ts;
    tm_traces_init(&ts);
    tm_pipeline_finish(pl, &ts);
    size_t confirmed = 0;
    for (size_t i = 0; i < ts.n; i++)
        confirmed += ts.t[i].confirmed;
    int wrc = write_traces(o, in, &ts);
    printf("%s: %zu traces (%zu confirmed) in %s/%s/traces.jsonl\n", in->path, ts.n, confirmed, o->out, in->id);
    tm_traces_free(&ts);
    tm_pipeline_free(pl);
    free(c.fatal_said);
    free(jobs);
    return (wrc || failed || c.problems || in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option lopts[] = {{"output", required_argument, NULL, 'o'},
                                          {"jobs", required_argument, NULL, 'j'},
                                          {"worker-timeout", required_argument, NULL, 't'},
                                          {"worker", required_argument, NULL, 'W'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    opts o = {0};
    o.pool.workers = 1;
    o.pool.timeout_s = 120;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:j:", lopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 'j':
            o.pool.workers = atoi(optarg);
            if (o.pool.workers < 1 || o.pool.workers > 256) {
                tm_usage_error("scan", "-j wants a number from 1 to 256");
                return TM_EXIT_USAGE;
            }
            break;
        case 't':
            o.pool.timeout_s = atoi(optarg);
            if (o.pool.timeout_s < 1) {
                tm_usage_error("scan", "--worker-timeout wants seconds >= 1");
                return TM_EXIT_USAGE;
            }
            break;
        case 'W': o.pool.worker = optarg; break;
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: tm_usage_error("scan", "bad option"); return TM_EXIT_USAGE;
        }
    }
    if (!o.out) {
        tm_usage_error("scan", "no output directory: give -o OUT");
        return TM_EXIT_USAGE;
    }
    if (optind >= argc) {
        tm_usage_error("scan", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    if (tm_output_inside_input("scan", o.out, argv + optind, (size_t)(argc - optind)))
        return TM_EXIT_USAGE;
    if (tm_mkdirs(o.out, 0755) != 0) {
        fprintf(stderr, "%s scan: cannot create %s: %s\n", tm_prog, o.out, strerror(errno));
        return TM_EXIT_PARTIAL;
    }
    return tm_run_inputs(argv + optind, (size_t)(argc - optind), per_input, &o);
}
