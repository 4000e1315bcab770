/* toolmark merge CASEDIR (and the end of a case scan): reads each input
 * folder's outputs and writes CASEDIR/case/. The timelines are merged
 * line by line: every input's files are already in time order, and their
 * k-th lines are its k-th trace in every format, so a k-way merge on the
 * JSONL's timestamps orders all four formats at once, in memory bounded by
 * the number of inputs. Linking keeps only the traces that can take part
 * in a link (a source with a peer, a destination). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "case/case_int.h"
#include "util/fileout.h"
#include "util/strmap.h"
#include "util/msg.h"
#include "util/timeutil.h"

static char *dup_or_null(const char *s)
{
    return s ? tm_xstrdup(s) : NULL;
}

static int64_t json_time(json_t *v)
{
    int64_t t;
    const char *s = json_string_value(v);
    return s && tm_time_parse_iso(s, &t) ? t : TM_TIME_NONE;
}

/* The ids of CASEDIR's input folders (with a summary.json, or listed in
 * inputs.tsv), in the order inputs.tsv gives, then by name. */
static void list_inputs(case_state *c)
{
    char *tsv = tm_xasprintf("%s/inputs.tsv", c->casedir);
    FILE *f = fopen(tsv, "r");
    free(tsv);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *st = strchr(line, '\t');
        char *path = st ? strchr(st + 1, '\t') : NULL;
        if (!st || !path)
            continue;
        *st++ = '\0';
        *path++ = '\0';
        TM_GROW(c->in, c->nin);
        case_input *in = &c->in[c->nin++];
        memset(in, 0, sizeof *in);
        in->id = tm_xstrdup(line);
        in->path = tm_xstrdup(path);
        in->status = !strcmp(st, "not read") ? TM_CASE_NOT_READ
                     : !strcmp(st, "failed") ? TM_CASE_FAILED
                     : !strcmp(st, "kept")   ? TM_CASE_KEPT
                                             : TM_CASE_DONE;
    }
    free(line);
    if (f)
        fclose(f);
    /* folders inputs.tsv does not name (a per-input run elsewhere) */
    struct dirent **ents = NULL;
    int ne = scandir(c->casedir, &ents, NULL, alphasort);
    for (int i = 0; i < ne; i++) {
        const char *name = ents[i]->d_name;
        bool known = name[0] == '.' || !strcmp(name, "case");
        for (size_t k = 0; k < c->nin && !known; k++)
            known = !strcmp(c->in[k].id, name);
        char *sum = tm_xasprintf("%s/%s/summary.json", c->casedir, name);
        struct stat st;
        if (!known && stat(sum, &st) == 0 && S_ISREG(st.st_mode)) {
            TM_GROW(c->in, c->nin);
            case_input *in = &c->in[c->nin++];
            memset(in, 0, sizeof *in);
            in->id = tm_xstrdup(name);
            in->status = TM_CASE_DONE;
        }
        free(sum);
        free(ents[i]);
    }
    free(ents);
}

