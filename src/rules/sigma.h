/* Sigma rules: load, compile, match (https://sigmahq.io, the specification in
 * ../shared/sigma/spec).
 *
 * A rule file is read with libyaml (one or more YAML documents), checked,
 * and compiled once into a matcher: selections (maps: AND of field tests;
 * lists of maps: OR), keyword lists, value modifiers (contains, startswith,
 * endswith, all, re with i/m/s, base64, base64offset, wide/utf16le/utf16be/
 * utf16, windash, cidr, exists, lt/lte/gt/gte, fieldref, cased, expand),
 * wildcards `*` `?` with `\` escapes, and the condition (and, or, not,
 * parentheses, `1 of X*`, `all of X*`, `1 of them`, `all of them`). Regular
 * expressions are PCRE2, compiled once per value.
 *
 * What cannot run is skipped with a reason (tm_sigma_skip): correlation and
 * filter documents, non-Windows log sources, unknown modifiers, placeholders
 * without values. A file that is not valid YAML or not a valid rule is an
 * error naming file and line; the other rules of the set still load.
 *
 * Log sources: `product: windows` with `service` (security, system,
 * sysmon, powershell, ...) and/or `category` (process_creation, ...) map to
 * channels and event ids as the taxonomy appendix says (tm_sigma_logsource);
 * process_creation is both Sysmon 1 and Security 4688, with 4688's field
 * names mapped to Sysmon's (tm_sigma_field_name). A set is indexed by
 * (channel, event id), so an event is tested only against the rules that
 * can match it.
 *
 * toolmark's own rules carry an extra top-level map `toolmark:` (tool,
 * activity, role, message, confirm, cite); it is kept as given for the
 * pipeline to read (tm_sigma_rule.ext). */
#ifndef TM_SIGMA_H
#define TM_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the event a rule is tested against ---- */
typedef struct {
    /* The value of a field by its Sigma name ("Image", "EventID", "Channel",
     * "Provider_Name", "Computer", or an EventData name); NULL when absent.
     * The caller maps record names (tm_sigma_field_name). */
    const char *(*get)(void *ctx, const char *field);
    /* Calls fn with every field value of the event (for keyword searches)
     * until fn returns true; returns whether it did. */
    bool (*each_value)(void *ctx, bool (*fn)(void *arg, const char *value), void *arg);
    void *ctx;
} tm_sigma_event;

/* ---- rules ---- */
typedef enum {
    TM_SIGMA_INFORMATIONAL,
    TM_SIGMA_LOW,
    TM_SIGMA_MEDIUM,
    TM_SIGMA_HIGH,
    TM_SIGMA_CRITICAL,
} tm_sigma_level;

/* A key/value of the rule's `toolmark:` map (strings; lists joined by ", "). */
typedef struct {
    char *key, *value;
} tm_sigma_kv;

typedef struct tm_sigma_matcher tm_sigma_matcher; /* opaque: the compiled detection */

typedef struct {
    char *id, *title, *status, *description, *author, *file;
    size_t line;               /* of the rule's first line in file */
    size_t index;              /* its place in the set (tm_sigma_at) */
    tm_sigma_level level;
    char **tags;
    size_t ntags;
    char *product, *service, *category; /* logsource, lowercase, NULL when absent */
    tm_sigma_kv *ext;          /* the `toolmark:` map, in order */
    size_t next;
    tm_sigma_matcher *m;
} tm_sigma_rule;

/* Why a rule did not load. */
typedef enum {
    TM_SIGMA_SKIP_CORRELATION, /* a correlation rule (needs several events) */
    TM_SIGMA_SKIP_FILTER,      /* a filter document (applies to other rules) */
    TM_SIGMA_SKIP_LOGSOURCE,   /* not a Windows log source toolmark reads */
    TM_SIGMA_SKIP_MODIFIER,    /* a value modifier the specification does not define */
    TM_SIGMA_SKIP_PLACEHOLDER, /* %placeholder% with `expand` and no value given */
    TM_SIGMA_SKIP_COLLECTION,  /* a Sigma 1 rule collection document (action: global/reset/repeat) */
    TM_SIGMA_SKIP_NKINDS
} tm_sigma_skip;
const char *tm_sigma_skip_name(tm_sigma_skip s); /* "correlation rule" ... */

