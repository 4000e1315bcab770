#include "pipeline/history_bounds.h"

#include <stdlib.h>

#include "util/pathsafe.h"
#include "util/timeutil.h"

#define USN_CLOSE 0x80000000u
#define USN_DATA 0x00000007u /* overwrite, extend, truncation */
#define USN_CREATE 0x00000100u

void tm_hist_init(tm_hist_writes *h)
{
    h->w = NULL;
    h->n = h->cap = 0;
}

void tm_hist_free(tm_hist_writes *h)
{
    free(h->w);
    tm_hist_init(h);
}

void tm_hist_observe_usn(tm_hist_writes *h, int volume, const tm_record *r)
{
    const char *name = tm_record_str(r, "file_name");
    uint64_t reasons, entry, seq;
    if (!name || !tm_iends_with(name, "_history.txt") || r->time == TM_TIME_NONE ||
        !tm_record_uint(r, "reason_flags", &reasons) || !tm_record_uint(r, "mft_entry", &entry) ||
        !tm_record_uint(r, "mft_sequence", &seq))
        return;
    if (!(reasons & USN_CLOSE) || !(reasons & (USN_DATA | USN_CREATE)))
        return;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->w = tm_xrealloc(h->w, h->cap * sizeof *h->w);
    }
    h->w[h->n++] = (tm_hist_write){volume, entry, (uint32_t)seq, r->time};
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

bool tm_hist_bounds(const tm_hist_writes *h, const tm_artifact *a, size_t k, int64_t *not_before, int64_t *not_after)
{
    *not_before = *not_after = TM_TIME_NONE;
    if (!a->has_inode || k == 0)
        return false;
    int64_t *t = NULL;
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->w[i].volume == a->volume && h->w[i].entry == a->inode && h->w[i].seq == a->seq) {
            t = tm_xrealloc(t, (n + 1) * sizeof *t);
            t[n++] = h->w[i].time;
        }
    if (n == 0) {
        free(t);
        return false;
    }
    qsort(t, n, sizeof *t, cmp_time);
    if (k <= n) {
        *not_after = t[n - k];
        if (k < n)
            *not_before = t[n - k - 1];
    } else {
        /* Older than the journal: saved before its oldest write. */
        *not_after = t[0];
    }
    free(t);
    return true;
}
