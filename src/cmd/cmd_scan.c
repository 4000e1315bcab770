/* toolmark scan: every input's artifacts through the plugins, execution
 * traces out. OUT/<input-id>/traces.jsonl, one trace per line (docs/traces.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "output/outputs.h"
#include "pipeline/coverage.h"
#include "pipeline/enrich.h"
#include "pipeline/pipeline.h"
#include "pipeline/plugin.h"
#include "util/lifetime.h"
#include "rules/sigma_hook.h"
#include "util/spill.h"
#include "util/fileout.h"
#include "util/timeutil.h"
#include "worker/jobserver.h"
#include "worker/pool.h"
#include "model/record_json.h"
#include "util/msg.h"
#include "util/zone.h"
#include "case/case.h"

static void usage(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_buf_puts(&b, "Usage: toolmark scan [options] -o CASEDIR [INPUT...] [--manifest FILE]\n"
                    "\n"
                    "Find the traces of attacker tools in each INPUT (disk image or folder of\n"
                    "collected files). For each input, CASEDIR/<input-id>/ gets traces.jsonl,\n"
                    "traces.csv (Timesketch), traces.l2tcsv (plaso), traces.body (mactime),\n"
                    "summary.json, report.html and errors.jsonl (docs/outputs.md); CASEDIR/case/\n"
                    "joins them: merged timelines, links between hosts, report (docs/case.md).\n"
                    "\n"
                    "  -o, --output CASEDIR  output folder (created; never inside an input)\n"
                    "  --manifest FILE       more inputs, one a line: PATH or PATH<TAB>LABEL\n"
                    "  --resume              keep the inputs an earlier run into CASEDIR finished\n"
                    "                        (and that did not change); scan the rest\n"
                    "  --force               scan again into a CASEDIR that holds results\n"
                    "  --clock-skew SEC      how far apart the two ends of a link may be (300)\n"
                    "  --only N              the N-th input alone into its folder, no case/ (a task\n"
                    "                        of a cluster's job array; toolmark merge joins them)\n");
    const char *names[33];
    size_t n = 0;
    for (size_t i = 0; i < tm_output_format_count; i++)
        names[n++] = tm_output_formats_table[i]->name;
    names[n++] = "all";
    tm_help_list(&b, "--format LIST", "outputs to write, comma-separated:", names, n, " (default all but events)");
    tm_buf_puts(&b, "  --all-events          also write every parsed record as events.jsonl\n"
                    "  --rules PATH          also run the Sigma rules of PATH, a file or a folder\n"
                    "                        (repeatable); toolmark's own rules always run\n"
                    "  --min-level LEVEL     keep rule hits of this level or above: informational,\n"
                    "                        low, medium, high, critical (default informational)\n"
                    "  --verify              read the whole image and check it against the hashes\n"
                    "                        an E01 stored at acquisition (a mismatch is damage)\n"
                    "  --no-recover          leave out what recovery finds: EVTX chunks carved from\n"
                    "                        unallocated space, deleted logs (docs/recovery.md)\n" TM_POOL_HELP
                    "  -P, --parallel N      inputs processed at the same time (default: -j)\n"
                    "  --from TIME, --to TIME  only traces in this window: 2017-05-10 (a whole\n"
                    "                        day for --to), 2017-05-10T09:30[:00], with an offset\n"
                    "                        (+09:00, Z) or in the --tz zone; untimed traces stay\n"
                    "  --tz ZONE             show times in ZONE in l2tcsv and the report: UTC\n"
                    "                        (default), +09:00, or a name like Asia/Tokyo\n"
                    "  --memory SIZE         memory of an input's process; past it the records\n"
                    "                        kept for correlation go to a file (default 256M; 0:\n"
                    "                        no limit)\n"
                    "  -q, --quiet           say nothing but problems\n"
                    "  -v, --verbose         also a line per artifact, and each problem as it comes\n"
                    "  -h, --help            this help\n");
    fwrite(b.data, 1, b.len, stdout);
    tm_buf_free(&b);
}

typedef struct {
    const char *out;
    tm_pool_opts pool;
    unsigned formats;
    bool all_events;
    bool verify;
    int parallel;
    char options[512];
    /* the run, for the record; the time window */
    char *command_line;
    int64_t started;
    char *libraries; /* asked once per run (toolmark-parse's too): every input inherits them */
    size_t only; /* --only N: the N-th input alone, into its folder, no case/ (a cluster's task) */
    uint64_t memory; /* --memory: the input process's budget; past it the record store spills to disk */
    int64_t from, to;
    /* rules */
    const char *rule_paths[64];
    size_t nrule_paths;
    tm_sigma_level min_level;
    tm_sigma_hook *hook;
    tm_report_rules rules;
} opts;