typedef struct tm_sigma_set tm_sigma_set;

tm_sigma_set *tm_sigma_set_new(void);
void tm_sigma_set_free(tm_sigma_set *s);

/* Placeholders for `expand` (%name% -> values); optional, before loading. */
void tm_sigma_set_placeholder(tm_sigma_set *s, const char *name, const char *const *values, size_t n);

/* What loading said, per file: counts, and one line per error or skip. */
typedef struct {
    size_t loaded, skipped[TM_SIGMA_SKIP_NKINDS], errors;
    /* "FILE:LINE: message" for errors and skips, newline-separated, owned */
    char *log;
    size_t log_len, log_cap;
} tm_sigma_report;
void tm_sigma_report_free(tm_sigma_report *r);

/* Loads the rules of one YAML file (a path) or of every *.yml / *.yaml under
 * a folder, recursively, in sorted order. Returns false only when path
 * cannot be read at all; bad rules are counted in rep and skipped. */
bool tm_sigma_load_path(tm_sigma_set *s, const char *path, tm_sigma_report *rep);
/* Loads rules from YAML text (name is the file name used in messages). */
void tm_sigma_load_text(tm_sigma_set *s, const char *name, const char *text, size_t len, tm_sigma_report *rep);

size_t tm_sigma_count(const tm_sigma_set *s);
const tm_sigma_rule *tm_sigma_at(const tm_sigma_set *s, size_t i);

/* ---- log sources ---- */
/* The (channel, event id) pairs a rule's log source and detection can match:
 * event id 0 means any event of the channel. Filled after loading. */
typedef struct {
    const char *channel; /* "Security", "Microsoft-Windows-Sysmon/Operational" ... */
    uint32_t event_id;
} tm_sigma_source;

/* Builds the index (call once after loading; loading again needs another). */
void tm_sigma_set_index(tm_sigma_set *s);
/* Every (channel, event id) some rule of the set needs (what a worker must
 * render); *n set; owned by the set. */
const tm_sigma_source *tm_sigma_sources(const tm_sigma_set *s, size_t *n);
/* The rules an event of this channel and id can match (index order = load
 * order); *n set; owned by the set. */
const tm_sigma_rule *const *tm_sigma_candidates(const tm_sigma_set *s, const char *channel, uint32_t event_id,
                                                  size_t *n);

/* The Sigma field name for a record's field of this channel and event id
 * (Security 4688: NewProcessName -> Image, ParentProcessName ->
 * ParentImage, SubjectUserName -> User ...); the record's name when no
 * mapping applies. And the reverse, for the `get` callback: the record's
 * field holding Sigma field `sigma` for this event, or `sigma` itself. */
const char *tm_sigma_field_name(const char *channel, uint32_t event_id, const char *record_field);
const char *tm_sigma_record_field(const char *channel, uint32_t event_id, const char *sigma);

/* ---- matching ---- */
bool tm_sigma_match(const tm_sigma_rule *r, const tm_sigma_event *ev);

/* Tests an event of this channel and event id against its candidates at
 * or above min_level and calls hit for each rule that matches, in load
 * order; returns how many rules it tested. The literal pre-filter (built
 * by tm_sigma_set_index) scans the event's fields once for the literals
 * the rules need and tests only the rules whose literal occurs, and those
 * that need none: the hits are those of testing every candidate. */
size_t tm_sigma_scan(const tm_sigma_set *s, const char *channel, uint32_t event_id, tm_sigma_level min_level,
                     const tm_sigma_event *ev, void (*hit)(void *arg, const tm_sigma_rule *r), void *arg);
/* On by default; off, tm_sigma_scan tests every candidate (to compare). */
void tm_sigma_set_prefilter(tm_sigma_set *s, bool on);
/* Bytes the pre-filters of an indexed set take (for the figures). */
size_t tm_sigma_prefilter_bytes(const tm_sigma_set *s);

#endif
