#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
/* ASAN_(UN)POISON_MEMORY_REGION: no-ops outside the sanitizer build.
 * Released bytes are read by no one again: poisoned, a read after release
 * is a report, not another array's data. */
#include <sanitizer/asan_interface.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/msg.h"

typedef struct {
    char *base;
    size_t size, used;
    off_t at;    /* where it is in the file */
    size_t made; /* how much of it has its folios made (make_folios) */
} segment;

/* Released whole pages of one segment, handed out again before the file
 * grows. */
typedef struct {
    char *p;
    size_t n, seg;
} extent;

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
    extent *room; /* released room to hand out again, by address */
    size_t nroom, reused;
    size_t clock_seg, clock_off; /* where the next trim starts */
    size_t mapped_before; /* file pages resident before the spill (the program, its libraries) */
    pthread_cond_t wake;
};

static bool read_statm(size_t *rss, size_t *file);

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
    size_t rss;
    if (!read_statm(&rss, &s->mapped_before))
        s->mapped_before = 0;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    return s;
}

/* The page cache's folios for [at, at + size) of the file, made by writing
 * zeros in TM_SPILL_FOLIO pieces before the bytes are handed out: a fault
 * maps the whole folio it lands in, and the folios a file gets otherwise
 * are up to 2 MiB (ext4, Linux 6.x: a fault on a hole of a shared mapping
 * reads ahead in large folios). A read of one record then mapped 1.8 MiB
 * on average, and a pass over the store at random mapped it faster than
 * any budget check (madvise cannot choose the size: MADV_NOHUGEPAGE
 * changes nothing here, MADV_RANDOM makes single pages and 16 times the
 * write faults). With 64 KiB folios a read maps 64 KiB (tests/unit/
 * test_util.c, test_spill_fault_size) and a write fault fills 64 KiB. The
 * zeros are what the sparse file reads as anyway; they are written as the
 * allocations reach them (TM_SPILL_MAKE ahead), so a small scan writes
 * little, and a full disk shows as an allocation that fails (the caller
 * keeps what follows on the heap), not as a fault on a write to the
 * mapping. */
enum { TM_SPILL_FOLIO = 64u << 10, TM_SPILL_MAKE = 1u << 20 };
static bool make_folios(int fd, off_t at, size_t size)
{
    static const char zeros[TM_SPILL_FOLIO];
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof zeros ? size - done : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, n, at + (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        done += (size_t)w;
    }
    return true;
}

static void cannot_grow(tm_spill *s)
{
    if (!s->failed) /* said once; the caller keeps what follows in memory */
        tm_msg("the record store cannot grow on disk (%s): what follows is kept in memory", strerror(errno));
    s->failed = true;
}

