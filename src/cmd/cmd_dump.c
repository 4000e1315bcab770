/* toolmark dump: every reader's normalised records as JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pipeline/enrich.h"
#include "worker/pool.h"
#include "worker/record_json.h"

static const char usage[] =
    "Usage: toolmark dump [--kind KIND]... [-j N] [--worker-timeout SEC] INPUT...\n"
    "\n"
    "Parse the artifacts of each INPUT and print their records as JSON lines,\n"
    "one record per line, with its kind, origin (input, volume, path) and\n"
    "position inside the artifact.\n"
    "\n"
    "  --kind KIND           only this kind (repeatable): evtx, registry, usn,\n"
    "                        atjob, task, psreadline, prefetch\n"
    "  -j, --jobs N          parser workers per input (default 1)\n"
    "  --worker-timeout SEC  kill a parser worker silent for SEC seconds (default 120)\n"
    "  -h, --help            this help\n";

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
    size_t base; /* added to the pool's job index (jobs run in two batches) */
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
        fprintf(stderr, "%s: cannot create a temporary file for parallel output: %s\n", tm_prog, strerror(errno));
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
    tm_record_origin o = {c->in->path, c->in->id, label, a->path, a->stream};
    if (r->kind == TM_ART_REGISTRY)
        tm_hostinfo_observe(&c->host, r);
    tm_enrichment en = {0};
    tm_enrich(c->in, a, r, &c->host, &en);
    tm_buf line;
    tm_buf_init(&line);
    tm_record_json(&line, r, &o, en.kv, en.n);
    emit_line(c, job, &line);
    tm_buf_free(&line);
    tm_enrichment_free(&en);
}

static void on_problem(void *ctx, size_t job, uint64_t pos, bool fatal, const char *msg)
{
    dump_ctx *c = ctx;
    job += c->base;
    const tm_artifact *a = c->jobs[job].art;
    fprintf(stderr, "%s: %s: %s%s%s: %s (position %" PRIu64 ")\n", tm_prog, c->in->path, a->path,
            a->stream ? ":" : "", a->stream ? a->stream : "", msg, pos);
    if (fatal)
        c->fatal_said[job] = true;
    c->problems++;
}

static void on_done(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why)
{
    dump_ctx *c = ctx;
    job += c->base;
    const tm_artifact *a = c->jobs[job].art;
    if (failed && !c->fatal_said[job]) {
        fprintf(stderr, "%s: %s: %s: %s\n", tm_prog, c->in->path, a->path, why ? why : "failed");
        c->problems++;
    } else if (st->skipped) {
        fprintf(stderr, "%s: %s: %s: %" PRIu64 " of %" PRIu64 " records could not be read\n", tm_prog, c->in->path,
                a->path, st->skipped, st->total);
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
        fprintf(stderr, "%s: %s: %s: %s\n", tm_prog, in->path, in->problems[i].where, in->problems[i].message);
    size_t cap = in->narts ? in->narts : 1;
    tm_pool_job *jobs = tm_xcalloc(cap, sizeof *jobs);
    size_t nj = 0;
    for (size_t i = 0; i < in->narts; i++) {
        tm_artifact *a = &in->arts[i];
        if (o->any_kind && !o->kinds[a->kind])
            continue;
        if (a->kind == TM_ART_REGISTRY_LOG)
            continue; /* transaction logs are read with their hive */
        /* A large event log is split across the workers by record range;
         * the parts come back in order. */
        uint32_t parts = (a->kind == TM_ART_EVTX && a->size >= TM_SPLIT_EVTX_BYTES && o->pool.workers > 1)
                             ? (uint32_t)o->pool.workers
                             : 1;
        if (nj + parts > cap) {
            cap = (nj + parts) * 2;
            jobs = tm_xrealloc(jobs, cap * sizeof *jobs);
        }
        for (uint32_t p = 0; p < parts; p++)
            jobs[nj++] = (tm_pool_job){.art = a, .all = true, .part = p, .parts = parts};
    }
    /* Hives first: their facts (the time zone) are needed to put the other
     * artifacts' local times in UTC. The sort is stable, so artifact order
     * is otherwise kept. */
    size_t nreg = 0;
    for (size_t i = 0; i < nj; i++)
        if (jobs[i].art->kind == TM_ART_REGISTRY) {
            tm_pool_job t = jobs[i];
            memmove(&jobs[nreg + 1], &jobs[nreg], (i - nreg) * sizeof *jobs);
            jobs[nreg++] = t;
        }
    dump_ctx c = {.in = in, .jobs = jobs, .njobs = nj};
    tm_hostinfo_init(&c.host);
    c.pending = tm_xcalloc(nj ? nj : 1, sizeof *c.pending);
    c.finished = tm_xcalloc(nj ? nj : 1, sizeof *c.finished);
    c.fatal_said = tm_xcalloc(nj ? nj : 1, sizeof *c.fatal_said);
    tm_buf_init(&c.out);
    tm_pool_cb cb = {&c, on_record, on_problem, on_done};
    size_t failed = 0;
    if (nreg)
        failed += tm_pool_run(in, jobs, nreg, &o->pool, &cb);
    if (nj > nreg) {
        c.base = nreg; /* the second run's job indices continue after the hives' */
        failed += tm_pool_run(in, jobs + nreg, nj - nreg, &o->pool, &cb);
    }
    tm_flush_stdout(&c.out);
    tm_buf_free(&c.out);
    for (size_t i = 0; i < nj; i++)
        if (c.pending[i])
            fclose(c.pending[i]);
    free(c.pending);
    free(c.finished);
    free(c.fatal_said);
    free(jobs);
    return (failed || c.problems || in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
}

int cmd_dump(int argc, char **argv)
{
    static const struct option lopts[] = {{"kind", required_argument, NULL, 'k'},
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
    while ((c = getopt_long(argc, argv, "hj:", lopts, NULL)) != -1) {
        switch (c) {
        case 'k': {
            int k = tm_art_kind_from_name(optarg);
            if (k < 0 || k == TM_ART_REGISTRY_LOG) {
                tm_usage_error("dump", "unknown kind '%s'", optarg);
                return TM_EXIT_USAGE;
            }
            o.kinds[k] = true;
            o.any_kind = true;
            break;
        }
        case 'j':
            o.pool.workers = atoi(optarg);
            if (o.pool.workers < 1 || o.pool.workers > 256) {
                tm_usage_error("dump", "-j wants a number from 1 to 256");
                return TM_EXIT_USAGE;
            }
            break;
        case 't':
            o.pool.timeout_s = atoi(optarg);
            if (o.pool.timeout_s < 1) {
                tm_usage_error("dump", "--worker-timeout wants seconds >= 1");
                return TM_EXIT_USAGE;
            }
            break;
        case 'W': o.pool.worker = optarg; break; /* tests: a stand-in worker */
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: tm_usage_error("dump", "bad option"); return TM_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        tm_usage_error("dump", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    return tm_run_inputs(argv + optind, (size_t)(argc - optind), per_input, &o);
}