static void read_summary(case_state *c, case_input *in)
{
    if (in->status == TM_CASE_NOT_READ)
        return;
    char *p = tm_xasprintf("%s/%s/summary.json", c->casedir, in->id);
    json_error_t jerr;
    json_t *s = json_load_file(p, 0, &jerr);
    free(p);
    if (!s) {
        in->problem = tm_xasprintf("no readable summary.json (%s): its outputs are not complete", jerr.text);
        return;
    }
    in->complete = true;
    json_t *input = json_object_get(s, "input");
    if (!in->path)
        in->path = dup_or_null(json_string_value(json_object_get(input, "path")));
    json_t *id = json_object_get(s, "identity");
    in->computer = dup_or_null(json_string_value(json_object_get(id, "computer")));
    if (!in->computer)
        in->computer = dup_or_null(json_string_value(json_object_get(s, "host")));
    in->domain = dup_or_null(json_string_value(json_object_get(id, "domain")));
    json_t *addrs = json_object_get(id, "addresses");
    for (size_t i = 0; i < json_array_size(addrs); i++) {
        const char *a = json_string_value(json_array_get(addrs, i));
        if (!a)
            continue;
        TM_GROW(in->addresses, in->naddresses);
        in->addresses[in->naddresses++] = tm_xstrdup(a);
    }
    in->nown = in->naddresses;
    json_t *seen = json_object_get(id, "seen_in_logons");
    for (size_t i = 0; i < json_array_size(seen); i++) {
        json_t *x = json_array_get(seen, i);
        const char *nm = json_string_value(json_object_get(x, "name"));
        const char *ad = json_string_value(json_object_get(x, "address"));
        if (!nm || !ad)
            continue;
        TM_GROW(c->seen, c->nseen);
        c->seen[c->nseen++] = (case_seen){tm_xstrdup(nm), tm_xstrdup(ad), (size_t)(in - c->in)};
    }
    json_t *tr = json_object_get(s, "traces");
    in->traces = (size_t)json_integer_value(json_object_get(tr, "total"));
    in->attributed = (size_t)json_integer_value(json_object_get(tr, "attributed"));
    in->confirmed = (size_t)json_integer_value(json_object_get(tr, "confirmed"));
    in->errors = (size_t)json_integer_value(json_object_get(s, "errors"));
    in->first = in->last = TM_TIME_NONE;
    static const char *const lists[] = {"by_tool", "unattributed"};
    for (size_t l = 0; l < 2; l++) {
        json_t *a = json_object_get(tr, lists[l]);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *t = json_array_get(a, i);
            TM_GROW(in->tallies, in->ntallies);
            case_tally *y = &in->tallies[in->ntallies++];
            y->tool = dup_or_null(json_string_value(json_object_get(t, "tool")));
            y->activity = dup_or_null(json_string_value(json_object_get(t, "activity")));
            y->role = dup_or_null(json_string_value(json_object_get(t, "role")));
            y->traces = (size_t)json_integer_value(json_object_get(t, "traces"));
            y->confirmed = (size_t)json_integer_value(json_object_get(t, "confirmed"));
            y->first = json_time(json_object_get(t, "first"));
            y->last = json_time(json_object_get(t, "last"));
            if (y->first != TM_TIME_NONE && (in->first == TM_TIME_NONE || y->first < in->first))
                in->first = y->first;
            if (y->last != TM_TIME_NONE && (in->last == TM_TIME_NONE || y->last > in->last))
                in->last = y->last;
        }
    }
    json_decref(s);
    c->total += in->traces;
    c->attributed += in->attributed;
    c->confirmed += in->confirmed;
}

/* ---- the traces that can take part in a link -------------------------------- */

static const char *intern(tm_strmap *names, const char *s)
{
    return s ? tm_strmap_intern(names, s) : NULL;
}

static void keep_trace(case_state *c, tm_strmap *names, size_t host, json_t *t)
{
    const char *role = json_string_value(json_object_get(t, "role"));
    const char *peer = json_string_value(json_object_get(t, "peer"));
    bool source = role && !strcmp(role, "source");
    bool dest = role && !strcmp(role, "destination");
    if (!(source && peer) && !dest)
        return;
    TM_GROW(c->traces, c->ntraces);
    tm_case_trace *x = &c->traces[c->ntraces++];
    memset(x, 0, sizeof *x);
    x->host = host;
    json_int_t ts = json_integer_value(json_object_get(t, "timestamp"));
    const char *desc = json_string_value(json_object_get(t, "timestamp_desc"));
    x->time = ts == 0 && desc && !strncmp(desc, "Time unknown", 12) ? TM_TIME_NONE : (int64_t)ts;
    x->source = source;
    x->tool = intern(names, json_string_value(json_object_get(t, "tool")));
    x->activity = intern(names, json_string_value(json_object_get(t, "activity")));
    x->user = intern(names, json_string_value(json_object_get(t, "user")));
    x->peer = intern(names, peer);
    x->message = intern(names, json_string_value(json_object_get(t, "message")));
    json_t *cand = json_object_get(t, "candidates");
    size_t nc = json_array_size(cand);
    if (nc) {
        const char **cv = tm_xcalloc(nc, sizeof *cv);
        for (size_t i = 0; i < nc; i++)
            cv[i] = intern(names, json_string_value(json_array_get(cand, i)));
        x->candidates = cv;
        x->ncand = nc;
    }
    json_t *e0 = json_array_get(json_object_get(t, "evidence"), 0);
    if (e0) {
        char ref[1200];
        snprintf(ref, sizeof ref, "%s:%s/%s#%" JSON_INTEGER_FORMAT,
                 json_string_value(json_object_get(e0, "kind")) ? json_string_value(json_object_get(e0, "kind")) : "",
                 json_string_value(json_object_get(e0, "volume")) ? json_string_value(json_object_get(e0, "volume"))
                                                                  : "",
                 json_string_value(json_object_get(e0, "path")) ? json_string_value(json_object_get(e0, "path")) : "",
                 json_integer_value(json_object_get(e0, "record")));
        x->evidence = intern(names, ref);
    }
}

