/* Single-event rules in the pipeline: the seam between the Sigma engine
 * (src/rules/, which links libyaml and PCRE2) and the pipeline (which links
 * no library). The scan command hands the pipeline a tm_rule_hook; the
 * pipeline asks it about every event it is fed, keeps the events some rule
 * hits (and only those: an event kept for rules costs its copy, an event
 * no rule hits costs nothing), and when the host's pass is over turns the
 * hits into traces here: one trace per rule, grouping key and burst, citing
 * every hit record (capped in the outputs like every trace). docs/sigma.md. */
#ifndef TM_RULE_TRACES_H
#define TM_RULE_TRACES_H

#include <stddef.h>

#include "model/artifact.h"
#include "model/record.h"
#include "pipeline/trace.h"

/* What the pipeline needs of one rule to make traces of its hits. */
typedef struct {
    tm_trace_rule rule; /* what a trace says of its rule (borrowed strings) */
    int level;          /* 0 informational, 1 low, 2 medium, 3 high, 4 critical */
    size_t order;       /* load order: hits sort by it, so outputs are deterministic */
    /* toolmark's own fields (the rule's `toolmark:` map; NULL when absent).
     * Templates name record fields by their Sigma names in braces:
     * "account {TargetUserName} created by {SubjectUserName}". */
    const char *tool;        /* a tool of the sheet the rule attributes */
    const char *attribution; /* named, renamed or behaviour: why the records attribute it */
    const char *candidates;  /* the sheet's tools the activity fits, comma-separated */
    const char *activity;    /* template; default: the rule's title */
    const char *category;    /* default "Sigma rule" */
    const char *role;        /* source, destination, dc, host (default); account: dc for a domain
                                account (TargetDomainName), host for the host's own */
    const char *message;     /* template */
    const char *cite;        /* template of each cited record's summary */
    const char *key;         /* template: hits with different keys are different traces */
    const char *user, *peer, *command_line, *user_sid, *logon_id; /* templates */
    const char *time_desc;   /* what the trace's time is (default "Event time (rule match)") */
    const char *reason;      /* why it is only an indicator (default: a rule match is one) */
    bool generic;            /* a catch-all: dropped when toolmark's other traces cite all its records */
    const char *confirm;     /* "yes" with reason: the record itself shows success */
    const char *outcome;     /* template */
    long gap;                /* seconds between two hits of one trace (default 600) */
} tm_rule_info;

typedef struct {
    /* Calls hit(arg, rule) for every rule the event r matches. */
    void (*match)(void *ctx, const tm_record *r, void (*hit)(void *arg, const tm_rule_info *rule), void *arg);
    /* The text of the record's field by its Sigma name ("TargetUserName",
     * "EventID", "Computer" ...), NULL when absent; may use buf. */
    const char *(*field)(void *ctx, const tm_record *r, const char *sigma, char *buf, size_t n);
    const char *want; /* EVTX subscription lines the rules need ("CHANNEL\tID\n", ID "*": any) */
    void *ctx;
} tm_rule_hook;

typedef struct {
    const tm_record *r; /* the pipeline's copy */
    const tm_artifact *a;
    const tm_rule_info *rule;
} tm_rule_hit;

/* The traces of a host's hits (reordered in place), appended to out. */
void tm_rule_traces(const tm_rule_hook *h, tm_rule_hit *hits, size_t n, const char *host, tm_traces *out);

/* Expands a template's {Field} references through h->field (absent fields
 * give "-"), {$count}, the records of the trace, and {$records}, "N record(s)" (the message is expanded
 * when the trace is complete); appends to out. */
void tm_rule_expand(const tm_rule_hook *h, const tm_record *r, const char *tmpl, size_t count, tm_buf *out);

#endif