/* With s->lock held. */
static segment *add_segment(tm_spill *s, size_t size)
{
    size = (size + 4095) & ~(size_t)4095;
    off_t at = (off_t)s->file_size;
    void *p = MAP_FAILED;
    if (!s->failed && ftruncate(s->fd, at + (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, at);
    if (p == MAP_FAILED) {
        cannot_grow(s);
        return NULL;
    }
    TM_GROW(s->seg, s->nseg);
    segment *g = &s->seg[s->nseg++];
    *g = (segment){p, size, 0, at, 0};
    s->file_size += size;
    return g;
}

/* Released room goes back on the list, joined with its neighbours of the
 * same segment (a segment's pages are contiguous in the file; two
 * segments' mappings may meet in memory without being so). Past
 * TM_SPILL_ROOMS separate pieces a new one is not kept (the list stays
 * short however a scan releases). With s->lock held. */
enum { TM_SPILL_ROOMS = 4096 };
static void give_back(tm_spill *s, char *p, size_t n, size_t seg)
{
    size_t lo = 0, hi = s->nroom; /* the first piece after p */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->room[mid].p < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    extent *left = lo ? &s->room[lo - 1] : NULL, *right = lo < s->nroom ? &s->room[lo] : NULL;
    bool after_left = left && left->seg == seg && left->p + left->n == p;
    bool before_right = right && right->seg == seg && p + n == right->p;
    if (after_left && before_right) {
        left->n += n + right->n;
        memmove(right, right + 1, (s->nroom - lo - 1) * sizeof *right);
        s->nroom--;
    } else if (after_left) {
        left->n += n;
    } else if (before_right) {
        right->p = p;
        right->n += n;
    } else if (s->nroom < TM_SPILL_ROOMS) {
        TM_GROW(s->room, s->nroom);
        memmove(&s->room[lo + 1], &s->room[lo], (s->nroom - lo) * sizeof *s->room);
        s->room[lo] = (extent){p, n, seg};
        s->nroom++;
    }
}

/* Room of at least n bytes (whole pages) from the released pieces, the
 * smallest that holds it, or NULL; its file offset in *at. With s->lock
 * held. */
static char *take_room(tm_spill *s, size_t n, off_t *at)
{
    size_t best = s->nroom;
    for (size_t i = 0; i < s->nroom; i++)
        if (s->room[i].n >= n && (best == s->nroom || s->room[i].n < s->room[best].n)) {
            best = i;
            if (s->room[i].n == n)
                break;
        }
    if (best == s->nroom)
        return NULL;
    extent *e = &s->room[best];
    char *p = e->p;
    const segment *g = &s->seg[e->seg];
    *at = g->at + (off_t)(p - g->base);
    e->p += n;
    e->n -= n;
    if (!e->n) {
        memmove(e, e + 1, (s->nroom - best - 1) * sizeof *e);
        s->nroom--;
    }
    return p;
}

/* Gives back the whole pages inside [p, p + n) of a segment: they leave the
 * process, and pieces of TM_SPILL_SMALL or more are handed out again
 * (tm_spill_alloc). Most of what a scan puts in the spill is released (the
 * old copies of grown arrays, the sorts' second arrays, a pass's working
 * arrays: 780 of 1,340 MB at x1 of bench/run 1024); handing it out again
 * keeps the file, the page cache it takes and what is written back to disk
 * to about what is live, and the pages reused are the page cache's own
 * (new pages cost the most: on a virtual machine a page the host has taken
 * back costs ten times a copy when first touched). Punching holes instead
 * freed the pages, but the next allocations then took new ones: 8 % slower
 * at x2. */
static void forget(tm_spill *s, void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1), to = ((uintptr_t)p + n) & ~(page - 1);
    ASAN_POISON_MEMORY_REGION(p, n);
    if (to <= from)
        return;
    madvise((void *)from, to - from, MADV_DONTNEED);
    if (to - from < TM_SPILL_SMALL)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nseg; i++)
        if ((char *)from >= s->seg[i].base && (char *)to <= s->seg[i].base + s->seg[i].size) {
            give_back(s, (char *)from, to - from, i);
            break;
        }
    pthread_mutex_unlock(&s->lock);
}

/* Under the lock: the plugins' threads allocate too (a view's sort), the
 * governor walks the segments while they are added. A large request takes
 * released room first, zeroed (callers take the file's room as zeros,
 * which fresh room is); the zeros go through the file, so that the pages
 * are not mapped into the process here. */
void *tm_spill_alloc(tm_spill *s, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    pthread_mutex_lock(&s->lock);
    if (n >= TM_SPILL_SMALL && s->nroom) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE), whole = (n + page - 1) / page * page;
        off_t at = 0;
        char *p = take_room(s, whole, &at);
        if (p) {
            s->used += n;
            s->reused += whole;
            pthread_mutex_unlock(&s->lock);
            ASAN_UNPOISON_MEMORY_REGION(p, n);
            if (!make_folios(s->fd, at, whole)) /* over the file's own blocks: not expected to fail */
                memset(p, 0, n);
            return p;
        }
    }
    segment *g = s->nseg ? &s->seg[s->nseg - 1] : NULL;
    if (!g || g->used + n > g->size)
        g = add_segment(s, n > s->segsize ? n : s->segsize);
    void *p = NULL;
    if (g && g->used + n > g->made) {
        size_t to = (g->used + n + TM_SPILL_MAKE - 1) / TM_SPILL_MAKE * TM_SPILL_MAKE;
        if (to > g->size)
            to = g->size;
        /* once the file could not grow, it is not tried again at every allocation */
        if (!s->failed && make_folios(s->fd, g->at + (off_t)g->made, to - g->made))
            g->made = to;
        else {
            cannot_grow(s);
            g = NULL;
        }
    }
    if (g) {
        p = g->base + g->used;
        g->used += n;
        s->used += n;
    }
    pthread_mutex_unlock(&s->lock);
    return p;
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
        tm_spill_copy(s, fresh, arr, n * elem);
    if (arr && *cap && !tm_spill_owns(s, arr))
        free(arr); /* grown on the heap before the spill began */
    else if (arr)
        forget(s, arr, *cap * elem); /* the old copy is never read again */
    *cap = ncap;
    return fresh;
}