/* ---- the merged timelines ------------------------------------------------------ */

enum { F_JSONL, F_CSV, F_L2T, F_BODY, NFORMATS };
static const char *const files[NFORMATS] = {"traces.jsonl", "traces.csv", "traces.l2tcsv", "traces.body"};
static const bool has_header[NFORMATS] = {false, true, true, false};

typedef struct {
    FILE *f[NFORMATS];
    char *line[NFORMATS];
    size_t cap[NFORMATS];
    ssize_t len[NFORMATS];
    int64_t key; /* the current trace's time, INT64_MAX when it has none */
    size_t host;
    bool live;
} stream;

/* Reads the next trace of s (a line of each format); false at the end. */
static bool advance(stream *s, case_state *c, tm_strmap *names, case_input *in)
{
    s->len[F_JSONL] = s->f[F_JSONL] ? getline(&s->line[F_JSONL], &s->cap[F_JSONL], s->f[F_JSONL]) : -1;
    if (s->len[F_JSONL] <= 0) {
        s->live = false;
        return false;
    }
    for (int k = 1; k < NFORMATS; k++)
        if (s->f[k]) {
            s->len[k] = getline(&s->line[k], &s->cap[k], s->f[k]);
            if (s->len[k] <= 0) { /* a file shorter than the traces: it is left out from here */
                if (!in->problem)
                    in->problem = tm_xasprintf("%s has fewer lines than traces.jsonl", files[k]);
                fclose(s->f[k]);
                s->f[k] = NULL;
            }
        }
    json_error_t jerr;
    json_t *t = json_loadb(s->line[F_JSONL], (size_t)s->len[F_JSONL], 0, &jerr);
    if (!t) {
        if (!in->problem)
            in->problem = tm_xasprintf("traces.jsonl: a line is not JSON (%s)", jerr.text);
        s->key = INT64_MAX;
        return true; /* still written: the merge does not judge lines */
    }
    json_int_t ts = json_integer_value(json_object_get(t, "timestamp"));
    const char *desc = json_string_value(json_object_get(t, "timestamp_desc"));
    s->key = ts == 0 && desc && !strncmp(desc, "Time unknown", 12) ? INT64_MAX : (int64_t)ts;
    keep_trace(c, names, s->host, t);
    json_decref(t);
    return true;
}

/* A merged file, written as it goes (temporary name, renamed at the end). */
typedef struct {
    tm_fileout f;
    tm_buf b;
    bool open;
} sink;

static void put_line(sink *s, const char *p, ssize_t n)
{
    if (!s->open)
        return;
    tm_buf_put(&s->b, p, (size_t)n);
    if (n > 0 && p[n - 1] != '\n')
        tm_buf_putc(&s->b, '\n');
    if (s->b.len >= (1u << 16)) {
        tm_fileout_write(&s->f, s->b.data, s->b.len);
        tm_buf_reset(&s->b);
    }
}

/* Merges the inputs' timelines into out[] (one buffer per format) and
 * collects the traces for linking. */
