/* The dispatcher between the readers and the plugins, for one host at a
 * time.
 *
 * Built once from the plugin table: the subscription index (event ids,
 * file-name globs, fact names, program names, kinds) and the subscription
 * strings handed to the parser workers, so that a worker renders only the
 * event records some plugin wants. During a host's pass the coordinator feeds
 * every record here; a record no subscription matches costs one lookup and
 * is dropped. When the pass is over, executions are derived (runs.h), each
 * plugin runs over its view, and the traces come out sorted. */
#ifndef TM_PIPELINE_H
#define TM_PIPELINE_H

#include <stddef.h>

#include "model/artifact.h"
#include "pipeline/hostinfo.h"
#include "pipeline/plugin.h"
#include "pipeline/rule_traces.h"
#include "pipeline/trace.h"
#include "model/record.h"

typedef struct tm_pipeline tm_pipeline;

tm_pipeline *tm_pipeline_new(const tm_plugin *const *plugins, size_t n);
void tm_pipeline_free(tm_pipeline *p);

/* Threads for the plugins' pass (0, the default: one per core). */
void tm_pipeline_threads(tm_pipeline *p, size_t n);
/* --memory: the host's record store, and the arrays that grow with it, go
 * to a file in dir (on a disk, never tmpfs), trimmed from memory whenever
 * the process passes budget bytes (util/spill.h). Budget 0: the heap. */
void tm_pipeline_memory(tm_pipeline *p, const char *dir, size_t budget);
/* The size of the host's spill file so far (0 without one). */
size_t tm_pipeline_spilled(const tm_pipeline *p);

/* Single-event rules (rule_traces.h) run on every event fed to the pipeline
 * from now on; their log sources join the EVTX subscription. The hook must
 * outlive the pipeline. */
void tm_pipeline_set_rules(tm_pipeline *p, const tm_rule_hook *rules);

/* The subscription for parser jobs of kind k: EVTX "CHANNEL<TAB>ID" lines,
 * registry key patterns; NULL when the kind is read whole. */
const char *tm_pipeline_want(const tm_pipeline *p, tm_art_kind k);

/* A host's pass. Records are copied when kept. */
void tm_pipeline_record(tm_pipeline *p, const tm_artifact *a, const tm_record *r);
/* Runs the plugins over what was kept and appends their traces (sorted);
 * then forgets the host. */
void tm_pipeline_finish(tm_pipeline *p, tm_traces *out);

/* What the pass learned of the host (valid until finish). */
const tm_hostinfo *tm_pipeline_hostinfo(const tm_pipeline *p);
/* The computer name: the SYSTEM hive's, else the event records' ("" none). */
const char *tm_pipeline_host(const tm_pipeline *p);

/* Counts for the report: records seen, records kept. */
typedef struct {
    uint64_t seen, kept, execs, rule_hits;
    /* --memory: the spill file's size at its largest, and how many times
     * the governor gave pages back (util/spill.h) */
    uint64_t spill_file, spill_trims;
} tm_pipeline_stats;
tm_pipeline_stats tm_pipeline_get_stats(const tm_pipeline *p);

#endif