void tm_spill_copy(tm_spill *s, void *dst, const void *src, size_t n)
{
    enum { PIECE = 1u << 20 };
    for (size_t at = 0; at < n; at += PIECE) {
        memcpy((char *)dst + at, (const char *)src + at, n - at < PIECE ? n - at : PIECE);
        tm_spill_pace(s);
    }
}

/* Sorts [lo, hi) of a by insertion, stably; tmp holds one element. */
static void insertion_sort(char *a, size_t lo, size_t hi, size_t size, int (*cmp)(const void *, const void *),
                           char *tmp)
{
    for (size_t i = lo + 1; i < hi; i++) {
        size_t j = i;
        if (cmp(a + (j - 1) * size, a + i * size) <= 0)
            continue;
        memcpy(tmp, a + i * size, size);
        while (j > lo && cmp(a + (j - 1) * size, tmp) > 0)
            j--;
        memmove(a + (j + 1) * size, a + j * size, (i - j) * size);
        memcpy(a + j * size, tmp, size);
    }
}

void tm_spill_sort(tm_spill *s, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    enum { MINRUN = 32 };
    if (n < 2 || !size)
        return;
    char *a = base;
    /* the runs: ascending stretches, short ones made MINRUN long by insertion */
    size_t *start = NULL, nruns = 0;
    char *one = tm_xmalloc(size);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        for (; j < n && cmp(a + (j - 1) * size, a + j * size) <= 0; j++)
            tm_spill_tick();
        if (j - i < MINRUN && j < n) {
            j = i + MINRUN < n ? i + MINRUN : n;
            insertion_sort(a, i, j, size, cmp, one);
        }
        TM_GROW(start, nruns);
        start[nruns++] = i;
        i = j;
        tm_spill_tick();
    }
    free(one);
    if (nruns < 2) {
        free(start);
        return;
    }
    size_t cap = 0;
    tm_spill *room = tm_spill_for(s, n * size);
    char *tmp = tm_spill_grow(room, NULL, 0, &cap, size, n);
    char *from = a, *to = tmp;
    while (nruns > 1) {
        size_t w = 0;
        for (size_t r = 0; r < nruns; r += 2) {
            size_t lo = start[r], mid = r + 1 < nruns ? start[r + 1] : n, hi = r + 2 < nruns ? start[r + 2] : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                /* the left run's element first on a tie: stable */
                const char *take = cmp(from + j * size, from + i * size) < 0 ? from + j++ * size : from + i++ * size;
                memcpy(to + k++ * size, take, size);
                tm_spill_tick();
            }
            /* one run is out: the rest of the other follows as it is */
            if (i < mid)
                tm_spill_copy(s, to + k * size, from + i * size, (mid - i) * size);
            else if (j < hi)
                tm_spill_copy(s, to + k * size, from + j * size, (hi - j) * size);
            start[w++] = lo;
        }
        nruns = w;
        char *t = from;
        from = to;
        to = t;
    }
    if (from != a)
        tm_spill_copy(s, a, from, n * size);
    tm_spill_release(room, tmp, cap * size);
    free(start);
}

void tm_spill_release(tm_spill *s, void *arr, size_t bytes)
{
    if (!s || !tm_spill_owns(s, arr))
        free(arr);
    else
        forget(s, arr, bytes); /* its pages leave the process now, not at the next trim */
}

bool tm_spill_owns(tm_spill *s, const void *p)
{
    const char *c = p;
    if (!s || !c)
        return false;
    bool owns = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nseg && !owns; i++)
        owns = c >= s->seg[i].base && c < s->seg[i].base + s->seg[i].size;
    pthread_mutex_unlock(&s->lock);
    return owns;
}

/* Gives back 16 MiB slice after slice, round robin from where the last
 * call stopped, until resident memory is under low or the spill's own
 * resident pages are down to keep: only as much as the budget needs, and
 * the slices given back longest ago are the ones touched again first (a
 * clock), so the pages in use now tend to stay resident. Trimming
 * everything at once made the pages in use fault back in over and over (a
 * scan's CPU time doubled); so did walking every slice again and again
 * when what is over the mark is the heap, which no trim can give back. */
