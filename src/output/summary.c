/* summary.json: the input, its volumes and artifacts, counts of traces per
 * tool, errors and the coverage verdict. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/artifact_json.h"
#include "util/json.h"
#include "util/strmap.h"
#include "util/timeutil.h"

size_t tm_tally_tools(const tm_traces *ts, tm_tool_tally **out, size_t *which)
{
    tm_tool_tally *c = NULL;
    size_t n = 0;
    tm_strmap ix; /* "tool<TAB>role" -> tally */
    tm_strmap_init(&ix, false);
    for (size_t i = 0; i < ts->n; i++) {
        const tm_trace *t = &ts->t[i];
        char key[256];
        /* tools and activities apart: "\1" cannot start a tool id */
        snprintf(key, sizeof key, "%s%s\t%d", t->tool ? "" : "\1", t->tool ? t->tool : t->activity ? t->activity : "",
                 (int)t->role);
        size_t k = tm_strmap_get(&ix, key);
        if (k == TM_STRMAP_NONE) {
            TM_GROW(c, n);
            c[n] = (tm_tool_tally){t->tool, t->tool ? NULL : t->activity, t->role, 0, 0, i, TM_TIME_NONE,
                                   TM_TIME_NONE};
            tm_strmap_put(&ix, key, n);
            k = n++;
        }
        if (which)
            which[i] = k;
        c[k].n++;
        c[k].confirmed += t->confirmed;
        if (t->time != TM_TIME_NONE) {
            if (c[k].first == TM_TIME_NONE || t->time < c[k].first)
                c[k].first = t->time;
            if (c[k].last == TM_TIME_NONE || t->time > c[k].last)
                c[k].last = t->time;
        }
    }
    tm_strmap_free(&ix);
    *out = c;
    return n;
}

const char *const tm_rule_levels[5] = {"informational", "low", "medium", "high", "critical"};

size_t tm_tally_rules(const tm_traces *ts, tm_rule_tally **out)
{
    tm_strmap seen;
    tm_strmap_init(&seen, false);
    tm_rule_tally *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++) {
        const tm_trace *t = &ts->t[i];
        if (!t->rule)
            continue;
        const char *key = t->rule->id ? t->rule->id : t->rule->title ? t->rule->title : "";
        size_t k = tm_strmap_get(&seen, key);
        if (k == TM_STRMAP_NONE) {
            k = n;
            tm_strmap_put(&seen, key, k);
            TM_GROW(v, n);
            v[n++] = (tm_rule_tally){t->rule, -1, 0, 0, i, TM_TIME_NONE, TM_TIME_NONE};
            for (int l = 0; l < 5; l++)
                if (t->rule->level && !strcmp(t->rule->level, tm_rule_levels[l]))
                    v[k].level = l;
        }
        v[k].traces++;
        v[k].records += t->evidence_total > t->nev ? t->evidence_total : t->nev;
        if (t->time != TM_TIME_NONE) {
            if (v[k].first == TM_TIME_NONE || t->time < v[k].first)
                v[k].first = t->time;
            if (v[k].last == TM_TIME_NONE || t->time > v[k].last)
                v[k].last = t->time;
        }
    }
    tm_strmap_free(&seen);
    *out = v;
    return n;
}

/* The rules the run loaded and ran, and the traces each rule gave; per
 * level, the traces and the hits (records matched) of that level. */
static void rules_json(tm_json *j, const tm_report *r)
{
    tm_json_key(j, "rules");
    if (!r->rules) {
        tm_json_null(j);
        return;
    }
    tm_json_obj_begin(j);
    tm_json_kuint(j, "loaded", r->rules->loaded);
    tm_json_kuint(j, "active", r->rules->active);
    tm_json_kuint(j, "skipped", r->rules->skipped);
    tm_json_kuint(j, "errors", r->rules->errors);
    tm_json_kstr(j, "min_level", r->rules->min_level);
    tm_json_key(j, "paths");
    tm_json_arr_begin(j);
    for (size_t i = 0; i < r->rules->npaths; i++)
        tm_json_str(j, r->rules->paths[i]);
    tm_json_arr_end(j);
    tm_rule_tally *v;
    size_t n = tm_tally_rules(r->traces, &v), by_level[5] = {0}, hits_by_level[5] = {0};
    for (size_t k = 0; k < n; k++)
        if (v[k].level >= 0) {
            by_level[v[k].level] += v[k].traces;
            hits_by_level[v[k].level] += v[k].records;
        }
    tm_json_key(j, "traces_by_level");
    tm_json_obj_begin(j);
    for (size_t l = 5; l-- > 0;)
        tm_json_kuint(j, tm_rule_levels[l], by_level[l]);
    tm_json_obj_end(j);
    tm_json_key(j, "hits_by_level");
    tm_json_obj_begin(j);
    for (size_t l = 5; l-- > 0;)
        tm_json_kuint(j, tm_rule_levels[l], hits_by_level[l]);
    tm_json_obj_end(j);
    tm_json_key(j, "hits");
    tm_json_arr_begin(j);
    for (size_t k = 0; k < n; k++) {
        tm_json_obj_begin(j);
        tm_json_kstr(j, "id", v[k].rule->id);
        tm_json_kstr(j, "title", v[k].rule->title);
        tm_json_kstr(j, "level", v[k].rule->level);
        tm_json_kstr(j, "author", v[k].rule->author);
        tm_json_kuint(j, "traces", v[k].traces);
        tm_json_kuint(j, "records", v[k].records);
        tm_json_ktime(j, "first", v[k].first);
        tm_json_ktime(j, "last", v[k].last);
        tm_json_obj_end(j);
    }
    tm_json_arr_end(j);
    tm_json_obj_end(j);
    free(v);
}