typedef struct {
    tm_input *in;
    const tm_pool_job *jobs;
    size_t base;
    tm_pipeline *pl;
    tm_coverage *cov;
    tm_errors errors;
    tm_art_outcome *outcome; /* per artifact (index into in->arts) */
    unsigned problems;
    bool *fatal_said;
    tm_warnings *warnings; /* said once per kind, at the end of the input */
    uint32_t *parts_done;  /* per artifact: jobs of it finished (progress) */
    tm_fileout events; /* --all-events */
    bool events_open;
    tm_buf evbuf;
} scan_ctx;

static size_t art_index(const scan_ctx *c, const tm_artifact *a)
{
    return (size_t)(a - c->in->arts);
}

static void art_where(const tm_artifact *a, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", a->path, a->stream ? ":" : "", a->stream ? a->stream : "");
}

static void on_record(void *ctx, size_t job, const tm_record *r)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    tm_status_record();
    tm_coverage_record(c->cov, a, r);
    tm_pipeline_record(c->pl, a, r);
    if (c->events_open) {
        tm_enrichment en = {0};
        tm_enrich(c->in, a, r, tm_pipeline_hostinfo(c->pl), &en);
        tm_write_event(&c->evbuf, c->in, a, r, en.kv, en.n);
        tm_enrichment_free(&en);
        if (c->evbuf.len > (1u << 16)) {
            tm_fileout_write(&c->events, c->evbuf.data, c->evbuf.len);
            tm_buf_reset(&c->evbuf);
        }
    }
}

static void on_problem(void *ctx, size_t job, tm_pos_kind kind, uint64_t pos, bool fatal, const char *msg)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    char where[1024];
    art_where(a, where, sizeof where);
    tm_errors_add(&c->errors, fatal ? "artifact" : "record", where, a->volume, kind, pos, fatal, msg);
    if (fatal || tm_verbosity >= 2) {
        char at[64];
        tm_pos_text(kind, pos, at, sizeof at);
        tm_msg("%s: %s: %s%s%s%s", c->in->path, where, msg, at[0] ? " (" : "", at, at[0] ? ")" : "");
    } else {
        tm_warnings_add(c->warnings, art_index(c, a), where, kind, pos, msg);
    }
    if (fatal)
        c->fatal_said[c->base + job] = true;
    /* recovered data is partly overwritten as a rule: its losses are
     * reported, but they are not a failure to read the evidence */
    if (!tm_origin_recovered(&a->origin))
        c->problems++;
}

static void on_done(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    char where[1024];
    art_where(a, where, sizeof where);
    tm_art_outcome *o = &c->outcome[art_index(c, a)];
    const tm_pool_job *pj = &c->jobs[c->base + job];
    tm_status_done(a->size / (pj->parts ? pj->parts : 1), ++c->parts_done[art_index(c, a)] == pj->parts);
    o->attempted = true;
    o->failed |= failed;
    o->records += st->records;
    o->skipped += st->skipped;
    tm_coverage_artifact(c->cov, a, st, failed);
    if (failed && !c->fatal_said[c->base + job]) {
        tm_msg("%s: %s: %s", c->in->path, where, why ? why : "failed");
        tm_errors_add(&c->errors, "artifact", where, a->volume, TM_POS_NONE, 0, true, why ? why : "failed");
        if (!tm_origin_recovered(&a->origin))
            c->problems++;
    }
}

/* What could not be read of each artifact, once per artifact (a large log
 * is read in several jobs), after the warnings of the input. */
static void say_artifacts(scan_ctx *c)
{
    tm_warnings_say(c->warnings, c->in->path);
    for (size_t i = 0; i < c->in->narts; i++) {
        const tm_art_outcome *o = &c->outcome[i];
        const tm_artifact *a = &c->in->arts[i];
        char where[1024];
        art_where(a, where, sizeof where);
        if (o->skipped) {
            char msg[160];
            snprintf(msg, sizeof msg, "%" PRIu64 " record%s could not be read (%" PRIu64 " read)", o->skipped,
                     TM_PLURAL(o->skipped), o->records);
            tm_msg("%s: %s: %s", c->in->path, where, msg);
            tm_errors_add(&c->errors, "record", where, a->volume, TM_POS_NONE, 0, false, msg);
        }
        if (tm_verbosity >= 2 && o->attempted && !o->failed)
            tm_msg("%s: %s: %" PRIu64 " record%s read", c->in->path, where, o->records, TM_PLURAL(o->records));
    }
}

