/* Times for PSReadLine commands from the USN journal. The history file has
 * no per-command times; PSReadLine (HistorySaveStyle SaveIncrementally, the
 * default) appends each command as it is run, so each write of the file that
 * the journal recorded (a CLOSE after a data change) most likely saved one
 * command, the newest write the newest command. */
#ifndef TM_HISTORY_BOUNDS_H
#define TM_HISTORY_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/artifact.h"
#include "model/record.h"

typedef struct {
    int volume;
    uint64_t entry;
    uint32_t seq;
    int64_t time;
} tm_hist_write;

typedef struct {
    tm_hist_write *w;
    size_t n, cap;
    bool sorted; /* by file and time (the first query sorts them) */
} tm_hist_writes;

void tm_hist_init(tm_hist_writes *h);
void tm_hist_free(tm_hist_writes *h);
/* Keeps the writes of "*_history.txt" files seen in a USN record. */
void tm_hist_observe_usn(tm_hist_writes *h, int volume, const tm_record *usn);
/* Bounds for the command k-th from the end (1 = the last) of the history
 * artifact a: saved at not_after, after the previous write not_before
 * (TM_TIME_NONE when unknown). False when the journal has no write of it. */
bool tm_hist_bounds(tm_hist_writes *h, const tm_artifact *a, size_t k_from_end, int64_t *not_before,
                    int64_t *not_after);

#endif