/* The run: the command line, when, toolmark's and the libraries' versions,
 * the display zone and the time window. */
static void run_json(tm_json *j, const tm_report_run *run)
{
    tm_json_key(j, "run");
    if (!run) {
        tm_json_null(j);
        return;
    }
    tm_json_obj_begin(j);
    tm_json_kstr(j, "command_line", run->command_line);
    tm_json_ktime(j, "started", run->started);
    tm_json_ktime(j, "input_started", run->input_started);
    tm_json_ktime(j, "input_ended", run->input_ended);
    tm_json_kstr(j, "toolmark_version", TM_VERSION);
    tm_json_key(j, "memory");
    tm_json_obj_begin(j);
    tm_json_kuint(j, "budget", run->memory_budget);
    tm_json_kuint(j, "spill_file", run->spill_file);
    tm_json_kuint(j, "spill_trims", run->spill_trims);
    tm_json_kuint(j, "input_process_peak_rss", run->peak_rss);
    tm_json_obj_end(j);
    tm_json_key(j, "libraries");
    tm_json_obj_begin(j);
    for (const char *p = run->libraries ? run->libraries : ""; *p;) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (sp) {
            char *name = tm_xstrndup(p, (size_t)(sp - p)), *ver = tm_xstrndup(sp + 1, (size_t)(end - sp - 1));
            tm_json_kstr(j, name, ver);
            free(name);
            free(ver);
        }
        p = nl ? nl + 1 : end;
    }
    tm_json_obj_end(j);
    tm_json_kstr(j, "time_zone", run->zone);
    tm_json_ktime(j, "from", run->from);
    tm_json_ktime(j, "to", run->to);
    tm_json_kuint(j, "traces_outside_window", run->outside);
    tm_json_obj_end(j);
}