/* Bytes this process has read through read(2), pread(2) and the like
 * (/proc/self/io: not recvmsg), 0 when unknown. */
static uint64_t read_chars(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    unsigned long long v = 0;
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static const char *scan_want(void *pl, tm_art_kind k)
{
    return tm_pipeline_want(pl, k);
}

static int per_input(tm_input *in, void *vo)
{
    opts *o = vo;
    int64_t input_started = tm_now_us();
    scan_ctx c = {.in = in};
    for (size_t i = 0; i < in->nproblems; i++) {
        tm_say_problem(in, &in->problems[i]);
        tm_errors_add(&c.errors, in->problems[i].scope, in->problems[i].where, -1, TM_POS_NONE, 0, true,
                      in->problems[i].message);
    }
    if (!in->recognised) {
        /* Nothing to report on (a missing or foreign file): the message
         * above says why; no output folder that would look like a result. */
        tm_buf line;
        tm_buf_init(&line);
        tm_buf_term_line(&line, "%s: not read; no outputs written\n", in->path);
        if (tm_verbosity >= 1)
            tm_flush_stdout(&line);
        tm_buf_free(&line);
        tm_errors_free(&c.errors);
        return TM_EXIT_NOT_READ;
    }
    tm_pipeline *pl = tm_pipeline_new(tm_plugins, tm_plugin_count);
    c.pl = pl;
    /* the record store spills into the input's own folder (a disk, unlike /tmp may be) */
    char *spill_dir = tm_xasprintf("%s/%s", o->out, in->id);
    if (o->memory && tm_mkdirs(spill_dir, 0755) == 0)
        tm_pipeline_memory(pl, spill_dir, (size_t)o->memory);
    free(spill_dir);
    if (o->hook)
        tm_pipeline_set_rules(pl, tm_sigma_hook_get(o->hook));
    c.cov = tm_coverage_new();
    c.outcome = tm_xcalloc(in->narts ? in->narts : 1, sizeof *c.outcome);
    for (size_t i = 0; i < in->narts; i++)
        tm_coverage_artifact_found(c.cov, &in->arts[i]);
    /* --all-events reads every record (the pipeline still takes only what
     * its plugins subscribed to) */
    tm_pool_job *jobs;
    size_t bounds[4];
    size_t nj = tm_plan_jobs(in, o->pool.workers, NULL, o->all_events ? NULL : scan_want, pl, &jobs, bounds);
    c.jobs = jobs;
    c.fatal_said = tm_xcalloc(nj ? nj : 1, sizeof *c.fatal_said);
    c.parts_done = tm_xcalloc(in->narts ? in->narts : 1, sizeof *c.parts_done);
    {
        uint64_t narts = 0, bytes = 0;
        for (size_t j = 0; j < nj; j++)
            if (jobs[j].part == 0) {
                narts++;
                bytes += jobs[j].art->size;
            }
        tm_status_plan(narts, bytes);
        tm_status_phase("parsing");
    }
    char *dir = tm_xasprintf("%s/%s", o->out, in->id);
    tm_buf_init(&c.evbuf);
    if (o->all_events) {
        char *ev = tm_xasprintf("%s/%s", dir, tm_output_format_named("events")->file);
        if (tm_mkdirs(dir, 0755) == 0 && tm_fileout_open(&c.events, ev) == 0)
            c.events_open = true;
        else
            tm_msg("cannot write %s: %s\n", ev, strerror(errno));
        free(ev);
    }
    tm_pool_cb cb = {&c, on_record, on_problem, on_done};
    c.warnings = tm_warnings_new();
    size_t failed = tm_run_job_batches(in, jobs, bounds, &o->pool, &cb, &c.base);
    say_artifacts(&c);
    tm_warnings_free(c.warnings);
    tm_note_late_problems(in, o->verify, &c.errors);
    int wrc = 0;
    if (c.events_open) {
        tm_fileout_write(&c.events, c.evbuf.data, c.evbuf.len);
        if (tm_fileout_commit(&c.events) != 0)
            wrc = -1;
    }
    tm_buf_free(&c.evbuf);
    char host[96];
    snprintf(host, sizeof host, "%s", tm_pipeline_host(pl));
    tm_hostinfo identity = *tm_pipeline_hostinfo(pl); /* finishing forgets the host */
    tm_status_phase("correlating");
    tm_coverage_finish(c.cov, tm_plugins, tm_plugin_count);
    tm_traces ts;
    tm_traces_init(&ts);
    /* the plugins run on a thread per token this input can get now */
    size_t extra = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    while (tm_jobserver_active() && extra + 1 < (size_t)(cores > 0 ? cores : 1) && tm_jobserver_take())
        extra++;
    if (tm_jobserver_active())
        tm_pipeline_threads(pl, 1 + extra);
    tm_test_hold("plugins", NULL);
    /* the traces (they grow with the logs) in a spill file of their own,
     * under the same budget, until the outputs are written */
    char *trace_dir = tm_xasprintf("%s/%s", o->out, in->id);
    tm_spill *trace_spill = o->memory && tm_mkdirs(trace_dir, 0755) == 0 ? tm_spill_new(trace_dir, 0) : NULL;
    free(trace_dir);
    if (trace_spill) {
        tm_spill_govern(trace_spill, (size_t)o->memory);
        tm_traces_use_spill(trace_spill);
    }
    tm_pipeline_finish(pl, &ts);
    for (; extra; extra--)
        tm_jobserver_give();
    size_t outside = tm_traces_keep_window(&ts, o->from, o->to);
    tm_status_traces(ts.n);
    tm_status_phase("writing outputs");
    size_t confirmed = 0;
    for (size_t i = 0; i < ts.n; i++)
        confirmed += ts.t[i].confirmed;
    tm_report_io io = {0};
    for (size_t i = 0; i < in->narts; i++)
        if (c.outcome[i].attempted)
            io.artifact_bytes += in->arts[i].size;
    tm_pool_io pio = tm_pool_io_totals();
    io.served = pio.served;
    io.input_read = read_chars(); /* the workers' frames arrive by recvmsg, which rchar does not count */
    tm_pipeline_stats ps = tm_pipeline_get_stats(pl);
    tm_report_run run = {o->command_line, o->started, input_started, tm_now_us(), o->libraries, tm_zone_name(),
                         o->from, o->to, outside, o->memory, ps.spill_file, ps.spill_trims, tm_peak_rss_bytes()};
    tm_report rep = {in, &ts, c.cov, &c.errors, c.outcome, host[0] ? host : NULL, o->options, &io, &o->rules, &run,
                     &identity};
    if (tm_write_outputs(dir, &rep, o->formats) != 0)
        wrc = -1;
    tm_buf line;
    tm_buf_init(&line);
    if (wrc == 0)
        tm_buf_term_line(&line, "%s: %zu trace%s (%zu confirmed), %zu error%s, in %s/\n", in->path, ts.n,
                         TM_PLURAL(ts.n), confirmed, c.errors.n, TM_PLURAL(c.errors.n), dir);
    else /* say so: a summary line must not point at outputs that are not there */
        tm_buf_term_line(&line, "%s: %zu trace%s (%zu confirmed), %zu error%s; the outputs in %s/ could not all be written\n",
                         in->path, ts.n, TM_PLURAL(ts.n), confirmed, c.errors.n, TM_PLURAL(c.errors.n), dir);
    if (tm_verbosity >= 1)
        tm_flush_stdout(&line);
    tm_buf_free(&line);
    tm_traces_free(&ts);
    tm_traces_use_spill(NULL);
    tm_spill_free(trace_spill);
    tm_pipeline_free(pl);
    tm_coverage_free(c.cov);
    tm_errors_free(&c.errors);
    free(c.outcome);
    free(c.fatal_said);
    free(c.parts_done);
    free(dir);
    free(jobs);
    return (wrc || failed || c.problems || in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
}

/* toolmark's own rules: $TOOLMARK_RULES_DIR, else rules/ installed beside
 * the executable (PREFIX/share/toolmark/rules), else the source tree's. */
static const char *builtin_rules_dir(char *buf, size_t n)
{
    struct stat st;
    const char *env = getenv("TOOLMARK_RULES_DIR");
    if (env && *env)
        return env;
    char self[4096];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
        self[k] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, n, "%s/../share/toolmark/rules", self);
            if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
                return buf;
        }
    }
    return TM_SOURCE_RULES_DIR;
}