static void trim(tm_spill *s, size_t low, size_t base, size_t keep)
{
    enum { SLICE = 16u << 20 };
    pthread_mutex_lock(&s->lock);
    size_t total = 0;
    for (size_t i = 0; i < s->nseg; i++)
        total += s->seg[i].size;
    for (size_t done = 0; s->nseg && done < total;) {
        size_t rss, file;
        if (!read_statm(&rss, &file) || rss <= low || file <= base + keep)
            break;
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
    }
    pthread_mutex_unlock(&s->lock);
}

void tm_spill_trim_to(tm_spill *s, size_t low)
{
    trim(s, low, s->mapped_before, 0);
}

size_t tm_spill_used(const tm_spill *s)
{
    return s->used;
}

size_t tm_spill_file_size(const tm_spill *s)
{
    return s->file_size;
}

size_t tm_spill_reused(const tm_spill *s)
{
    return s->reused;
}

size_t tm_spill_trims(const tm_spill *s)
{
    return s->trims;
}

/* /proc/self/statm, opened once per process (a descriptor opened before a
 * fork names the parent): a read costs a microsecond, so the budget can be
 * checked every few hundred records read. */
static int g_statm = -1;
static pid_t g_statm_pid;
static pthread_mutex_t g_statm_lock = PTHREAD_MUTEX_INITIALIZER;

/* Resident memory and the part of it that maps files (statm's "shared":
 * the spill file's pages, the program's and its libraries'), in bytes. */
static bool read_statm(size_t *rss, size_t *file)
{
    pid_t me = getpid();
    pthread_mutex_lock(&g_statm_lock);
    if (g_statm < 0 || g_statm_pid != me) {
        if (g_statm >= 0)
            close(g_statm);
        g_statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        g_statm_pid = me;
    }
    int fd = g_statm;
    pthread_mutex_unlock(&g_statm_lock);
    char buf[128];
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return false;
    buf[n] = 0;
    unsigned long long size = 0, res = 0, shared = 0;
    if (sscanf(buf, "%llu %llu %llu", &size, &res, &shared) != 3)
        return false;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *rss = (size_t)res * page;
    *file = (size_t)shared * page;
    return true;
}

