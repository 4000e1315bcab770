/* What the output writers share (not for outside src/output). */
#ifndef TM_OUTPUT_SHARED_H
#define TM_OUTPUT_SHARED_H

#include "output/outputs.h"

/* "vol2", "folder" ... for each of the input's volumes (free with
 * tm_volume_labels_free). */
char **tm_volume_labels(const tm_input *in);
void tm_volume_labels_free(const tm_input *in, char **labels);
/* "evtx:vol/Windows/.../Security.evtx#1234 (Security 4688)" per evidence,
 * joined with "; " (or the evidence summaries, when summaries). */
void tm_evidence_refs(tm_buf *b, const tm_trace *t, char **labels, size_t nlabels, bool summaries);
/* Where a record was found when recovery found it ("carved:N", "vss:..."),
 * NULL when it is live: the outputs write " [origin]" after such a one. */
const char *tm_evidence_recovered_origin(const tm_evidence *e);
/* The trace's timestamp_desc; for a trace without a time, says so. */
const char *tm_trace_time_desc(const tm_trace *t, char *buf, size_t n);
/* The trace's time, or 0 (plaso's "Not a time" convention). */
int64_t tm_trace_time_or_epoch(const tm_trace *t);
/* Who did it, in one phrase: the tool when attributed, else "event log
 * cleared, tool not recorded". */
const char *tm_trace_who(const tm_trace *t, char *buf, size_t n);
/* The candidates joined with ", " (empty when none). */
void tm_trace_candidates_text(tm_buf *b, const tm_trace *t);

/* The artifact an evidence item cites, found by volume and path (with its
 * ":stream"); NULL when it is not among the input's. */
typedef struct tm_art_lookup tm_art_lookup;
tm_art_lookup *tm_art_lookup_new(const tm_input *in);
const tm_artifact *tm_art_lookup_find(const tm_art_lookup *l, const tm_evidence *e);
void tm_art_lookup_free(tm_art_lookup *l);

/* "PsExec destination confirmed: MESSAGE", cut to at most max bytes at a
 * character boundary with "..." when it is longer (l2tcsv short). */
void tm_trace_headline(tm_buf *b, const tm_trace *t, size_t max);

#endif
