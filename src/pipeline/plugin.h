/* The plugin interface. A plugin covers one tool family. It declares what it
 * consumes (subscriptions); during the pass over a host's artifacts the
 * pipeline keeps the records some plugin subscribed to, and when the host is
 * finished each plugin gets a view holding only the records that match its
 * subscriptions, in a fixed order (time, artifact, position), whatever order
 * the parser workers delivered them in. A plugin correlates within the view
 * and emits traces. Plugins do no I/O and keep no global state: given the
 * same records they emit the same traces.
 *
 * The table of plugins is plugins/plugins.c. */
#ifndef TM_PLUGIN_H
#define TM_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/artifact.h"
#include "model/evidence.h"
#include "pipeline/hostinfo.h"
#include "pipeline/runs.h"
#include "pipeline/trace.h"
#include "util/pathsafe.h"
#include "util/spill.h"
#include "util/strmap.h"
#include "model/record.h"

typedef enum {
    TM_SUB_EVTX,   /* a = channel ("*" any), id = event id (0 any id of that channel) */
    TM_SUB_EXEC,   /* a = program-name glob, lowercase, no extension ("psexec*", "net") */
    TM_SUB_USN,    /* a = file-name glob, case-insensitive ("PSEXESVC*") */
    TM_SUB_FACT,   /* a = registry fact name ("service", "sysinternals_eula" ...) */
    TM_SUB_REGKEY, /* a = registry key pattern (reader syntax: '*' one key, "**" below) */
    TM_SUB_KIND,   /* a = artifact kind name: every record of that kind */
} tm_sub_type;

typedef struct {
    tm_sub_type type;
    const char *a;
    uint32_t id;
    /* Of the matching records, only those it accepts reach the plugin (and
     * are kept for it): what a plugin needs of a log's bulk (5145 share
     * access, 4663 object access ...) is usually a sliver of it. NULL: all. */
    bool (*keep)(const tm_record *r, const void *ctx);
    const void *ctx;
} tm_sub;

#define TM_SUB_END {TM_SUB_EVTX, NULL, 0, NULL, NULL}

/* One item of a plugin's view: a record, or an execution derived from one. */
typedef struct {
    const tm_record *r;     /* the record */
    const tm_artifact *art; /* where it comes from */
    const tm_exec *exec;    /* for a TM_SUB_EXEC match: the execution (r is its record) */
    unsigned sub;           /* index of the subscription it matched */
    int64_t time;           /* the execution's time, else the record's: views sort by it without reading records */
} tm_item;

typedef struct tm_view_scratch tm_view_scratch;

typedef struct {
    const tm_item *items;
    size_t n;
    const tm_hostinfo *info; /* computer name, time zone */
    const char *host;        /* computer name ("" when unknown) */
    const tm_execs *execs;   /* every execution on the host (for context, e.g. a parent) */
    tm_view_scratch *scratch; /* where tm_view_alloc takes room (NULL: the heap) */
} tm_view;

/* Zeroed room for n elements of size bytes, for one pass over v (a plugin's
 * arrays with an entry per item grow with the logs): in the spill file
 * under --memory (util/spill.h), else on the heap. Give it back with
 * tm_view_free; what is left is given back when the pass ends. */
void *tm_view_alloc(const tm_view *v, size_t n, size_t size);
void tm_view_free(const tm_view *v, void *p);
/* The spill file a pass takes room from (NULL: the heap), for the arrays
 * that grow as a pass goes (tm_runs_build's). */
tm_spill *tm_view_spill(const tm_view *v);
/* Sorts a pass's array (stable; util/spill.h's tm_spill_sort, its second
 * array where tm_view_alloc takes room). A comparator that follows
 * pointers into the items' records or executions reads the spill file at
 * random, page after page: sort entries that carry their keys. */
void tm_view_sort(const tm_view *v, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* The pipeline's side: the room of one pass, taken from s (NULL: the
 * heap), all of it given back by tm_view_scratch_free. */