/* Loads toolmark's rules and the --rules paths once for the whole run; says
 * what did not load. False when toolmark's own rules cannot be read. */
static bool load_rules(opts *o, tm_sigma_set **set)
{
    static char dir[4200];
    static const char *paths[65];
    *set = tm_sigma_set_new();
    paths[0] = builtin_rules_dir(dir, sizeof dir);
    for (size_t i = 0; i < o->nrule_paths; i++)
        paths[i + 1] = o->rule_paths[i];
    size_t npaths = o->nrule_paths + 1;
    bool ok = true;
    size_t skipped = 0;
    tm_sigma_report all = {0};
    for (size_t i = 0; i < npaths; i++) {
        tm_sigma_report rep = {0};
        if (!tm_sigma_load_path(*set, paths[i], &rep)) {
            tm_msg_line("%s scan: cannot read rules %s%s: %s\n", tm_prog, paths[i],
                        i == 0 ? " (toolmark's own; set TOOLMARK_RULES_DIR)" : "", strerror(errno));
            ok = false;
        }
        all.loaded += rep.loaded;
        all.errors += rep.errors;
        for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
            skipped += rep.skipped[k];
        if (rep.errors) /* the broken rules, by file and line */
            for (char *line = rep.log, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                    *nl = 0;
                if (strstr(line, ": skipped (") == NULL)
                    tm_msg_line("%s scan: rule error: %s\n", tm_prog, line);
            }
        tm_sigma_report_free(&rep);
    }
    tm_sigma_set_index(*set);
    size_t active = 0; /* the rules --min-level lets run */
    for (size_t i = 0; i < tm_sigma_count(*set); i++)
        active += tm_sigma_at(*set, i)->level >= o->min_level;
    char level_note[96] = "";
    if (o->min_level > TM_SIGMA_INFORMATIONAL)
        snprintf(level_note, sizeof level_note, " (%zu at level %s or above)", active,
                 tm_sigma_level_name(o->min_level));
    if ((o->nrule_paths && tm_verbosity >= 1) || all.errors)
        tm_msg_line("%s scan: %zu rule%s loaded%s, %zu skipped (toolmark rules check -v PATH says why), %zu error%s\n",
                    tm_prog, all.loaded, all.loaded == 1 ? "" : "s", level_note, skipped, all.errors,
                    all.errors == 1 ? "" : "s");
    o->rules = (tm_report_rules){all.loaded, active, skipped, all.errors, tm_sigma_level_name(o->min_level), paths,
                                 npaths};
    return ok;
}

