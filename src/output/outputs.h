/* What `toolmark scan` writes per input (docs/outputs.md): the traces for
 * timeline tools (Timesketch JSONL and CSV, plaso l2tcsv, TSK body file), a
 * summary and an examiner's report, the errors, and with --all-events every
 * record. One file per format, each written under a temporary name and
 * renamed when complete. */
#ifndef TM_OUTPUTS_H
#define TM_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/artifact.h"
#include "model/record_json.h"
#include "pipeline/coverage.h"
#include "pipeline/hostinfo.h"
#include "pipeline/trace.h"

typedef struct {
    char *scope;   /* "input", "volume", "artifact", "record" */
    char *where;   /* artifact path (":stream"), volume, or the input */
    int volume;    /* -1 none */
    tm_pos_kind position_kind; /* what position is: a record id, a byte offset ...; TM_POS_NONE: none */
    uint64_t position;
    bool fatal;        /* the artifact could not be read (any further) */
    char *message;
} tm_error;

typedef struct tm_errors {
    tm_error *e;
    size_t n, cap;
} tm_errors;

void tm_errors_add(tm_errors *es, const char *scope, const char *where, int volume, tm_pos_kind pos_kind,
                   uint64_t pos, bool fatal, const char *message);
void tm_errors_free(tm_errors *es);

/* Per artifact: read or not, records. */
typedef struct {
    bool attempted, failed;
    uint64_t records, skipped;
} tm_art_outcome;

/* What reading the input cost, in bytes (summary.json "io"). */
typedef struct {
    uint64_t artifact_bytes; /* the sizes of the artifacts parsed */
    uint64_t served;         /* artifact bytes served to the parser workers (images) */
    uint64_t input_read;     /* read by the input process other than from its workers: the image */
} tm_report_io;

/* The rules the run loaded (summary.json "rules"). */
typedef struct {
    size_t loaded, active, skipped, errors; /* active: loaded at or above min_level */
    const char *min_level;
    const char *const *paths; /* toolmark's rules/ folder first, then each --rules */
    size_t npaths;
} tm_report_rules;

/* The run, for the record (summary.json "run"): what was asked, when, on
 * what, and which traces the time window left out. */
typedef struct {
    const char *command_line; /* as typed, each argument quoted where a shell would need it */
    int64_t started;          /* the command */
    int64_t input_started, input_ended; /* this input */
    const char *libraries;    /* "NAME VERSION" lines */
    const char *zone;         /* --tz */
    int64_t from, to;         /* --from/--to; TM_TIME_NONE: no bound */
    size_t outside;           /* traces left out by them */
    /* memory: --memory (0: no budget), the spill file at its largest, how
     * many 16 MiB slices the governor gave back, the input process's peak
     * resident memory (bytes) */
    uint64_t memory_budget, spill_file, spill_trims, peak_rss;
} tm_report_run;

typedef struct {
    tm_input *in;
    const tm_traces *traces;
    const tm_coverage *coverage;
    const tm_errors *errors;
    const tm_art_outcome *arts; /* in->narts entries */
    const char *host;           /* computer name, or NULL */
    const char *options;        /* the command line's options, for the record */
    const tm_report_io *io;     /* what was read, or NULL */
    const tm_report_rules *rules; /* or NULL */
    const tm_report_run *run;     /* or NULL */
    const tm_hostinfo *identity;  /* the host's name, domain and addresses, or NULL */
} tm_report;

/* Traces per tool and role - or, for traces whose tool is not recorded,
 * per activity and role (tool NULL) - in order of first appearance: counts,
 * first and last time, and the index of the first trace (summary.json,
 * report.html); which (NULL, or one per trace) gets each trace's tally. */
typedef struct {
    const char *tool;
    const char *activity; /* when tool is NULL */
    tm_role role;
    size_t n, confirmed, first_index;
    int64_t first, last;
} tm_tool_tally;
size_t tm_tally_tools(const tm_traces *ts, tm_tool_tally **out, size_t *which);

/* Traces per Sigma rule (traces with a rule only), in order of first trace:
 * traces, records cited in total, first and last time. */
typedef struct {
    const tm_trace_rule *rule; /* of the first trace */
    int level;                 /* 0 informational .. 4 critical, -1 unknown */
    size_t traces, records, first_index;
    int64_t first, last;
} tm_rule_tally;
size_t tm_tally_rules(const tm_traces *ts, tm_rule_tally **out);
extern const char *const tm_rule_levels[5]; /* "informational" ... "critical" */

/* An output format: one file per input, written by one function from the
 * finished report. One file per format in src/output/, registered in the
 * table of src/output/formats.c. */
typedef struct {
    const char *name; /* --format name */
    const char *file; /* its file in OUT/<input>/ */
    void (*write)(tm_buf *b, const tm_report *r); /* NULL: written during the pass (events) */
    bool in_all;      /* part of --format all */
} tm_output_format;

extern const tm_output_format *const tm_output_formats_table[];
extern const size_t tm_output_format_count;
const tm_output_format *tm_output_format_named(const char *name);

/* Selections of formats are masks: bit i is the table's format i. */
unsigned tm_output_bit(const char *name); /* 0 for an unknown name */
unsigned tm_output_all(void);
/* "jsonl,csv,html" -> mask; 0 on an unknown name (its name in *bad). */
unsigned tm_output_formats(const char *list, const char **bad);

/* Writes the selected outputs into dir; returns 0, or -1 when a file could
 * not be written (said on stderr). */
int tm_write_outputs(const char *dir, const tm_report *r, unsigned formats);

/* One line of events.jsonl: a parsed record with its origin and the fields
 * the coordinator added. */
void tm_write_event(tm_buf *b, const tm_input *in, const tm_artifact *a, const tm_record *r, const tm_kv *extra,
                    size_t nextra);

/* One trace as one JSON object (no newline), with input path and id; an
 * evidence item's volume is named by labels[volume] ("vol2", "folder"). */
void tm_trace_json(tm_buf *out, const tm_trace *t, const char *input, const char *input_id,
                   const char *const *labels, size_t nlabels);

/* HTML text with <, >, &, " and ' escaped (invalid UTF-8 replaced). */
void tm_html_escape(tm_buf *b, const char *s);

#endif
