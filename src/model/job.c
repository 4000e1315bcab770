#include "model/job.h"

#include <string.h>

void tm_read_stats_init(tm_read_stats *st)
{
    memset(st, 0, sizeof *st);
    st->first_time = st->last_time = INT64_MIN;
}