tm_view_scratch *tm_view_scratch_new(tm_spill *s);
void tm_view_scratch_free(tm_view_scratch *x);

/* i < v->n, for the loops of a pass over a view: each step counts against
 * the memory budget (util/spill.h), because the items' records and
 * executions may be in the spill file, and a pass that reads them maps
 * them faster than the budget's own thread looks. */
static inline bool tm_view_has(const tm_view *v, size_t i)
{
    tm_spill_tick();
    return i < v->n;
}

/* Where a tool shows in one role: the evidence sources, in the order the
 * coverage verdict names them, ended by TM_COV__COUNT (TM_NEEDS adds it). A
 * plugin's list ends with a NULL tool. */
typedef struct {
    const char *tool;
    tm_role role;
    const tm_cov_source *sources;
} tm_tool_needs;
#define TM_NEEDS(...) ((const tm_cov_source[]){__VA_ARGS__, TM_COV__COUNT})

/* A command of the command table (pipeline/cmdline.h) that a plugin reports
 * itself, so that the command classifier leaves its runs alone. A plugin's
 * list ends with a NULL command. */
typedef struct {
    const char *command; /* as in the table: "net use", "klist", "cscript" */
    const char *verb;    /* only runs with this first argument ("purge"), or NULL */
    const char *args;    /* only runs whose command line holds this (case-insensitive), or NULL */
    const char *sheet_tool; /* the tools.json id commands.json gives the command, or NULL */
} tm_command_claim;

/* A list of names (globs, commands) for the tables of a plugin. */
#define TM_NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A tool described as data (pipeline/toolspec.h). */
typedef struct tm_tool_spec tm_tool_spec;

typedef struct {
    const char *name;         /* plugin name (its file name in plugins/) */
    const char *const *tools; /* tool ids it reports: tools.json ids, or command names */
    const char *category;     /* JPCERT category */
    const char *summary;      /* one line: what it finds */
    const tm_sub *subs;       /* terminated by TM_SUB_END (NULL: only what the specs imply) */
    /* Tools described by specs (ended by a NULL tool): the pipeline derives
     * their subscriptions (after subs) and runs them before run. */
    const tm_tool_spec *specs;
    const tm_tool_needs *needs; /* per tool and role: the sources it shows in (coverage) */
    const tm_command_claim *claims; /* commands of the command table it reports */
    void (*run)(const tm_view *v, tm_traces *out); /* NULL: the specs are all */
} tm_plugin;

/* A plugin's subscriptions: its own, then those its specs imply (without
 * repeats), ended by TM_SUB_END. Free the array. */
tm_sub *tm_plugin_subs(const tm_plugin *p, size_t *n);

extern const tm_plugin *const tm_plugins[];
extern const size_t tm_plugin_count;

/* ---- helpers for plugins (src/pipeline/plugin_util.c) ---------------------- */

/* Field access (tm_str, tm_data, tm_event_id ...) is the record's own: model/record.h. */
/* The item matched subscription k of the plugin. */
static inline bool tm_item_is(const tm_item *it, unsigned k)
{
    return it->sub == k;
}

/* "DOMAIN\\user" from prefix+"UserName"/"DomainName" data fields ("" if none
 * or "-"). */
void tm_account(const tm_record *r, const char *prefix, char *out, size_t n);
/* The remote host a command line names: "\\\\host\\...", "/s host",
 * "/node:host", "-ComputerName host", "-r:host" ... ("" if none). */
void tm_peer_from_cmdline(const char *cmd, char *out, size_t n);
/* Case-insensitive substring; tm_iglob (util/pathsafe.h) for globs. */
bool tm_icontains(const char *hay, const char *needle);
/* Attributes the trace's tool to every cited record whose summary contains
 * `name` (case-insensitive): the records that name the tool, its service or
 * its file. Returns how many; none leaves the trace as it was. */
