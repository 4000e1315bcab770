#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/text.h"
#include "util/timeutil.h"

char **tm_volume_labels(const tm_input *in)
{
    char **labels = tm_xcalloc(in->nvols ? in->nvols : 1, sizeof *labels);
    for (size_t i = 0; i < in->nvols; i++) {
        char l[32];
        tm_volume_label(in, &in->vols[i], l, sizeof l);
        labels[i] = tm_xstrdup(l);
    }
    return labels;
}

void tm_volume_labels_free(const tm_input *in, char **labels)
{
    for (size_t i = 0; i < in->nvols; i++)
        free(labels[i]);
    free(labels);
}

void tm_evidence_refs(tm_buf *b, const tm_trace *t, char **labels, size_t nlabels, bool summaries)
{
    for (size_t i = 0; i < t->nev; i++) {
        const tm_evidence *e = &t->ev[i];
        if (i)
            tm_buf_puts(b, "; ");
        if (summaries) {
            tm_buf_puts(b, e->summary ? e->summary : "");
            continue;
        }
        const char *vol = e->volume >= 0 && (size_t)e->volume < nlabels ? labels[e->volume] : "";
        tm_buf_printf(b, "%s:%s%s%s#%llu", e->kind, vol, *vol ? "/" : "", e->path, (unsigned long long)e->record);
        if (e->event_id)
            tm_buf_printf(b, " (%s %u)", e->channel ? e->channel : "", e->event_id);
        const char *origin = tm_evidence_recovered_origin(e);
        if (origin)
            tm_buf_printf(b, " [%s]", origin);
    }
    if (t->evidence_total > t->nev)
        tm_buf_printf(b, "; and %zu more records", t->evidence_total - t->nev);
}

const char *tm_evidence_recovered_origin(const tm_evidence *e)
{
    return e->origin && strcmp(e->origin, "live") != 0 ? e->origin : NULL;
}

const char *tm_trace_time_desc(const tm_trace *t, char *buf, size_t n)
{
    if (t->time != TM_TIME_NONE)
        return t->time_desc ? t->time_desc : "";
    snprintf(buf, n, "Time unknown: %s", t->time_desc ? t->time_desc : "no record gives one");
    return buf;
}

int64_t tm_trace_time_or_epoch(const tm_trace *t)
{
    return t->time == TM_TIME_NONE ? 0 : t->time; /* plaso's "Not a time" convention */
}


const char *tm_trace_who(const tm_trace *t, char *buf, size_t n)
{
    if (t->tool)
        return t->tool;
    snprintf(buf, n, "%s, tool not recorded", t->activity ? t->activity : "activity");
    return buf;
}

void tm_trace_candidates_text(tm_buf *b, const tm_trace *t)
{
    for (size_t i = 0; i < t->ncand; i++)
        tm_buf_printf(b, "%s%s", i ? ", " : "", t->candidates[i]);
}

struct tm_art_lookup {
    const tm_input *in;
    tm_strmap by_place; /* "volume\tpath[:stream]" -> artifact index */
};

static void place_key(tm_buf *k, int volume, const char *path, const char *stream)
{
    tm_buf_reset(k);
    tm_buf_printf(k, "%d\t%s%s%s", volume, path ? path : "", stream ? ":" : "", stream ? stream : "");
}

tm_art_lookup *tm_art_lookup_new(const tm_input *in)
{
    tm_art_lookup *l = tm_xcalloc(1, sizeof *l);
    l->in = in;
    tm_strmap_init(&l->by_place, false);
    tm_buf k;
    tm_buf_init(&k);
    for (size_t i = 0; i < in->narts; i++) {
        place_key(&k, in->arts[i].volume, in->arts[i].path, in->arts[i].stream);
        if (tm_strmap_get(&l->by_place, tm_buf_cstr(&k)) == TM_STRMAP_NONE)
            tm_strmap_put(&l->by_place, tm_buf_cstr(&k), i);
    }
    tm_buf_free(&k);
    return l;
}

const tm_artifact *tm_art_lookup_find(const tm_art_lookup *l, const tm_evidence *e)
{
    tm_buf k;
    tm_buf_init(&k);
    place_key(&k, e->volume, e->path, NULL);
    size_t i = tm_strmap_get(&l->by_place, tm_buf_cstr(&k));
    tm_buf_free(&k);
    return i == TM_STRMAP_NONE ? NULL : &l->in->arts[i];
}

void tm_art_lookup_free(tm_art_lookup *l)
{
    if (!l)
        return;
    tm_strmap_free(&l->by_place);
    free(l);
}

void tm_trace_headline(tm_buf *b, const tm_trace *t, size_t max)
{
    char who[200];
    tm_buf full;
    tm_buf_init(&full);
    tm_buf_printf(&full, "%s %s %s: %s", tm_trace_who(t, who, sizeof who), tm_role_name(t->role),
                  t->confirmed ? "confirmed" : "indicator", t->message ? t->message : "");
    if (full.len <= max) {
        tm_buf_put(b, full.data, full.len);
    } else {
        /* whole characters only, then "..." */
        size_t keep = 0, limit = max > 3 ? max - 3 : 0;
        while (keep < full.len) {
            size_t n = tm_utf8_seq_len((const unsigned char *)full.data + keep, full.len - keep);
            if (!n)
                n = 1;
            if (keep + n > limit)
                break;
            keep += n;
        }
        tm_buf_put(b, full.data, keep);
        tm_buf_puts(b, "...");
    }
    tm_buf_free(&full);
}
