/* A loaded Sigma set as the pipeline's rule hook (pipeline/rule_traces.h):
 * each event the pipeline is fed is tested against the rules of its channel
 * and event id (tm_sigma_candidates), its fields read by their Sigma names
 * (Security 4688's mapped to Sysmon's, tm_sigma_record_field). */
#ifndef TM_SIGMA_HOOK_H
#define TM_SIGMA_HOOK_H

#include "pipeline/rule_traces.h"
#include "rules/sigma.h"

typedef struct tm_sigma_hook tm_sigma_hook;

/* The set must be indexed (tm_sigma_set_index) and outlive the hook. Rules
 * below min_level (a tm_sigma_level) are not run and not subscribed to. */
tm_sigma_hook *tm_sigma_hook_new(const tm_sigma_set *set, tm_sigma_level min_level);
const tm_rule_hook *tm_sigma_hook_get(const tm_sigma_hook *h);
void tm_sigma_hook_free(tm_sigma_hook *h);

/* The text of a record's field by its Sigma name ("EventID", "Channel",
 * "Provider_Name", "Computer", or an EventData/UserData name), NULL when
 * absent; numbers are written into buf. */
const char *tm_sigma_record_text(const tm_record *r, const char *sigma, char *buf, size_t n);

/* "informational" ... "critical"; and back (false when unknown). */
const char *tm_sigma_level_name(tm_sigma_level l);
bool tm_sigma_level_parse(const char *s, tm_sigma_level *out);

#endif