size_t tm_rss_bytes(void)
{
    size_t rss, file;
    return read_statm(&rss, &file) ? rss : 0;
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

static _Atomic int g_watched[64];
static _Atomic int g_nwatched;

bool tm_rss_watch(int pid)
{
    for (size_t i = 0; i < sizeof g_watched / sizeof *g_watched; i++) {
        int none = 0;
        if (atomic_compare_exchange_strong(&g_watched[i], &none, pid)) {
            atomic_fetch_add(&g_nwatched, 1);
            return true;
        }
    }
    return false;
}

void tm_rss_unwatch(int pid)
{
    for (size_t i = 0; i < sizeof g_watched / sizeof *g_watched; i++) {
        int was = pid;
        if (atomic_compare_exchange_strong(&g_watched[i], &was, 0))
            atomic_fetch_sub(&g_nwatched, 1);
    }
}

size_t tm_rss_watched_bytes(void)
{
    if (!atomic_load(&g_nwatched))
        return 0;
    size_t sum = 0;
    for (size_t i = 0; i < sizeof g_watched / sizeof *g_watched; i++) {
        int pid = atomic_load(&g_watched[i]);
        if (pid <= 0)
            continue;
        char path[48];
        snprintf(path, sizeof path, "/proc/%d/statm", pid);
        FILE *f = fopen(path, "r");
        unsigned long long size = 0, rss = 0;
        if (f) {
            if (fscanf(f, "%llu %llu", &size, &rss) == 2)
                sum += (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
            fclose(f);
        }
    }
    return sum;
}

/* The spills governed now (an input's record store and its traces'): one
 * budget for the process, so a trim gives back the slices of each in turn,
 * the one checked first first (a store's trim alone could not reach the
 * target while the traces' pages were resident, and walked every slice of
 * the store at every check). The lock also keeps a spill from being freed
 * while another's check trims it. */
enum { GOVERNED_MAX = 4 };
static pthread_mutex_t g_governed_lock = PTHREAD_MUTEX_INITIALIZER;
static tm_spill *g_governed[GOVERNED_MAX];

/* Gives back the governed spills' slices, s's first, as trim() does. With
 * g_governed_lock held. */
static void trim_governed(tm_spill *s, size_t low, size_t base, size_t keep)
{
    trim(s, low, base, keep);
    for (size_t i = 0; i < GOVERNED_MAX; i++)
        if (g_governed[i] && g_governed[i] != s)
            trim(g_governed[i], low, base, keep);
}

/* Past TM_SPILL_TRIGGER of the budget (this process and the ones it
 * watches, together), gives back slices until this process is at
 * TM_SPILL_TARGET of what the others leave of it: the room above the
 * trigger is for what a pass maps between two checks (a read fault maps 64
 * KiB: the kernel's fault-around), so that the peak stays within the
 * budget. When the heap alone is over the target, the spills keep an eighth
 * of the budget resident, for the passes' working set. With
 * g_governed_lock held. */
static void keep_within(tm_spill *s, size_t budget)
{
    if (!budget)
        return;
    size_t own, file;
    if (!read_statm(&own, &file))
        return;
    size_t others = tm_rss_watched_bytes();
    if (own + others <= TM_SPILL_TRIGGER(budget))
        return;
    /* the file pages that are no spill's: the program and its libraries */
    size_t base = s->mapped_before;
    for (size_t i = 0; i < GOVERNED_MAX; i++)
        if (g_governed[i] && g_governed[i]->mapped_before < base)
            base = g_governed[i]->mapped_before;
    size_t room = budget > others ? budget - others : 0, keep = budget / 8;
    size_t spilled = file > base ? file - base : 0;
    if (own >= spilled && own - spilled >= TM_SPILL_TARGET(room)) {
        /* the heap alone is over the target: the spills keep their eighth,
         * given back only past twice that (not at every check: each would
         * walk the slices for the few pages a pass touched since) */
        if (spilled > 2 * keep)
            trim_governed(s, 0, base, keep);
        return;
    }
    trim_governed(s, TM_SPILL_TARGET(room), base, 0); /* within the spills' reach: the target itself */
}

static size_t budget_of(tm_spill *s)
{
    pthread_mutex_lock(&s->lock);
    size_t budget = s->budget;
    pthread_mutex_unlock(&s->lock);
    return budget;
}

void tm_spill_pace(tm_spill *s)
{
    if (!s)
        return;
    size_t budget = budget_of(s);
    pthread_mutex_lock(&g_governed_lock);
    keep_within(s, budget);
    pthread_mutex_unlock(&g_governed_lock);
}

_Thread_local unsigned tm_spill_ticks;

void tm_spill_tick_slow(void)
{
    static _Thread_local int64_t last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    if (ns - last < TM_SPILL_TICK_NS)
        return;
    last = ns;
    pthread_mutex_lock(&g_governed_lock);
    for (size_t i = 0; i < GOVERNED_MAX; i++)
        if (g_governed[i]) { /* one check trims them all */
            keep_within(g_governed[i], budget_of(g_governed[i]));
            break;
        }
    pthread_mutex_unlock(&g_governed_lock);
}

static void governed(tm_spill *s, bool on)
{
    pthread_mutex_lock(&g_governed_lock);
    size_t at = GOVERNED_MAX;
    for (size_t i = 0; i < GOVERNED_MAX; i++)
        if (g_governed[i] == s)
            at = i;
    if (at < GOVERNED_MAX && !on)
        g_governed[at] = NULL;
    for (size_t i = 0; on && at == GOVERNED_MAX && i < GOVERNED_MAX; i++)
        if (!g_governed[i]) {
            g_governed[i] = s;
            break;
        }
    pthread_mutex_unlock(&g_governed_lock);
}

static void *govern(void *arg)
{
    tm_spill *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 2 * 1000000L; /* a pass maps the store fast (fault-around: 64 KiB a page fault): look often, a statm read costs a microsecond */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (s->stop)
            break;
        size_t budget = s->budget;
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_lock(&g_governed_lock);
        keep_within(s, budget);
        pthread_mutex_unlock(&g_governed_lock);
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
    governed(s, budget != 0);
}

void tm_spill_free(tm_spill *s)
{
    if (!s)
        return;
    governed(s, false);
    if (s->governing) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->nseg; i++) {
        ASAN_UNPOISON_MEMORY_REGION(s->seg[i].base, s->seg[i].size); /* the addresses may be mapped again */
        munmap(s->seg[i].base, s->seg[i].size);
    }
    free(s->seg);
    free(s->room);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}
