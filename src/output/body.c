/* traces.body: The Sleuth Kit's body file, for mactime. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/timeutil.h"

/* A body-file name: '|' separates fields and a line is a record, so both are
 * escaped; control characters too. */
static void body_name(tm_buf *b, const char *s)
{
    tm_put_escaped(b, s ? s : "", s ? strlen(s) : 0, &tm_escapes_body);
}

static void write_body(tm_buf *b, const tm_report *r)
{
    tm_buf name;
    tm_buf_init(&name);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        if (t->time == TM_TIME_NONE)
            continue; /* a body file line without a time would sort as 1970 */
        char who[200];
        tm_buf_reset(&name);
        tm_buf_printf(&name, "[toolmark %s %s %s] %s", tm_trace_who(t, who, sizeof who), tm_role_name(t->role),
                      t->confirmed ? "confirmed" : "indicator", t->message ? t->message : "");
        const char *host = t->host ? t->host : r->host;
        if (host)
            tm_buf_printf(&name, " (host %s)", host);
        long long sec = t->time >= 0 ? t->time / 1000000 : -((-t->time + 999999) / 1000000);
        /* MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime */
        tm_buf_puts(b, "0|");
        body_name(b, tm_buf_cstr(&name));
        tm_buf_printf(b, "|0|----------|0|0|0|%lld|%lld|%lld|%lld\n", sec, sec, sec, sec);
    }
    tm_buf_free(&name);
}

const tm_output_format tm_format_body = {"body", "traces.body", write_body, true};