static int scan_case(opts *op, char **paths, char **labels, size_t n, bool resume, bool force, int64_t skew_us);

int cmd_scan(int argc, char **argv)
{
    static const struct option lopts[] = {{"output", required_argument, NULL, 'o'},
                                          {"format", required_argument, NULL, 'F'},
                                          {"all-events", no_argument, NULL, 'A'},
                                          {"verify", no_argument, NULL, 'V'},
                                          {"parallel", required_argument, NULL, 'P'},
                                          {"rules", required_argument, NULL, 'R'},
                                          {"min-level", required_argument, NULL, 'L'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"tz", required_argument, NULL, 'Z'},
                                          {"from", required_argument, NULL, 'f'},
                                          {"to", required_argument, NULL, 'T'},
                                          {"verbose", no_argument, NULL, 'v'},
                                          {"manifest", required_argument, NULL, 'm'},
                                          {"resume", no_argument, NULL, 'r'},
                                          {"force", no_argument, NULL, 'x'},
                                          {"clock-skew", required_argument, NULL, 'k'},
                                          {"only", required_argument, NULL, 'n'},
                                          {"memory", required_argument, NULL, 'y'},
                                          {"no-recover", no_argument, NULL, 'N'},
                                          TM_POOL_LONG_OPTIONS,
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    opts o = {.pool = tm_pool_defaults(), .from = TM_TIME_NONE, .to = TM_TIME_NONE, .memory = 256ull << 20};
    const char *from_arg = NULL, *to_arg = NULL, *manifest = NULL;
    bool resume = false, force = false;
    int skew_s = (int)(TM_CASE_DEFAULT_SKEW_US / 1000000);
    o.formats = tm_output_all();
    o.parallel = 0; /* as many inputs at once as the worker budget allows */
    int c;
    optind = 1;
    while ((c = tm_getopt("scan", argc, argv, "ho:j:P:qv", lopts)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 'F': {
            const char *bad = NULL;
            o.formats = tm_output_formats(optarg, &bad);
            if (!o.formats) {
                tm_usage_error("scan", "unknown output format '%s'", bad ? bad : optarg);
                return TM_EXIT_USAGE;
            }
            break;
        }
        case 'A': o.all_events = true; break;
        case 'R':
            if (o.nrule_paths == sizeof o.rule_paths / sizeof o.rule_paths[0]) {
                tm_usage_error("scan", "more than %zu --rules paths", sizeof o.rule_paths / sizeof o.rule_paths[0]);
                return TM_EXIT_USAGE;
            }
            o.rule_paths[o.nrule_paths++] = optarg;
            break;
        case 'L':
            if (!tm_sigma_level_parse(optarg, &o.min_level)) {
                tm_usage_error("scan", "unknown level '%s' (informational, low, medium, high, critical)", optarg);
                return TM_EXIT_USAGE;
            }
            break;
        case 'V': o.verify = true; break;
        case 'N': tm_input_set_recover(false); break;
        case 'q': tm_verbosity = 0; break;
        case 'Z': {
            char why[200];
            if (!tm_zone_set(optarg, why, sizeof why)) {
                tm_usage_error("scan", "%s", why);
                return TM_EXIT_USAGE;
            }
            break;
        }
        case 'm': manifest = optarg; break;
        case 'y':
            if (!tm_opt_size("scan", "--memory", optarg, &o.memory))
                return TM_EXIT_USAGE;
            break;
        case 'n': {
            int v;
            if (!tm_opt_int("scan", "--only", optarg, 1, 1000000, &v))
                return TM_EXIT_USAGE;
            o.only = (size_t)v;
            break;
        }
        case 'r': resume = true; break;
        case 'x': force = true; break;
        case 'k':
            if (!tm_opt_int("scan", "--clock-skew", optarg, 0, 86400, &skew_s))
                return TM_EXIT_USAGE;
            break;
        case 'f': from_arg = optarg; break;
        case 'T': to_arg = optarg; break;
        case 'v': tm_verbosity = 2; break;
        case 'P':
            if (!tm_opt_int("scan", "-P", optarg, 1, 256, &o.parallel))
                return TM_EXIT_USAGE;
            break;
        case 'j':
        case 't':
        case 'W':
        case 'M':
            if (tm_pool_option("scan", c, optarg, &o.pool) < 0)
                return TM_EXIT_USAGE;
            break;
        case 'h': usage(); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    /* the window, read in the display zone (--tz may come after them) */
    if ((from_arg && !tm_zone_parse(from_arg, false, &o.from)) || (to_arg && !tm_zone_parse(to_arg, true, &o.to))) {
        tm_usage_error("scan", "--from and --to want a date or time like 2017-05-10 or 2017-05-10T09:30[:00][+09:00]");
        return TM_EXIT_USAGE;
    }
    if (o.from != TM_TIME_NONE && o.to != TM_TIME_NONE && o.to < o.from) {
        tm_usage_error("scan", "--to is before --from");
        return TM_EXIT_USAGE;
    }
    /* summary.json is the input's record: the case's merge, its report and
     * --resume read it, so it is written whatever --format says (a scan
     * with --format jsonl ended in "no readable summary.json", exit 1) */
    o.formats |= tm_output_bit("summary");
    /* --all-events is the events format (--format events says the same) */
    if (o.all_events)
        o.formats |= tm_output_bit("events");
    o.all_events = o.formats & tm_output_bit("events");
    if (!o.out) {
        tm_usage_error("scan", "no output directory: give -o OUT");
        return TM_EXIT_USAGE;
    }
    /* the inputs: on the command line, then the manifest's */
    tm_manifest man = {0};
    if (manifest) {
        char why[600];
        if (!tm_manifest_read(manifest, &man, why, sizeof why)) {
            tm_usage_error("scan", "%s", why);
            return TM_EXIT_USAGE;
        }
    }
    size_t n = (size_t)(argc - optind) + man.n;
    if (n == 0) {
        tm_usage_error("scan", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    char **paths = tm_xcalloc(n, sizeof *paths), **labels = tm_xcalloc(n, sizeof *labels);
    for (int i = optind; i < argc; i++)
        paths[i - optind] = argv[i];
    for (size_t i = 0; i < man.n; i++) {
        paths[(size_t)(argc - optind) + i] = man.paths[i];
        labels[(size_t)(argc - optind) + i] = man.labels[i];
    }
    /* the options that decide what is found and written, for summary.json
     * and the report: not where (-o, --manifest), not how fast or how loud
     * (-j, -P, -q, -v: the outputs do not depend on them), not --resume,
     * --force or --only (an input's outputs are the same in a task of its
     * own); the whole command line is in summary.json's run record */
    static const char *const with_value[] = {"-o", "--output", "--manifest", "-j", "--jobs",
                                             "-P", "--parallel", "--only", "--memory", NULL};
    static const char *const alone[] = {"-q", "--quiet", "-v", "--verbose", "--resume", "--force", NULL};
    size_t k = 0;
    for (int i = 1; i < optind && k < sizeof o.options - 1; i++) {
        bool drop = false, drop_next = false;
        for (size_t w = 0; with_value[w] && !drop; w++) {
            size_t l = strlen(with_value[w]);
            if (strcmp(argv[i], with_value[w]) == 0)
                drop = drop_next = true;
            else if (strncmp(argv[i], with_value[w], l) == 0 && (argv[i][l] == '=' || (l == 2 && argv[i][l])))
                drop = true; /* --jobs=2, -j2 */
        }
        for (size_t w = 0; alone[w] && !drop; w++)
            drop = strcmp(argv[i], alone[w]) == 0;
        drop |= strncmp(argv[i], "--worker=", 9) == 0;
        if (drop) {
            i += drop_next;
            continue;
        }
        k += (size_t)snprintf(o.options + k, sizeof o.options - k, "%s%s", k ? " " : "", argv[i]);
    }
    tm_buf cl;
    tm_buf_init(&cl);
    tm_buf_puts(&cl, tm_prog);
    for (int i = 0; i < argc; i++) {
        /* quoted as a shell would need it, to be typed again */
        bool plain = argv[i][0] != '\0';
        for (const char *p = argv[i]; *p && plain; p++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%", *p) != NULL;
        tm_buf_putc(&cl, ' ');
        if (plain) {
            tm_buf_puts(&cl, argv[i]);
        } else {
            tm_buf_putc(&cl, '\'');
            for (const char *p = argv[i]; *p; p++)
                if (*p == '\'')
                    tm_buf_puts(&cl, "'\\''");
                else
                    tm_buf_putc(&cl, *p);
            tm_buf_putc(&cl, '\'');
        }
    }
    o.command_line = tm_xstrdup(tm_buf_cstr(&cl));
    tm_buf_free(&cl);
    o.started = tm_now_us();
    tm_buf libs;
    tm_buf_init(&libs);
    tm_library_versions(&libs);
    o.libraries = tm_xstrdup(tm_buf_cstr(&libs));
    tm_buf_free(&libs);
    int rc = scan_case(&o, paths, labels, n, resume, force, (int64_t)skew_s * 1000000);
    free(o.libraries);
    free(o.command_line);
    free(paths);
    free(labels);
    tm_manifest_free(&man);
    return rc;
}

/* The case: each input into OUT/<id>/ (skipping those an earlier run
 * finished, with --resume), then OUT/case/ from all of them. */
static int scan_case(opts *op, char **paths, char **labels, size_t n, bool resume, bool force, int64_t skew_us)
{
    opts o = *op;
    if (resume && force) {
        tm_usage_error("scan", "--resume keeps what an earlier run finished, --force does it again: not both");
        return TM_EXIT_USAGE;
    }
    if (tm_output_inside_input("scan", o.out, paths, n))
        return TM_EXIT_USAGE;
    if (o.only > n) {
        tm_usage_error("scan", "--only %zu: there %s %zu input%s", o.only, n == 1 ? "is" : "are", n, TM_PLURAL(n));
        return TM_EXIT_USAGE;
    }
    char **ids = tm_input_ids_labelled(paths, labels, n);
    if (o.only) {
        /* one input of a case, as one task of a cluster's job array: its
         * folder only (the ids come from all the inputs, as in one run) */
        char *sum = tm_xasprintf("%s/%s/summary.json", o.out, ids[o.only - 1]);
        bool has = access(sum, F_OK) == 0;
        free(sum);
        if (has && !resume && !force) {
            tm_usage_error("scan", "%s/%s holds the results of an earlier run: --resume to keep them, --force to scan "
                                   "again", o.out, ids[o.only - 1]);
            for (size_t i = 0; i < n; i++)
                free(ids[i]);
            free(ids);
            return TM_EXIT_USAGE;
        }
    } else if (!resume && !force && tm_case_has_results(o.out)) {
        tm_usage_error("scan", "%s holds the results of an earlier run: --resume to finish it, --force to scan again",
                       o.out);
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        return TM_EXIT_USAGE;
    }
    if (tm_mkdirs(o.out, 0755) != 0) {
        tm_msg_line("%s scan: cannot create %s: %s\n", tm_prog, o.out, strerror(errno));
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        return TM_EXIT_PARTIAL;
    }
    tm_sigma_set *set = NULL;
    bool rules_ok = load_rules(&o, &set);
    o.hook = tm_sigma_hook_new(set, o.min_level);
    /* --resume: an input whose outputs are complete and whose file is as it
     * was is kept; what a killed run left of the others is cleared */
    bool *skip = tm_xcalloc(n, sizeof *skip);
    int *status = tm_xcalloc(n, sizeof *status);
    for (size_t i = 0; i < n; i++) {
        if (o.only && i != o.only - 1) {
            skip[i] = true; /* another task's */
            continue;
        }
        char *dir = tm_xasprintf("%s/%s", o.out, ids[i]);
        char md5[33] = "", why[300];
        bool e01 = tm_iends_with(paths[i], ".E01") || tm_iends_with(paths[i], ".Ex01");
        if (resume && tm_case_input_done(dir, paths[i], e01 && tm_input_stored_md5(paths[i], md5) ? md5 : NULL, why,
                                         sizeof why)) {
            skip[i] = true;
            if (tm_verbosity >= 1) {
                tm_buf line;
                tm_buf_init(&line);
                tm_buf_term_line(&line, "%s: done in an earlier run, kept (%s/)\n", paths[i], dir);
                tm_flush_stdout(&line);
                tm_buf_free(&line);
            }
        } else {
            if (resume && tm_verbosity >= 2)
                tm_msg("%s: scanned again: %s", paths[i], why);
            tm_case_clean_input(dir);
        }
        free(dir);
    }
    /* progress for a person watching the terminal; lines for anyone else */
    tm_progress_on = isatty(STDERR_FILENO) && tm_verbosity >= 1;
    /* one worker budget for the whole run: -j N tokens shared by every input */
    tm_run_tokens = o.pool.workers;
    int rc = tm_run_inputs_as(paths, ids, skip, n, per_input, &o, o.parallel ? o.parallel : o.pool.workers, status);
    tm_case_status *cs = tm_xcalloc(n, sizeof *cs);
    for (size_t i = 0; i < n && !o.only; i++) {
        char *sum = tm_xasprintf("%s/%s/summary.json", o.out, ids[i]);
        bool complete = access(sum, R_OK) == 0;
        free(sum);
        cs[i] = skip[i] ? TM_CASE_KEPT : status[i] == TM_EXIT_NOT_READ ? TM_CASE_NOT_READ
                          : complete                             ? TM_CASE_DONE
                                                                 : TM_CASE_FAILED;
        if (skip[i] && rc == TM_EXIT_OK && tm_case_input_had_errors(o.out, ids[i]))
            rc = TM_EXIT_PARTIAL; /* its earlier run could not read everything either */
    }
    /* the case: what joins the inputs (a task of --only leaves it to toolmark merge) */
    if (o.only) {
        if (status[o.only - 1] == TM_EXIT_NOT_READ && rc == TM_EXIT_OK)
            rc = TM_EXIT_PARTIAL;
    } else if (tm_case_write_inputs(o.out, ids, paths, cs, n) != 0) {
        tm_msg("cannot write %s/inputs.tsv: %s", o.out, strerror(errno));
        rc = TM_EXIT_PARTIAL;
    }
    tm_case_opts co = {skew_us};
    int mrc = o.only ? -1 : tm_case_merge(o.out, &co);
    if (!o.only && mrc != 0 && rc == TM_EXIT_OK)
        rc = TM_EXIT_PARTIAL;
    if (tm_verbosity >= 1 && !o.only && mrc >= 0) {
        tm_buf line;
        tm_buf_init(&line);
        tm_buf_term_line(&line, "case: %zu input%s, merged timelines, links and report in %s/case/\n", n, TM_PLURAL(n),
                         o.out);
        tm_flush_stdout(&line);
        tm_buf_free(&line);
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(skip);
    free(status);
    free(cs);
    tm_sigma_hook_free(o.hook);
    tm_sigma_set_free(set);
    /* rules that did not load are detections that did not run */
    if (rc == TM_EXIT_OK && (!rules_ok || o.rules.errors))
        rc = TM_EXIT_PARTIAL;
    return rc;
}
