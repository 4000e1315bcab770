/* libFuzzer target: every plugin on hostile records. The input is text, one
 * record per line: KIND|TIME-SECONDS|EVENT-ID|field=value|field=value...
 * (KIND a tm_art_kind number; fields as strings). Records go through the
 * dispatcher exactly as the parser workers' would, then all plugins run and
 * the traces are rendered: no crash, no leak, no unbounded work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/outputs.h"
#include "pipeline/pipeline.h"
#include "pipeline/plugin.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    tm_pipeline *p = tm_pipeline_new(tm_plugins, tm_plugin_count);
    tm_artifact arts[TM_ART__COUNT];
    memset(arts, 0, sizeof arts);
    for (int k = 0; k < TM_ART__COUNT; k++) {
        arts[k].kind = (tm_art_kind)k;
        arts[k].path = "fuzz";
        arts[k].user = k % 2 ? "user" : NULL;
    }
    char *save = NULL;
    uint64_t pos = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f = NULL;
        char *kind = strtok_r(line, "|", &f), *t = strtok_r(NULL, "|", &f), *id = strtok_r(NULL, "|", &f);
        if (!kind || !t || !id)
            continue;
        int k = atoi(kind);
        if (k < 0 || k >= TM_ART__COUNT)
            continue;
        tm_buf b;
        tm_buf_init(&b);
        tm_fields_enc e;
        long long secs = strtoll(t, NULL, 10); /* seconds, in the range a FILETIME can say */
        if (secs > 1000000000000LL || secs < -1000000000000LL)
            secs = 0;
        tm_record_begin(&e, &b, (uint8_t)k, 0, pos++, (int64_t)secs * 1000000);
        tm_fenc_uint(&e, "event_id", strtoull(id, NULL, 10));
        for (char *kv = strtok_r(NULL, "|", &f); kv; kv = strtok_r(NULL, "|", &f)) {
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv || eq - kv > 60)
                continue;
            *eq = '\0';
            tm_fenc_str(&e, kv, eq + 1);
        }
        tm_record_end(&e);
        tm_fields_scratch s = {0};
        tm_record r;
        if (tm_record_decode((const uint8_t *)b.data, b.len, &s, &r))
            tm_pipeline_record(p, &arts[k], &r);
        tm_fields_scratch_free(&s);
        tm_buf_free(&b);
    }
    tm_traces ts;
    tm_traces_init(&ts);
    tm_pipeline_finish(p, &ts);
    tm_buf out;
    tm_buf_init(&out);
    const char *labels[] = {"vol"};
    for (size_t i = 0; i < ts.n; i++)
        tm_trace_json(&out, &ts.t[i], "fuzz", "fuzz", labels, 1);
    tm_buf_free(&out);
    tm_traces_free(&ts);
    tm_pipeline_free(p);
    free(text);
    return 0;
}
