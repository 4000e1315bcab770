/* The evidence-coverage verdict of a host: what toolmark could and could
 * not have seen there, so that "nothing found" means something.
 *
 * Fed during the pass with every registry fact (audit policy, command-line
 * auditing, PowerShell logging, Sysmon, Prefetch, event-log sizes), every
 * artifact's read statistics (an event log's channel, record count, time
 * span, id gaps) and the records themselves (what was actually logged:
 * 4688s, Sysmon records, script blocks, cleared-log events, the journal's
 * time span). At the end it states, per source of evidence, whether it was
 * there, and per tool and role whether the tool is detectable here and from
 * what, or why not (docs/outputs.md). */
#ifndef TM_COVERAGE_H
#define TM_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/artifact.h"
#include "model/evidence.h"
#include "model/job.h"
#include "util/json.h"
#include "model/record.h"
#include "pipeline/plugin.h"

typedef struct tm_coverage tm_coverage;

tm_coverage *tm_coverage_new(void);
void tm_coverage_free(tm_coverage *c);

/* During the pass. */
void tm_coverage_record(tm_coverage *c, const tm_artifact *a, const tm_record *r);
void tm_coverage_artifact(tm_coverage *c, const tm_artifact *a, const tm_read_stats *st, bool failed);
void tm_coverage_artifact_found(tm_coverage *c, const tm_artifact *a);
/* After the pass: the sources' states, and the verdict per tool and role
 * from the plugins' needs. */
void tm_coverage_finish(tm_coverage *c, const tm_plugin *const *plugins, size_t nplugins);

/* A source's state: true/false, and one line saying why. */
bool tm_coverage_source(const tm_coverage *c, tm_cov_source s, const char **why);

/* Per tool and role: detectable here, from which sources, or why not. */
typedef struct {
    const char *tool, *role;
    bool detectable;
    char from[256];    /* the sources it would show in, that are here */
    char missing[512]; /* the sources it needs that are not, with why */
} tm_tool_verdict;
size_t tm_coverage_verdicts(const tm_coverage *c, const tm_tool_verdict **out);

/* Event logs: what each covers. */
typedef struct {
    char channel[128];
    char path[256];
    uint64_t records, skipped, recovered, fragments, id_gaps, ids_missing;
    int64_t first, last;
    uint64_t max_size; /* configured maximum, 0 unknown */
    uint32_t cleared;  /* 1102 / 104 records in it */
    bool dirty, failed;
} tm_log_window;
size_t tm_coverage_logs(const tm_coverage *c, const tm_log_window **out);

/* The whole verdict as a JSON object value. */
void tm_coverage_json(tm_json *j, const tm_coverage *c);

#endif
