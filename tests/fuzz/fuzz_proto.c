/* libFuzzer target: everything the coordinator decodes from a worker (frames,
 * records, field lists) and the worker decodes from the coordinator (jobs).
 * A worker is untrusted: it may be parsing a hostile file when it breaks. */
#include <stddef.h>
#include <stdint.h>

#include "worker/job.h"
#include "worker/proto.h"
#include "model/record.h"
#include "model/record_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tm_fields_scratch s = {0};
    tm_record r;
    if (tm_record_decode(data, size, &s, &r)) {
        tm_buf out;
        tm_buf_init(&out);
        tm_record_json(&out, &r, NULL, NULL, 0);
        tm_buf_free(&out);
    }
    tm_job_owned j;
    if (tm_job_decode(data, size, &j))
        tm_job_owned_free(&j);

    tm_framer f;
    tm_framer_init(&f);
    tm_buf_put(&f.in, data, size);
    uint32_t type, len;
    const uint8_t *p;
    while (tm_framer_next(&f, &type, &p, &len) == 1)
        (void)tm_record_decode(p, len, &s, &r);
    tm_framer_free(&f);
    tm_fields_scratch_free(&s);
    return 0;
}
