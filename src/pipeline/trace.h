/* Execution traces: what toolmark reports. One trace says what happened
 * (its activity), which tool did it when the records attribute it (else the
 * tools it could have been), in a role on this host, when, by whom, how
 * sure we are, and cites every record it rests on. Schema: docs/traces.md. */
#ifndef TM_TRACE_H
#define TM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct {
    int volume;    /* index into the input's volumes (-1 unknown) */
    char *kind;    /* artifact kind: evtx, registry, usn, prefetch, atjob, task, psreadline */
    char *path;    /* inside the input, as found (":stream" appended for a stream) */
    uint64_t record; /* event record id, USN, line, key offset ... */
    char *record_name; /* what `record` is: record_id, usn, line, offset */
    char *channel;
    uint32_t event_id; /* 0 when not an event */
    int64_t time;
    char *summary;
    bool attributes; /* this record names the trace's tool */
    char *origin;    /* where the record was found (model/origin.h text: "live", "carved:N" ...) */
    char *also;      /* other places the same record was found, "; "-separated, or NULL */
} tm_evidence;

typedef enum { TM_ROLE_SOURCE, TM_ROLE_DESTINATION, TM_ROLE_DC, TM_ROLE_HOST } tm_role;

/* What a trace's tool rests on (docs/traces.md, "Attribution"). */
typedef enum {
    TM_ATTR_NONE,      /* not attributed: `tool` is NULL, `candidates` lists the tools it fits */
    TM_ATTR_NAMED,     /* the program ran under its own name (image, command, Prefetch name) */
    TM_ATTR_RENAMED,   /* its original file name, or its service or pipe pattern under another name */
    TM_ATTR_BEHAVIOUR, /* its own service, pipe, syntax, file or a behaviour no other tool shows */
} tm_attribution;

#define TM_TRACE_MAX_CANDIDATES 8

/* The rule a trace comes from (a Sigma rule: SigmaHQ's or toolmark's own in
 * rules/); its authors are named as the rules' licence asks. */
typedef struct {
    char *id, *title, *level, *status, *author, *file;
    char **tags;
    size_t ntags;
    bool toolmark; /* it carries toolmark's fields (rules/): its traces explain records like a plugin's */
} tm_trace_rule;

typedef struct {
    int64_t time;
    char *time_desc;
    char *activity; /* what happened: "event log cleared", "account changed", "program run" */
    char *tool;     /* NULL unless attributed */
    tm_attribution attribution;
    char *candidates[TM_TRACE_MAX_CANDIDATES]; /* when not attributed: the sheet's tools that fit */
    size_t ncand;
    char *category;
    tm_role role;
    char *outcome;
    bool confirmed;
    char *reason; /* why confirmed / why only an indicator */
    char *host, *user, *user_sid, *logon_id, *peer, *command_line, *phase;
    char *message;
    tm_evidence *ev;
    size_t nev;
    size_t evidence_total; /* records the trace rests on; ev holds at most TM_TRACE_MAX_CITED of them */
    tm_trace_rule *rule; /* NULL for the plugins' traces */
    bool generic; /* a catch-all activity (any service installed, any network logon): dropped when
                     other traces cite all its records (tm_traces_drop_covered) */
    /* Which evidence a trace holds, by record, path and event id (a trace
     * can cite thousands): open addressing, index + 1, NULL while small. */
    size_t *ev_slots;
    size_t ev_nslots;
} tm_trace;

typedef struct {
    tm_trace *t;
    size_t n, cap;
} tm_traces;

const char *tm_role_name(tm_role r);

void tm_traces_init(tm_traces *ts);
void tm_traces_free(tm_traces *ts);
/* Traces made from now on keep what grows with them in s (--memory,
 * util/spill.h); NULL: the heap. Free them (tm_traces_free) before the
 * spill is given up with NULL and freed. */
typedef struct tm_spill tm_spill;
void tm_traces_use_spill(tm_spill *s);
/* Appends from's traces to to; from is left empty. */
void tm_traces_move(tm_traces *to, tm_traces *from);
/* A new trace; strings are copied (NULL allowed). */
tm_trace *tm_trace_add(tm_traces *ts, const char *tool, const char *category, tm_role role, int64_t time,
                       const char *time_desc);
void tm_trace_set(char **field, const char *value);
/* An owned copy of rule (strings and tags copied) for t->rule. */
void tm_trace_set_rule(tm_trace *t, const tm_trace_rule *rule);
/* The tool is attributed, resting on `by` (a record the trace cites; NULL
 * when the caller marks its citations itself). */
void tm_trace_attribute(tm_trace *t, tm_attribution how, tm_evidence *by);
/* The records do not tell which tool it was: the tool (if any) moves to the
 * candidates, with the others given (NULL-terminated, may be NULL); a
 * trace that is not attributed is never confirmed. */
void tm_trace_unattribute(tm_trace *t, const char *const *candidates);
void tm_trace_add_candidate(tm_trace *t, const char *tool);
/* The last word before output: a trace naming a tool that no cited record
 * attributes is turned into an unattributed activity (its tool a
 * candidate), so no plugin can claim a tool without the record. Returns how
 * many were turned. */
size_t tm_traces_enforce_attribution(tm_traces *ts);
/* Records cited per trace in the outputs: a burst of thousands of records
 * is one trace citing the records that attribute it, then the first ones,
 * and their total (evidence_total), so no output line grows with the log. */
#define TM_TRACE_MAX_CITED 20
/* Drops each generic trace whose records are all cited by other, specific
 * traces (the network logon of a PsExec session, the install of WCESERVICE;
 * not a command's run, whose records say where the command was seen):
 * the catch-all reports only what nothing else explains. Returns how many. */
size_t tm_traces_drop_covered(tm_traces *ts);
void tm_traces_cap_evidence(tm_traces *ts, size_t max);
const char *tm_attribution_name(tm_attribution a); /* "named" ..., NULL for none */
void tm_trace_setf(char **field, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds the evidence, or returns the one the trace already cites for the same
 * record (path, record, event id). */
tm_evidence *tm_trace_add_evidence(tm_trace *t, const tm_evidence *ev);
/* The evidence already cited for that record, or NULL. */
tm_evidence *tm_trace_find_evidence(tm_trace *t, const char *path, uint64_t record, uint32_t event_id);
void tm_evidence_copy(tm_evidence *dst, const tm_evidence *src);
void tm_evidence_free(tm_evidence *e);

/* --from/--to: drops the traces whose time is before from or after to
 * (either TM_TIME_NONE: no bound); a trace without a time cannot be placed
 * and is kept. Returns how many were dropped. */
size_t tm_traces_keep_window(tm_traces *ts, int64_t from, int64_t to);

/* Sorts by time, then tool, role and first evidence: a deterministic order. */
void tm_traces_sort(tm_traces *ts);

#endif
