/* Origins as text (model/origin.h). */
#include "model/origin.h"

#include <inttypes.h>
#include <stdio.h>

#include "util/timeutil.h"

void tm_origin_text(const tm_origin *o, char *out, size_t n)
{
    switch (o->type) {
    case TM_ORIGIN_VSS: {
        char t[TM_TIME_ISO_LEN] = "";
        if (o->store_time != TM_TIME_NONE)
            tm_time_iso(o->store_time, t);
        snprintf(out, n, "vss:%s:%s", o->store, t);
        break;
    }
    case TM_ORIGIN_DELETED: snprintf(out, n, "deleted-file"); break;
    case TM_ORIGIN_CARVED: snprintf(out, n, "carved:%" PRIu64, o->offset); break;
    default: snprintf(out, n, "live"); break;
    }
}