static void merge_timelines(case_state *c, tm_strmap *names, sink out[NFORMATS])
{
    stream *st = tm_xcalloc(c->nhosts ? c->nhosts : 1, sizeof *st);
    bool header_done[NFORMATS] = {false};
    for (size_t h = 0; h < c->nhosts; h++) {
        case_input *in = &c->in[c->host_input[h]];
        st[h].host = h;
        for (int k = 0; k < NFORMATS; k++) {
            char *p = tm_xasprintf("%s/%s/%s", c->casedir, in->id, files[k]);
            st[h].f[k] = fopen(p, "r");
            free(p);
            if (st[h].f[k] && has_header[k]) {
                ssize_t n = getline(&st[h].line[k], &st[h].cap[k], st[h].f[k]);
                if (n > 0 && !header_done[k]) {
                    put_line(&out[k], st[h].line[k], n);
                    header_done[k] = true;
                }
            }
        }
        st[h].live = true;
        advance(&st[h], c, names, in);
    }
    /* k-way merge: the smallest key, ties in input order (inputs are few:
     * a pass over them per line is cheaper than a heap's bookkeeping below
     * a few hundred) */
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t h = 0; h < c->nhosts; h++)
            if (st[h].live && (best == SIZE_MAX || st[h].key < st[best].key))
                best = h;
        if (best == SIZE_MAX)
            break;
        for (int k = 0; k < NFORMATS; k++)
            if (st[best].f[k] || k == F_JSONL)
                put_line(&out[k], st[best].line[k], st[best].len[k]);
        advance(&st[best], c, names, &c->in[c->host_input[best]]);
    }
    for (size_t h = 0; h < c->nhosts; h++)
        for (int k = 0; k < NFORMATS; k++) {
            if (st[h].f[k])
                fclose(st[h].f[k]);
            free(st[h].line[k]);
        }
    free(st);
}

/* Addresses a host was seen with in other hosts' logons join those it
 * answers to: a DHCP workstation whose image says no address is still
 * known by the address it came from. */
static void add_seen_addresses(case_state *c)
{
    for (size_t s = 0; s < c->nseen; s++) {
        /* a logon's workstation name is the client's word: it never takes
         * an address another image says is its own */
        bool owned = false;
        for (size_t i = 0; i < c->nin && !owned; i++)
            for (size_t k = 0; k < c->in[i].nown && !owned; k++)
                owned = strcmp(c->in[i].addresses[k], c->seen[s].address) == 0;
        if (owned)
            continue;
        for (size_t i = 0; i < c->nin; i++) {
            case_input *in = &c->in[i];
            if (!in->complete || !in->computer || strcasecmp(in->computer, c->seen[s].name) != 0 ||
                i == c->seen[s].seen_by)
                continue;
            bool known = false;
            for (size_t k = 0; k < in->naddresses && !known; k++)
                known = strcmp(in->addresses[k], c->seen[s].address) == 0;
            if (!known) {
                TM_GROW(in->addresses, in->naddresses);
                in->addresses[in->naddresses++] = tm_xstrdup(c->seen[s].address);
            }
        }
    }
}

const char *case_name_seen_with(const case_state *c, const char *address)
{
    for (size_t s = 0; address && s < c->nseen; s++)
        if (strcmp(c->seen[s].address, address) == 0)
            return c->seen[s].name;
    return NULL;
}

const char *case_host_name(const case_state *c, size_t host)
{
    const case_input *in = &c->in[c->host_input[host]];
    return in->computer && *in->computer ? in->computer : in->id;
}