size_t tm_attribute_by_name(tm_trace *t, tm_attribution how, const char *name);
/* A text's pattern: lowercase, every run of digits one '#', so that what a
 * tool does in a row ("... seg1 ...", "... seg2 ...") has one pattern. */
void tm_text_pattern(const char *text, char *out, size_t n);
/* Local addresses that mean "this host" ("", "-", "::1", "127.0.0.1", "LOCAL"). */
bool tm_is_local_address(const char *ip);

/* Evidence for a record, with a one-line summary (printf). */
tm_evidence *tm_cite(tm_trace *t, const tm_record *r, const tm_artifact *a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Evidence for every member of a run, summarised per kind. */
void tm_cite_run(tm_trace *t, const tm_run *run);
/* A one-line summary of an execution ("psexec.exe \\\\srv01 cmd, exit 0x0"). */
void tm_exec_summary(const tm_exec *e, char *out, size_t n);

/* A trace for a run: time, user, logon, command line, peer and the citations
 * filled from the run's members; host from the view. */
tm_trace *tm_trace_for_run(tm_traces *out, const tm_view *v, const tm_run *run, const char *tool,
                           const char *category, tm_role role);
/* A trace for one record: time from the record, host from the view. */
tm_trace *tm_trace_for_record(tm_traces *out, const tm_view *v, const tm_item *it, const char *tool,
                              const char *category, tm_role role, const char *time_desc);

/* The runs of the view's executions whose program matches one of names
 * (globs, NULL-terminated); NULL names = every execution in the view. */
void tm_view_runs(const tm_view *v, const char *const *names, tm_runs *out);

/* Traces for runs of programs: one per run that passes the filter. */
typedef struct {
    const char *tool, *category;
    tm_role role;       /* when the command names a remote host (or always, if role_local is the same) */
    tm_role role_local; /* when it names none */
    const char *const *names; /* program-name globs, NULL-terminated */
    bool (*filter)(const tm_run *run); /* NULL = every run */
    bool confirm_by_exit; /* the sheet's success evidence is exit status 0x0 (Security 4689) */
    const char *success_note; /* otherwise: why a run is only an indicator */
} tm_exec_rule;
/* Appends the traces; returns how many. Sets phase from the command table. */
size_t tm_exec_traces(const tm_view *v, tm_traces *out, const tm_exec_rule *rule);
/* The plugin claim on a command-table command that this execution of it
 * falls under, or NULL (the classifier reports it). */
const tm_command_claim *tm_command_claimed(const char *command, const tm_exec *e);
/* The tools.json id of a command-table command, from the claims, or NULL. */
const char *tm_command_sheet_tool(const char *command);
/* The run's command (name and verb) as in the command table, or NULL. */
const char *tm_run_phase(const tm_run *run);
/* A task of Windows itself or of installed software: under \\Microsoft\\,
 * running a program from System32 or Program Files that is not a shell or
 * script host. */
bool tm_benign_task(const char *name, const char *cmd);
/* Program name of a path: lowercase, no directory, no extension. */
void tm_program_name_of(const char *path, char *out, size_t n);

/* The items of one subscription indexed by a data field (e.g. the logon id),
 * so that correlating two kinds of record costs a lookup, not a scan. The
 * values are ordered by their hash first: building and searching the index
 * compare numbers, and read a value (in the record store, perhaps on disk:
 * util/spill.h) only where two hashes are equal. */
typedef struct {
    const tm_item **it; /* by the field value's hash, value, then view (time) order */
    const char **key;   /* it[i]'s value of the field */
    uint64_t *hash;     /* its hash */
    const tm_view *v;   /* whose room it takes */
    size_t n;
    const char *field;
} tm_item_index;
void tm_index_by(const tm_view *v, unsigned sub, const char *field, tm_item_index *ix);
/* The items whose field equals value (time order): *count of them from the
 * returned position. */
size_t tm_index_find(const tm_item_index *ix, const char *value, size_t *count);
void tm_index_free(tm_item_index *ix);

/* Items grouped into bursts: consecutive items (time order) less than gap
 * microseconds apart share a cluster. Items without a time are left out. */
typedef struct {
    const tm_item **it;
    size_t n, cap;
    int64_t first, last;
} tm_cluster;
size_t tm_clusters(const tm_item *const *items, size_t n, int64_t gap, tm_cluster **out);
void tm_clusters_free(tm_cluster *c, size_t n);

/* Microseconds. */
#define TM_SEC 1000000LL
#define TM_MIN (60 * TM_SEC)

/* ---- correlations several plugins make --------------------------------- */

/* The items with a time in [from, to], by binary search (items are in time
 * order): indexes first .. end-1. An unknown bound gives no item. */
void tm_view_window(const tm_view *v, int64_t from, int64_t to, size_t *first, size_t *end);
/* The items from `before` before t to `after` after it (none when t is
 * unknown): tm_view_window without arithmetic on an unknown time. */
void tm_view_around(const tm_view *v, int64_t t, int64_t before, int64_t after, size_t *first, size_t *end);
/* The network logon that carried a remote action at time t: the last
 * Security 4624 of logon type 3 (subscription sub) from a minute before t
 * to a second after it, or NULL. */
const tm_item *tm_network_logon_before(const tm_view *v, unsigned sub, int64_t t);
/* The trace's user and peer from a logon record (4624), where not set yet:
 * the peer is its address, or its workstation name for a local address. */
void tm_trace_take_logon(tm_trace *t, const tm_record *logon);
/* The sheet's success evidence for most command-line tools: the run's exit
 * with status 0x0 (Security 4689). Confirms the trace and returns true, or
 * returns false and leaves the reason to the caller. */
bool tm_confirm_exit0(tm_trace *t, const tm_run *run);
/* Confirmed by exit status 0x0; else an indicator saying why: the status it
 * exited with and what that means for this tool (failure; NULL: "it ran
 * but reported a failure"), or that no exit was recorded. */
void tm_confirm_by_exit(tm_trace *t, const tm_run *run, const char *failure);
/* Cites an execution with its one-line summary (tm_exec_summary). */
void tm_cite_exec(tm_trace *t, const tm_exec *e);
/* Cites a service record: System 7045 "service NAME installed: IMAGE", 7036
 * "service NAME entered the STATE state". */
void tm_cite_service(tm_trace *t, const tm_item *it);
/* The items keep() selects, grouped into bursts less than gap apart (a
 * service's session, a share's use): tm_clusters over a selection. */
size_t tm_view_clusters(const tm_view *v, bool (*keep)(const tm_item *it, void *ctx), void *ctx, int64_t gap,
                        tm_cluster **out);

/* Bursts: records of one key (an account and its address, a session and a
 * pipe) less than `gap` apart are one trace, with their count. For each
 * record: tm_burst_find; when NULL, add the trace and tm_burst_begin; then
 * tm_burst_count. Lookups are by hash: linear in the records. */
typedef struct {
    tm_strmap open; /* key -> index in out of its burst's trace */
    int64_t gap;
    size_t first;   /* out->n when made: traces before are not bursts */
    size_t *count;  /* records per trace made since, by index - first */
    size_t cap;
} tm_bursts;
void tm_bursts_init(tm_bursts *b, const tm_traces *out, int64_t gap);
void tm_bursts_free(tm_bursts *b);
/* The trace of key's burst that a record at time t continues, or NULL. */
tm_trace *tm_burst_find(tm_bursts *b, tm_traces *out, const char *key, int64_t t);
/* The last trace of out starts key's burst. */
void tm_burst_begin(tm_bursts *b, const tm_traces *out, const char *key);
/* One more record in t's burst; returns how many it has. */
size_t tm_burst_count(tm_bursts *b, const tm_traces *out, const tm_trace *t);

/* Sets confidence: confirmed with the reason, or an indicator with it. */
void tm_confirm(tm_trace *t, bool confirmed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
