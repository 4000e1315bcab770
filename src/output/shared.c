#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>

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
    }
    if (t->evidence_total > t->nev)
        tm_buf_printf(b, "; and %zu more records", t->evidence_total - t->nev);
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
