/* traces.jsonl: one trace per line, as Timesketch's JSONL import takes it
 * (message, datetime, timestamp_desc on every line). docs/traces.md. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/timeutil.h"

void tm_trace_json(tm_buf *out, const tm_trace *t, const char *input, const char *input_id,
                   const char *const *labels, size_t nlabels)
{
    tm_json j;
    tm_json_init(&j, out);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "message", t->message);
    /* Timesketch needs a time on every row: a trace without one gets the
     * epoch and says so in timestamp_desc (plaso's "Not a time" convention) */
    bool none = t->time == TM_TIME_NONE;
    tm_json_ktime(&j, "datetime", none ? 0 : t->time);
    tm_json_key(&j, "timestamp");
    tm_json_int(&j, none ? 0 : t->time);
    if (none) {
        tm_buf d;
        tm_buf_init(&d);
        tm_buf_printf(&d, "Time unknown: %s", t->time_desc ? t->time_desc : "no record gives one");
        tm_json_kstr(&j, "timestamp_desc", tm_buf_cstr(&d));
        tm_buf_free(&d);
    } else {
        tm_json_kstr(&j, "timestamp_desc", t->time_desc);
    }
    tm_json_kstr(&j, "activity", t->activity);
    tm_json_kstr(&j, "tool", t->tool);
    tm_json_kstr(&j, "attribution", tm_attribution_name(t->attribution));
    tm_json_key(&j, "candidates");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < t->ncand; i++)
        tm_json_str(&j, t->candidates[i]);
    tm_json_arr_end(&j);
    tm_json_kstr(&j, "category", t->category);
    tm_json_kstr(&j, "role", tm_role_name(t->role));
    tm_json_kstr(&j, "outcome", t->outcome);
    tm_json_kstr(&j, "confidence", t->confirmed ? "confirmed" : "indicator");
    tm_json_kstr(&j, "reason", t->reason);
    tm_json_kstr(&j, "host", t->host);
    tm_json_kstr(&j, "user", t->user);
    tm_json_kstr(&j, "user_sid", t->user_sid);
    tm_json_kstr(&j, "logon_id", t->logon_id);
    tm_json_kstr(&j, "peer", t->peer);
    tm_json_kstr(&j, "command_line", t->command_line);
    tm_json_kstr(&j, "phase", t->phase);
    tm_json_key(&j, "rule"); /* the Sigma rule a trace comes from, null for the plugins' */
    if (t->rule) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "id", t->rule->id);
        tm_json_kstr(&j, "title", t->rule->title);
        tm_json_kstr(&j, "level", t->rule->level);
        tm_json_kstr(&j, "status", t->rule->status);
        tm_json_kstr(&j, "author", t->rule->author);
        tm_json_kstr(&j, "file", t->rule->file);
        tm_json_key(&j, "tags");
        tm_json_arr_begin(&j);
        for (size_t i = 0; i < t->rule->ntags; i++)
            tm_json_str(&j, t->rule->tags[i]);
        tm_json_arr_end(&j);
        tm_json_obj_end(&j);
    } else {
        tm_json_null(&j);
    }
    tm_json_kstr(&j, "input", input);
    tm_json_kstr(&j, "input_id", input_id);
    tm_json_kuint(&j, "evidence_total", t->evidence_total > t->nev ? t->evidence_total : t->nev);
    /* where the cited records were found, each place once (at most
     * TM_TRACE_MAX_CITED citations: the quadratic look is bounded) */
    tm_json_key(&j, "origins");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < t->nev; i++) {
        const char *o = t->ev[i].origin ? t->ev[i].origin : "live";
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(o, t->ev[k].origin ? t->ev[k].origin : "live") == 0;
        if (!seen)
            tm_json_str(&j, o);
    }
    tm_json_arr_end(&j);
    tm_json_key(&j, "evidence");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < t->nev; i++) {
        const tm_evidence *e = &t->ev[i];
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "kind", e->kind);
        tm_json_kstr(&j, "volume", e->volume >= 0 && (size_t)e->volume < nlabels ? labels[e->volume] : NULL);
        tm_json_kstr(&j, "path", e->path);
        tm_json_kuint(&j, "record", e->record);
        tm_json_kstr(&j, "record_is", e->record_name);
        tm_json_kstr(&j, "channel", e->channel);
        tm_json_key(&j, "event_id");
        if (e->event_id)
            tm_json_uint(&j, e->event_id);
        else
            tm_json_null(&j);
        tm_json_ktime(&j, "time", e->time);
        tm_json_kstr(&j, "summary", e->summary);
        tm_json_kbool(&j, "attributes", e->attributes);
        tm_json_kstr(&j, "origin", e->origin ? e->origin : "live");
        if (e->also)
            tm_json_kstr(&j, "also_found_in", e->also);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    tm_json_obj_end(&j);
}

static void write_jsonl(tm_buf *b, const tm_report *r)
{
    char **labels = tm_volume_labels(r->in);
    for (size_t k = 0; k < r->traces->n; k++) {
        tm_trace_json(b, &r->traces->t[k], r->in->path, r->in->id, (const char *const *)labels, r->in->nvols);
        tm_buf_putc(b, '\n');
    }
    tm_volume_labels_free(r->in, labels);
}

const tm_output_format tm_format_jsonl = {"jsonl", "traces.jsonl", write_jsonl, true};
