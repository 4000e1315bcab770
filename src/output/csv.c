/* traces.csv: Timesketch's CSV import (message, datetime, timestamp_desc,
 * timestamp first), RFC 4180 cells. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/timeutil.h"

static void write_csv(tm_buf *b, const tm_report *r)
{
    static const char *const head[] = {"message",  "datetime",     "timestamp_desc", "timestamp", "activity",
                                       "tool",     "attribution",  "candidates",     "category", "role",         "outcome",        "confidence", "reason",
                                       "host",     "user",         "user_sid",       "logon_id",  "peer",
                                       "command_line", "phase", "rule_id", "rule_title", "rule_level", "input",          "input_id",  "evidence",
                                       "evidence_summary"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        tm_csv_cell(b, head[i], i == 0);
    tm_buf_puts(b, "\r\n");
    char **labels = tm_volume_labels(r->in);
    tm_buf tmp;
    tm_buf_init(&tmp);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        char iso[TM_TIME_ISO_LEN], desc[300];
        tm_time_iso(tm_trace_time_or_epoch(t), iso);
        tm_csv_cell(b, t->message, true);
        tm_csv_cell(b, iso, false);
        tm_csv_cell(b, tm_trace_time_desc(t, desc, sizeof desc), false);
        tm_buf_printf(b, ",%lld", (long long)tm_trace_time_or_epoch(t));
        tm_buf_reset(&tmp);
        tm_trace_candidates_text(&tmp, t);
        const char *cells[] = {t->activity, t->tool, tm_attribution_name(t->attribution), tm_buf_cstr(&tmp), t->category, tm_role_name(t->role), t->outcome,
                               t->confirmed ? "confirmed" : "indicator", t->reason, t->host, t->user, t->user_sid,
                               t->logon_id, t->peer, t->command_line, t->phase,
                               t->rule ? t->rule->id : NULL, t->rule ? t->rule->title : NULL,
                               t->rule ? t->rule->level : NULL, r->in->path, r->in->id};
        for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
            tm_csv_cell(b, cells[k], false);
        tm_buf_reset(&tmp);
        tm_evidence_refs(&tmp, t, labels, r->in->nvols, false);
        tm_csv_cell(b, tm_buf_cstr(&tmp), false);
        tm_buf_reset(&tmp);
        tm_evidence_refs(&tmp, t, labels, r->in->nvols, true);
        tm_csv_cell(b, tm_buf_cstr(&tmp), false);
        tm_buf_puts(b, "\r\n");
    }
    tm_buf_free(&tmp);
    tm_volume_labels_free(r->in, labels);
}

const tm_output_format tm_format_csv = {"csv", "traces.csv", write_csv, true};
