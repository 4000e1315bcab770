/* events.jsonl (--all-events): every parsed record as a Timesketch-ready
 * line, with the input, volume and artifact it comes from, the fields the
 * coordinator added (enrichment) and Timesketch's message, datetime and
 * timestamp_desc from the record's kind. Written record by record during
 * the pass, not from the finished report. */
#include "output/outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

void tm_write_event(tm_buf *b, const tm_input *in, const tm_artifact *a, const tm_record *r, const tm_kv *extra,
                    size_t nextra)
{
    char label[32];
    tm_volume_label(in, &in->vols[a->volume], label, sizeof label);
    char origin[TM_ORIGIN_TEXT_MAX];
    tm_origin_text(&a->origin, origin, sizeof origin);
    tm_record_origin o = {in->path, in->id, label, a->path, a->stream, origin};
    const tm_kind_info *k = tm_kind((tm_art_kind)r->kind);
    if (!k || !k->describe)
        return; /* only parsed kinds have records (a worker that says otherwise is wrong) */
    char msg[800], iso[TM_TIME_ISO_LEN];
    k->describe(r, msg, sizeof msg);
    tm_time_iso(r->time == TM_TIME_NONE ? 0 : r->time, iso);
    const char *desc = r->time == TM_TIME_NONE ? "Time unknown: the record has no time of its own" : k->time_desc;
    tm_kv *kv = tm_xmalloc((nextra + 3) * sizeof *kv);
    kv[0] = (tm_kv){"message", msg};
    kv[1] = (tm_kv){"datetime", iso};
    kv[2] = (tm_kv){"timestamp_desc", desc};
    if (nextra)
        memcpy(kv + 3, extra, nextra * sizeof *kv);
    tm_record_json(b, r, &o, kv, nextra + 3);
    free(kv);
}

/* Streamed by `scan` (tm_write_event), so it has no whole-report writer and
 * is not part of "all". */
const tm_output_format tm_format_events = {"events", "events.jsonl", NULL, false};
