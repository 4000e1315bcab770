/* The EVTX subscription a worker is given (tm_job.want): lines
 * "CHANNEL<TAB>EVENT_ID", `*` for any channel or any id, channels compared
 * without ASCII case. Parsed once per job into a lookup by channel (a hash
 * map) and event id (a sorted list), so testing a record costs the same
 * however many lines there are: SigmaHQ's rules add hundreds. */
#ifndef TM_EVTX_WANT_H
#define TM_EVTX_WANT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tm_evtx_want tm_evtx_want;

/* Lines without a tab are ignored; a channel is cut to 255 bytes; the id
 * is read with strtoul (as the lines have always been read). */
tm_evtx_want *tm_evtx_want_parse(const char *want);
/* Whether a record of this event id and channel is subscribed to. */
bool tm_evtx_wanted(const tm_evtx_want *w, uint32_t id, const char *channel);
void tm_evtx_want_free(tm_evtx_want *w);

#endif
