/* The reader table: one entry per artifact format (see reader.h); a kind
 * the model says is parsed must have one (unit.test_readers). */
#include "readers/reader.h"

static const tm_reader readers[] = {
    {TM_ART_EVTX, tm_read_evtx},
    {TM_ART_EVTX_CHUNK, tm_read_evtx}, /* a one-chunk log made in memory (image/carve.c) */
    {TM_ART_USN, tm_read_usn},
    {TM_ART_PSREADLINE, tm_read_psreadline},
    {TM_ART_TASK, tm_read_task},
    {TM_ART_ATJOB, tm_read_atjob},
    {TM_ART_PREFETCH, tm_read_prefetch},
    {TM_ART_REGISTRY, tm_read_registry},
};

const tm_reader *tm_reader_for(tm_art_kind kind)
{
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (readers[i].kind == kind)
            return &readers[i];
    return NULL;
}
