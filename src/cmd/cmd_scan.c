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
#include "rules/sigma_hook.h"
#include "util/fileout.h"
#include "util/timeutil.h"
#include "worker/pool.h"
#include "model/record_json.h"
#include "util/msg.h"

static void usage(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_buf_puts(&b, "Usage: toolmark scan [options] -o OUT INPUT...\n"
                    "\n"
                    "Find the traces of attacker tools in each INPUT (disk image or folder of\n"
                    "collected files). For each input, OUT/<input-id>/ gets traces.jsonl,\n"
                    "traces.csv (Timesketch), traces.l2tcsv (plaso), traces.body (mactime),\n"
                    "summary.json, report.html and errors.jsonl (docs/outputs.md).\n"
                    "\n"
                    "  -o, --output OUT      output directory (created; never inside an input)\n");
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
                    "                        an E01 stored at acquisition (a mismatch is damage)\n" TM_POOL_HELP
                    "  -P, --parallel N      inputs processed at the same time (default 1)\n"
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

static void on_problem(void *ctx, size_t job, uint64_t pos, bool fatal, const char *msg)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    char where[1024];
    art_where(a, where, sizeof where);
    tm_msg("%s: %s: %s (position %" PRIu64 ")", c->in->path, where, msg, pos);
    tm_errors_add(&c->errors, fatal ? "artifact" : "record", where, a->volume, true, pos, fatal, msg);
    if (fatal)
        c->fatal_said[c->base + job] = true;
    c->problems++;
}

static void on_done(void *ctx, size_t job, const tm_read_stats *st, bool failed, const char *why)
{
    scan_ctx *c = ctx;
    const tm_artifact *a = c->jobs[c->base + job].art;
    char where[1024];
    art_where(a, where, sizeof where);
    tm_art_outcome *o = &c->outcome[art_index(c, a)];
    o->attempted = true;
    o->failed |= failed;
    o->records += st->records;
    o->skipped += st->skipped;
    tm_coverage_artifact(c->cov, a, st, failed);
    if (failed && !c->fatal_said[c->base + job]) {
        tm_msg("%s: %s: %s\n", c->in->path, where, why ? why : "failed");
        tm_errors_add(&c->errors, "artifact", where, a->volume, false, 0, true, why ? why : "failed");
        c->problems++;
    } else if (st->skipped) {
        char msg[160];
        snprintf(msg, sizeof msg, "%" PRIu64 " records could not be read (%" PRIu64 " read)", st->skipped, st->records);
        tm_msg("%s: %s: %s\n", c->in->path, where, msg);
        tm_errors_add(&c->errors, "record", where, a->volume, false, 0, false, msg);
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
    scan_ctx c = {.in = in};
    for (size_t i = 0; i < in->nproblems; i++) {
        tm_say_problem(in, &in->problems[i]);
        tm_errors_add(&c.errors, in->problems[i].scope, in->problems[i].where, -1, false, 0, true,
                      in->problems[i].message);
    }
    tm_pipeline *pl = tm_pipeline_new(tm_plugins, tm_plugin_count);
    c.pl = pl;
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
    size_t failed = tm_run_job_batches(in, jobs, bounds, &o->pool, &cb, &c.base);
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
    tm_coverage_finish(c.cov, tm_plugins, tm_plugin_count);
    tm_traces ts;
    tm_traces_init(&ts);
    tm_pipeline_finish(pl, &ts);
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
    tm_report rep = {in, &ts, c.cov, &c.errors, c.outcome, host[0] ? host : NULL, o->options, &io, &o->rules};
    if (tm_write_outputs(dir, &rep, o->formats) != 0)
        wrc = -1;
    tm_buf line;
    tm_buf_init(&line);
    if (wrc == 0)
        tm_buf_term_line(&line, "%s: %zu traces (%zu confirmed), %zu errors, in %s/", in->path, ts.n, confirmed,
                         c.errors.n, dir);
    else /* say so: a summary line must not point at outputs that are not there */
        tm_buf_term_line(&line, "%s: %zu traces (%zu confirmed), %zu errors; the outputs in %s/ could not all be written",
                         in->path, ts.n, confirmed, c.errors.n, dir);
    tm_flush_stdout(&line);
    tm_buf_free(&line);
    tm_traces_free(&ts);
    tm_pipeline_free(pl);
    tm_coverage_free(c.cov);
    tm_errors_free(&c.errors);
    free(c.outcome);
    free(c.fatal_said);
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
    if (o->nrule_paths || all.errors)
        tm_msg_line("%s scan: %zu rule%s loaded%s, %zu skipped (toolmark rules check -v PATH says why), %zu error%s\n",
                    tm_prog, all.loaded, all.loaded == 1 ? "" : "s", level_note, skipped, all.errors,
                    all.errors == 1 ? "" : "s");
    o->rules = (tm_report_rules){all.loaded, active, skipped, all.errors, tm_sigma_level_name(o->min_level), paths,
                                 npaths};
    return ok;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option lopts[] = {{"output", required_argument, NULL, 'o'},
                                          {"format", required_argument, NULL, 'F'},
                                          {"all-events", no_argument, NULL, 'A'},
                                          {"verify", no_argument, NULL, 'V'},
                                          {"parallel", required_argument, NULL, 'P'},
                                          {"rules", required_argument, NULL, 'R'},
                                          {"min-level", required_argument, NULL, 'L'},
                                          TM_POOL_LONG_OPTIONS,
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    opts o = {.pool = tm_pool_defaults()};
    o.formats = tm_output_all();
    o.parallel = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:j:P:", lopts, NULL)) != -1) {
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
        default: tm_usage_error("scan", "bad option"); return TM_EXIT_USAGE;
        }
    }
    /* --all-events is the events format (--format events says the same) */
    if (o.all_events)
        o.formats |= tm_output_bit("events");
    o.all_events = o.formats & tm_output_bit("events");
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
        tm_msg_line("%s scan: cannot create %s: %s\n", tm_prog, o.out, strerror(errno));
        return TM_EXIT_PARTIAL;
    }
    /* the options, for summary.json and the report (not the paths) */
    size_t k = 0;
    for (int i = 1; i < optind && k < sizeof o.options - 1; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--output=", 9) == 0 || strncmp(argv[i], "--worker=", 9) == 0)
            continue;
        k += (size_t)snprintf(o.options + k, sizeof o.options - k, "%s%s", k ? " " : "", argv[i]);
    }
    tm_sigma_set *set = NULL;
    bool rules_ok = load_rules(&o, &set);
    o.hook = tm_sigma_hook_new(set, o.min_level);
    int rc = tm_run_inputs_parallel(argv + optind, (size_t)(argc - optind), per_input, &o, o.parallel);
    tm_sigma_hook_free(o.hook);
    tm_sigma_set_free(set);
    /* rules that did not load are detections that did not run */
    if (rc == TM_EXIT_OK && (!rules_ok || o.rules.errors))
        rc = TM_EXIT_PARTIAL;
    return rc;
}
