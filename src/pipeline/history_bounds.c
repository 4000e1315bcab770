#include "pipeline/history_bounds.h"

#include <stdlib.h>

#include "util/pathsafe.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define USN_CLOSE 0x80000000u
#define USN_DATA 0x00000007u /* overwrite, extend, truncation */
#define USN_CREATE 0x00000100u

void tm_hist_init(tm_hist_writes *h)
{
    h->w = NULL;
    h->n = h->cap = 0;
    h->sorted = false;
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
    h->sorted = false;
}

static int cmp_write(const void *pa, const void *pb)
{
    const tm_hist_write *a = pa, *b = pb;
    if (a->volume != b->volume)
        return a->volume < b->volume ? -1 : 1;
    if (a->entry != b->entry)
        return a->entry < b->entry ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->time < b->time ? -1 : a->time > b->time;
}

bool tm_hist_bounds(tm_hist_writes *h, const tm_artifact *a, size_t k, int64_t *not_before, int64_t *not_after)
{
    *not_before = *not_after = TM_TIME_NONE;
    if (!a->has_inode || k == 0)
        return false;
    /* sorted by file, then time, once writes stop coming */
    if (!h->sorted) {
        if (h->n > 1)
            tm_sort(h->w, h->n, sizeof *h->w, cmp_write);
        h->sorted = true;
    }
    tm_hist_write key = {a->volume, a->inode, a->seq, INT64_MIN};
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_write(&h->w[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < h->n && h->w[end].volume == a->volume && h->w[end].entry == a->inode && h->w[end].seq == a->seq)
        end++;
    size_t n = end - lo;
    if (n == 0)
        return false;
    const tm_hist_write *t = h->w + lo;
    if (k <= n) {
        *not_after = t[n - k].time;
        if (k < n)
            *not_before = t[n - k - 1].time;
    } else {
        /* Older than the journal: saved before its oldest write. */
        *not_after = t[0].time;
    }
    return true;
}
