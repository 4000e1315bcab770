#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/msg.h"

typedef struct {
    char *base;
    size_t size, used;
} segment;

struct tm_spill {
    int fd;
    size_t segsize;
    segment *seg;
    size_t nseg;
    size_t used, file_size;
    pthread_mutex_t lock; /* the segment list: the governor trims while the pipeline allocates */
    /* the governor */
    pthread_t thread;
    bool governing, stop;
    bool failed; /* the file could not grow: no more segments */
    size_t budget, trims;
    size_t clock_seg, clock_off; /* where the next trim starts */
    pthread_cond_t wake;
};

tm_spill *tm_spill_new(const char *dir, size_t segment_size)
{
    char *tmpl = tm_xasprintf("%s/.toolmark-spill-XXXXXX", dir && *dir ? dir : ".");
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        free(tmpl);
        return NULL;
    }
    unlink(tmpl); /* gone with the last descriptor, however the process ends */
    free(tmpl);
    tm_spill *s = tm_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->segsize = segment_size ? segment_size : (64u << 20);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    return s;
}

static segment *add_segment(tm_spill *s, size_t size)
{
    size = (size + 4095) & ~(size_t)4095;
    off_t at = (off_t)s->file_size;
    void *p = MAP_FAILED;
    if (!s->failed && ftruncate(s->fd, at + (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, at);
    if (p == MAP_FAILED) {
        if (!s->failed) /* said once; the caller keeps what follows in memory */
            tm_msg("the record store cannot grow on disk (%s): what follows is kept in memory", strerror(errno));
        s->failed = true;
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    TM_GROW(s->seg, s->nseg);
    segment *g = &s->seg[s->nseg++];
    *g = (segment){p, size, 0};
    s->file_size += size;
    pthread_mutex_unlock(&s->lock);
    return g;
}

void *tm_spill_alloc(tm_spill *s, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    segment *g = s->nseg ? &s->seg[s->nseg - 1] : NULL;
    if (!g || g->used + n > g->size)
        g = add_segment(s, n > s->segsize ? n : s->segsize);
    if (!g)
        return NULL;
    void *p = g->base + g->used;
    g->used += n;
    s->used += n;
    return p;
}

/* Gives back the whole pages inside [p, p + n) of a segment. */
static void forget(void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1), to = ((uintptr_t)p + n) & ~(page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
}

void *tm_spill_grow(tm_spill *s, void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : first;
    if (!s) {
        *cap = ncap;
        return tm_xrealloc(arr, ncap * elem);
    }
    void *fresh = tm_spill_alloc(s, ncap * elem);
    if (!fresh)
        fresh = tm_xmalloc(ncap * elem); /* the file cannot grow: the heap, then */
    if (n)
        memcpy(fresh, arr, n * elem);
    if (arr && *cap && !tm_spill_owns(s, arr))
        free(arr); /* grown on the heap before the spill began */
    else if (arr)
        forget(arr, *cap * elem); /* the old copy is never read again */
    *cap = ncap;
    return fresh;
}

void tm_spill_release(tm_spill *s, void *arr, size_t bytes)
{
    if (!s || !tm_spill_owns(s, arr))
        free(arr);
    else
        forget(arr, bytes); /* its pages leave the process now, not at the next trim */
}

bool tm_spill_owns(const tm_spill *s, const void *p)
{
    const char *c = p;
    for (size_t i = 0; s && c && i < s->nseg; i++)
        if (c >= s->seg[i].base && c < s->seg[i].base + s->seg[i].size)
            return true;
    return false;
}

/* Gives back 16 MiB slice after slice, round robin from where the last
 * call stopped, until resident memory is under low: only as much as the
 * budget needs, and the slices given back longest ago are the ones touched
 * again first (a clock), so the pages in use now tend to stay resident. Trimming
 * everything at once made the pages in use fault back in over and over
 * (a scan's CPU time doubled). */
void tm_spill_trim_to(tm_spill *s, size_t low)
{
    enum { SLICE = 16u << 20 };
    pthread_mutex_lock(&s->lock);
    size_t total = 0;
    for (size_t i = 0; i < s->nseg; i++)
        total += s->seg[i].size;
    for (size_t done = 0; s->nseg && done < total;) {
        if (s->clock_seg >= s->nseg) {
            s->clock_seg = 0;
            s->clock_off = 0;
        }
        segment *g = &s->seg[s->clock_seg];
        size_t n = g->size - s->clock_off < SLICE ? g->size - s->clock_off : SLICE;
        madvise(g->base + s->clock_off, n, MADV_DONTNEED);
        done += n;
        s->clock_off += n;
        if (s->clock_off >= g->size) {
            s->clock_seg++;
            s->clock_off = 0;
        }
        s->trims++;
        if (tm_rss_bytes() <= low)
            break;
    }
    pthread_mutex_unlock(&s->lock);
}

size_t tm_spill_used(const tm_spill *s)
{
    return s->used;
}

size_t tm_spill_file_size(const tm_spill *s)
{
    return s->file_size;
}

size_t tm_spill_trims(const tm_spill *s)
{
    return s->trims;
}

size_t tm_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

size_t tm_peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (size_t)kib * 1024;
}

static void *govern(void *arg)
{
    tm_spill *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L; /* a scan reads its store fast: look often (a statm read is cheap) */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (s->stop)
            break;
        size_t budget = s->budget;
        pthread_mutex_unlock(&s->lock);
        if (budget && tm_rss_bytes() > budget)
            tm_spill_trim_to(s, budget / 4 * 3);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void tm_spill_govern(tm_spill *s, size_t budget)
{
    pthread_mutex_lock(&s->lock);
    s->budget = budget;
    bool start = budget && !s->governing;
    pthread_mutex_unlock(&s->lock);
    if (start && pthread_create(&s->thread, NULL, govern, s) == 0)
        s->governing = true;
}

void tm_spill_free(tm_spill *s)
{
    if (!s)
        return;
    if (s->governing) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->nseg; i++)
        munmap(s->seg[i].base, s->seg[i].size);
    free(s->seg);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}
