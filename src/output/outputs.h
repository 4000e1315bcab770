/* What `toolmark scan` writes per input (docs/outputs.md): the traces for
 * timeline tools (Timesketch JSONL and CSV, plaso l2tcsv, TSK body file), a
 * summary and an examiner's report, and the errors. One file per format,
 * each written under a temporary name and renamed when complete. */
#ifndef TM_OUTPUTS_H
#define TM_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/input.h"
#include "pipeline/coverage.h"
#include "pipeline/trace.h"

enum {
    TM_OUT_JSONL = 1 << 0,
    TM_OUT_CSV = 1 << 1,
    TM_OUT_L2TCSV = 1 << 2,
    TM_OUT_BODY = 1 << 3,
    TM_OUT_SUMMARY = 1 << 4,
    TM_OUT_HTML = 1 << 5,
    TM_OUT_ERRORS = 1 << 6,
    TM_OUT_ALL = (1 << 7) - 1,
};
/* "jsonl,csv,html" -> mask; 0 on an unknown name (its name in *bad). */
unsigned tm_output_formats(const char *list, const char **bad);

typedef struct {
    char *scope;   /* "input", "volume", "artifact", "record" */
    char *where;   /* artifact path (":stream"), volume, or the input */
    int volume;    /* -1 none */
    bool has_position;
    uint64_t position; /* record id, USN, offset ... */
    bool fatal;        /* the artifact could not be read (any further) */
    char *message;
} tm_error;

typedef struct {
    tm_error *e;
    size_t n, cap;
} tm_errors;

void tm_errors_add(tm_errors *es, const char *scope, const char *where, int volume, bool has_pos, uint64_t pos,
                   bool fatal, const char *message);
void tm_errors_free(tm_errors *es);

/* Per artifact: read or not, records. */
typedef struct {
    bool attempted, failed;
    uint64_t records, skipped;
} tm_art_outcome;

typedef struct {
    tm_input *in;
    const tm_traces *traces;
    const tm_coverage *coverage;
    const tm_errors *errors;
    const tm_art_outcome *arts; /* in->narts entries */
    const char *host;           /* computer name, or NULL */
    const char *options;        /* the command line's options, for the record */
} tm_report;

/* Traces per tool and role, in order of first appearance: counts, first and
 * last time, and the index of the first trace (summary.json, report.html). */
typedef struct {
    const char *tool;
    tm_role role;
    size_t n, confirmed, first_index;
    int64_t first, last;
} tm_tool_tally;
size_t tm_tally_tools(const tm_traces *ts, tm_tool_tally **out);

/* Writes the selected outputs into dir; returns 0, or -1 when a file could
 * not be written (said on stderr). */
int tm_write_outputs(const char *dir, const tm_report *r, unsigned formats);

/* Single writers (unit tests, and the one-file-per-format layout). */
void tm_write_csv(tm_buf *b, const tm_report *r);
void tm_write_l2tcsv(tm_buf *b, const tm_report *r);
void tm_write_body(tm_buf *b, const tm_report *r);
void tm_write_summary(tm_buf *b, const tm_report *r);
void tm_write_errors(tm_buf *b, const tm_report *r);
void tm_write_html(tm_buf *b, const tm_report *r);
/* HTML text with <, >, &, " and ' escaped (invalid UTF-8 replaced). */
void tm_html_escape(tm_buf *b, const char *s);

#endif