static void write_summary(tm_buf *b, const tm_report *r)
{
    const tm_input *in = r->in;
    tm_json j;
    tm_json_init(&j, b);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "toolmark_version", TM_VERSION);
    tm_json_kstr(&j, "options", r->options);
    run_json(&j, r->run);
    tm_json_key(&j, "input");
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "path", in->path);
    tm_json_kstr(&j, "id", in->id);
    /* what --resume compares with the input as it is then */
    tm_json_key(&j, "fingerprint");
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "real_path", in->real_path);
    tm_json_kuint(&j, "file_size", in->file_size);
    tm_json_kint(&j, "file_mtime_us", in->file_mtime);
    tm_json_obj_end(&j);
    tm_json_input_media(&j, in);
    tm_json_key(&j, "stored_hashes"); /* what an E01 recorded at acquisition */
    if (in->stored_md5 || in->stored_sha1) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "md5", in->stored_md5);
        tm_json_kstr(&j, "sha1", in->stored_sha1);
        tm_json_obj_end(&j);
    } else {
        tm_json_null(&j);
    }
    tm_json_key(&j, "computed_hashes"); /* --verify: the media as read now */
    if (in->computed_md5) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "md5", in->computed_md5);
        tm_json_kstr(&j, "sha1", in->computed_sha1);
        tm_json_obj_end(&j);
    } else {
        tm_json_null(&j);
    }
    tm_json_kuint(&j, "ewf_checksum_errors", in->checksum_errors);
    tm_json_kbool(&j, "access_times_kept", in->noatime);
    tm_json_obj_end(&j);
    tm_json_kstr(&j, "host", r->host);
    /* who the host is on the network: what links it to the other hosts of a case */
    tm_json_key(&j, "identity");
    if (r->identity) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "computer", r->identity->computer[0] ? r->identity->computer : r->host);
        tm_json_kstr(&j, "domain", r->identity->domain[0] ? r->identity->domain : NULL);
        tm_json_key(&j, "addresses");
        tm_json_arr_begin(&j);
        for (unsigned i = 0; i < r->identity->naddresses; i++)
            tm_json_str(&j, r->identity->addresses[i]);
        tm_json_arr_end(&j);
        /* the other hosts as its logons saw them */
        tm_json_key(&j, "seen_in_logons");
        tm_json_arr_begin(&j);
        for (unsigned i = 0; i < r->identity->nseen; i++) {
            tm_json_obj_begin(&j);
            tm_json_kstr(&j, "name", r->identity->seen[i].name);
            tm_json_kstr(&j, "address", r->identity->seen[i].address);
            tm_json_kuint(&j, "logons", r->identity->seen[i].logons);
            tm_json_obj_end(&j);
        }
        tm_json_arr_end(&j);
        tm_json_obj_end(&j);
    } else {
        tm_json_null(&j);
    }
    tm_json_key(&j, "volumes");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < in->nvols; i++)
        tm_json_volume(&j, in, &in->vols[i]);
    tm_json_arr_end(&j);
    /* artifacts per kind: found, read, failed, records */
    tm_json_key(&j, "artifacts");
    tm_json_obj_begin(&j);
    for (int k = 0; k < TM_ART__COUNT; k++) {
        size_t found = 0, read = 0, failed = 0;
        uint64_t records = 0, skipped = 0;
        for (size_t i = 0; i < in->narts; i++) {
            if ((int)in->arts[i].kind != k)
                continue;
            found++;
            if (r->arts && r->arts[i].attempted) {
                if (r->arts[i].failed)
                    failed++;
                else
                    read++;
                records += r->arts[i].records;
                skipped += r->arts[i].skipped;
            }
        }
        if (!found)
            continue;
        tm_json_key(&j, tm_art_kind_name((tm_art_kind)k));
        tm_json_obj_begin(&j);
        tm_json_kuint(&j, "found", found);
        tm_json_kuint(&j, "read", read);
        tm_json_kuint(&j, "failed", failed);
        tm_json_kuint(&j, "records", records);
        tm_json_kuint(&j, "unreadable_records", skipped);
        tm_json_obj_end(&j);
    }
    tm_json_obj_end(&j);
    /* traces */
    size_t confirmed = 0, untimed = 0, attributed = 0;
    for (size_t i = 0; i < r->traces->n; i++) {
        confirmed += r->traces->t[i].confirmed;
        untimed += r->traces->t[i].time == TM_TIME_NONE;
        attributed += r->traces->t[i].tool != NULL;
    }
    tm_json_key(&j, "traces");
    tm_json_obj_begin(&j);
    tm_json_kuint(&j, "total", r->traces->n);
    tm_json_kuint(&j, "attributed", attributed);
    tm_json_kuint(&j, "confirmed", confirmed);
    tm_json_kuint(&j, "without_time", untimed);
    tm_json_key(&j, "by_tool");
    tm_json_arr_begin(&j);
    tm_tool_tally *tc;
    size_t ntc = tm_tally_tools(r->traces, &tc, NULL);
    for (size_t i = 0; i < ntc; i++) {
        if (!tc[i].tool)
            continue;
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "tool", tc[i].tool);
        tm_json_kstr(&j, "role", tm_role_name(tc[i].role));
        tm_json_kuint(&j, "traces", tc[i].n);
        tm_json_kuint(&j, "confirmed", tc[i].confirmed);
        tm_json_ktime(&j, "first", tc[i].first);
        tm_json_ktime(&j, "last", tc[i].last);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    /* what happened where the records do not say which tool did it */
    tm_json_key(&j, "unattributed");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < ntc; i++) {
        if (tc[i].tool)
            continue;
        const tm_trace *t = &r->traces->t[tc[i].first_index];
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "activity", tc[i].activity);
        tm_json_kstr(&j, "role", tm_role_name(tc[i].role));
        tm_json_kuint(&j, "traces", tc[i].n);
        tm_json_key(&j, "candidates");
        tm_json_arr_begin(&j);
        for (size_t k = 0; k < t->ncand; k++)
            tm_json_str(&j, t->candidates[k]);
        tm_json_arr_end(&j);
        tm_json_ktime(&j, "first", tc[i].first);
        tm_json_ktime(&j, "last", tc[i].last);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    free(tc);
    tm_json_obj_end(&j);
    rules_json(&j, r);
    tm_json_kuint(&j, "errors", r->errors ? r->errors->n : 0);
    if (r->io) {
        tm_json_key(&j, "io");
        tm_json_obj_begin(&j);
        tm_json_kuint(&j, "artifact_bytes", r->io->artifact_bytes);
        tm_json_kuint(&j, "served_to_workers", r->io->served);
        tm_json_kuint(&j, "read_from_input", r->io->input_read);
        tm_json_obj_end(&j);
    }
    tm_json_key(&j, "coverage");
    if (r->coverage)
        tm_coverage_json(&j, r->coverage);
    else
        tm_json_null(&j);
    tm_json_obj_end(&j);
    tm_buf_putc(b, '\n');
}

const tm_output_format tm_format_summary = {"summary", "summary.json", write_summary, true};