static int write_file(const char *dir, const char *name, const tm_buf *b)
{
    char *p = tm_xasprintf("%s/%s", dir, name);
    tm_fileout f;
    int rc = tm_fileout_open(&f, p);
    if (rc == 0) {
        tm_fileout_write(&f, b->data, b->len);
        rc = tm_fileout_commit(&f);
    }
    if (rc != 0)
        tm_msg("cannot write %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static void free_state(case_state *c)
{
    for (size_t i = 0; i < c->nin; i++) {
        case_input *in = &c->in[i];
        free(in->id);
        free(in->path);
        free(in->problem);
        free(in->computer);
        free(in->domain);
        for (size_t k = 0; k < in->naddresses; k++)
            free(in->addresses[k]);
        free(in->addresses);
        for (size_t k = 0; k < in->ntallies; k++) {
            free(in->tallies[k].tool);
            free(in->tallies[k].activity);
            free(in->tallies[k].role);
        }
        free(in->tallies);
    }
    free(c->in);
    for (size_t i = 0; i < c->nseen; i++) {
        free(c->seen[i].name);
        free(c->seen[i].address);
    }
    free(c->seen);
    for (size_t i = 0; i < c->ntraces; i++)
        free((void *)c->traces[i].candidates);
    free(c->traces);
    free(c->hosts);
    free(c->host_input);
    tm_case_links_free(&c->links);
}

int tm_case_merge(const char *casedir, const tm_case_opts *o)
{
    case_state c = {.casedir = casedir, .skew_us = o && o->skew_us > 0 ? o->skew_us : TM_CASE_DEFAULT_SKEW_US};
    list_inputs(&c);
    int rc = 0;
    for (size_t i = 0; i < c.nin; i++)
        read_summary(&c, &c.in[i]);
    add_seen_addresses(&c);
    for (size_t i = 0; i < c.nin; i++) {
        if (c.in[i].complete) {
            TM_GROW(c.hosts, c.nhosts);
            c.host_input = tm_xrealloc(c.host_input, (c.nhosts + 1) * sizeof *c.host_input);
            c.host_input[c.nhosts] = i;
            c.hosts[c.nhosts++] = (tm_case_host){c.in[i].id, c.in[i].computer, c.in[i].domain,
                                                 (const char *const *)c.in[i].addresses, c.in[i].naddresses};
        }
    }
    tm_strmap names;
    tm_strmap_init(&names, false);
    char *dir = tm_xasprintf("%s/case", casedir);
    sink out[NFORMATS];
    memset(out, 0, sizeof out);
    if (tm_mkdirs(dir, 0755) != 0) {
        tm_msg("cannot create %s: %s", dir, strerror(errno));
        rc = -1;
    }
    for (int k = 0; k < NFORMATS && rc >= 0; k++) {
        char *p = tm_xasprintf("%s/%s", dir, files[k]);
        tm_buf_init(&out[k].b);
        out[k].open = tm_fileout_open(&out[k].f, p) == 0;
        if (!out[k].open) {
            tm_msg("cannot write %s: %s", p, strerror(errno));
            rc = -1;
        }
        free(p);
    }
    merge_timelines(&c, &names, out);
    for (int k = 0; k < NFORMATS; k++) {
        if (out[k].open) {
            tm_fileout_write(&out[k].f, out[k].b.data, out[k].b.len);
            char *p = tm_xstrdup(out[k].f.final_path);
            if (tm_fileout_commit(&out[k].f) != 0) {
                tm_msg("cannot write %s: %s", p, strerror(errno));
                rc = -1;
            }
            free(p);
        }
        tm_buf_free(&out[k].b);
    }
    for (size_t i = 0; i < c.nin; i++)
        if (c.in[i].problem) {
            tm_msg("%s: %s/%s: %s", casedir, casedir, c.in[i].id, c.in[i].problem);
            rc = 1;
        }
    tm_case_link(c.hosts, c.nhosts, c.traces, c.ntraces, c.skew_us, &c.links);
    if (rc >= 0) {
        tm_buf b;
        tm_buf_init(&b);
        case_write_links_csv(&b, &c);
        if (write_file(dir, "lateral-movement.csv", &b) != 0)
            rc = -1;
        tm_buf_reset(&b);
        case_write_dot(&b, &c);
        if (write_file(dir, "hosts.dot", &b) != 0)
            rc = -1;
        tm_buf_reset(&b);
        case_write_html(&b, &c);
        if (write_file(dir, "report.html", &b) != 0)
            rc = -1;
        tm_buf_reset(&b);
        case_write_summary(&b, &c); /* last: it marks the case's outputs complete */
        if (rc >= 0 && write_file(dir, "summary.json", &b) != 0)
            rc = -1;
        tm_buf_free(&b);
    }
    free(dir);
    free_state(&c);
    tm_strmap_free(&names);
    return rc;
}
