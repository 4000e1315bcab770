/* Memory that spills to disk: bytes allocated from segments of a temporary
 * file mapped MAP_SHARED (the file is unlinked as soon as it is open, so
 * nothing is left behind, whatever ends the process). What the process is
 * not using stays in the kernel's page cache, and written back to the file
 * under memory pressure, instead of in the process: tm_spill_trim_to() gives
 * every resident page of the segments back (the data stays in the file and
 * comes back on the next access), and a governor thread does so whenever
 * the process's resident memory passes its budget. The record store of a
 * host lives here (--memory), so a log of many GiB costs disk, not memory.
 *
 * Never on tmpfs: its pages cannot be written anywhere. The folder should
 * be on a disk (the output folder is). */
#ifndef TM_SPILL_H
#define TM_SPILL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tm_spill tm_spill;

/* A store whose file is in dir; segment is the size of each mapping (0: 64
 * MiB). NULL, with errno, when the file cannot be made. */
tm_spill *tm_spill_new(const char *dir, size_t segment);
/* n bytes, 16-aligned, zeroed, valid until tm_spill_free or their release
 * (any thread may ask); a request larger than a segment gets a segment of
 * its own. NULL when the file cannot grow (a full
 * disk, a file size limit: said once): the caller uses the heap instead. */
void *tm_spill_alloc(tm_spill *s, size_t n);
/* Room for element n of an array of *cap elements of elem bytes (first:
 * the capacity of a new one): in s's file, or on the heap when s is NULL
 * or its file cannot grow. An old copy in the file is released
 * (tm_spill_release). */
void *tm_spill_grow(tm_spill *s, void *arr, size_t n, size_t *cap, size_t elem, size_t first);
/* Working arrays smaller than this stay on the heap (tm_spill_sort's
 * second array, a pass's tm_view_alloc, the runs' working arrays): small
 * working arrays come and go by the thousand, and only pieces of 64 KiB or
 * more of the file's room are handed out again. tm_spill_for(s, bytes): s for an array of that size,
 * else NULL (the heap). */
#define TM_SPILL_SMALL (64u << 10)
static inline tm_spill *tm_spill_for(tm_spill *s, size_t bytes)
{
    return bytes >= TM_SPILL_SMALL ? s : NULL;
}
/* memcpy, in pieces with the budget checked between them (s may be NULL):
 * copying an array of the store maps both copies faster than any thread
 * that watches the budget looks. */
void tm_spill_copy(tm_spill *s, void *dst, const void *src, size_t n);
/* Sorts n elements of size bytes, stably: a merge sort of the array's
 * natural runs, its second array from s (the heap when s is NULL), every
 * pass reading and writing both arrays in order with the budget paced as
 * it goes. qsort's passes (glibc's sorts large elements through pointers,
 * then moves them at random) map a large array in the spill file in random
 * order, page after page, faster than any check. An array already sorted
 * costs one read. */
void tm_spill_sort(tm_spill *s, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* Done with an array of tm_spill_grow's (bytes: its capacity's size):
 * freed when it is on the heap; when in the file, its whole pages leave
 * the process, pieces of 64 KiB or more are handed out again (zeroed) by
 * later allocations of that size or more, and under the sanitizers the
 * bytes are poisoned until then. s may be NULL. */
void tm_spill_release(tm_spill *s, void *arr, size_t bytes);
/* Whether p points into one of s's segments. */
bool tm_spill_owns(tm_spill *s, const void *p);
/* Gives back 16 MiB slices, round robin from where the last call stopped,
 * until the process's resident memory is at most low. */
void tm_spill_trim_to(tm_spill *s, size_t low);
/* The budget's marks: past the trigger, the governor (and a pace) gives
 * slices back down to the target (of what the watched processes leave).
 * Wide apart because a pass maps the store faster than anyone looks. */
#define TM_SPILL_TRIGGER(budget) ((budget) / 2)
#define TM_SPILL_TARGET(room) ((room) / 4)
/* Bytes handed out, the file's size, and the bytes of released room
 * handed out again. */
size_t tm_spill_used(const tm_spill *s);
size_t tm_spill_file_size(const tm_spill *s);
size_t tm_spill_reused(const tm_spill *s);
/* Trims whenever the resident memory of the process and the processes it
 * watches passes TM_SPILL_TRIGGER(budget) (a thread looks every 2 ms; 0
 * stops it). */
void tm_spill_govern(tm_spill *s, size_t budget);
/* The same check as the governor's, made by the caller: loops that read or
 * write the store call it every few thousand records, so that the budget
 * holds however seldom a busy machine lets the governor's thread run. */
void tm_spill_pace(tm_spill *s);
/* The same, from code that reads the store anywhere (the record accessors:
 * the plugins read it from their threads): a thread's ticks pace the spills
 * governed now, if any, once TM_SPILL_TICK_NS have passed since that
 * thread last did. A count of ticks alone bounded nothing: 256 reads at
 * random fault in 16-32 MiB (64 KiB each, a record across two pages
 * twice), a tenth of the budget per thread between checks; time bounds
 * what a thread can map between two checks whatever its pattern. A tick
 * costs an increment, every 16th a read of the clock (vDSO: no system
 * call). */
#define TM_SPILL_TICK_NS 100000
extern _Thread_local unsigned tm_spill_ticks;
void tm_spill_tick_slow(void);
static inline void tm_spill_tick(void)
{
    if ((++tm_spill_ticks & 0xfu) == 0)
        tm_spill_tick_slow();
}
/* How many times the governor gave pages back (16 MiB slices). */
size_t tm_spill_trims(const tm_spill *s);
void tm_spill_free(tm_spill *s);

/* This process's resident memory in bytes (/proc/self/statm), 0 when unknown. */
size_t tm_rss_bytes(void);
/* Other processes whose resident memory counts against this process's
 * budget (an input's parser workers: --memory bounds the input's processes
 * together). At most 64 at a time; watch returns false when full. */
bool tm_rss_watch(int pid);
void tm_rss_unwatch(int pid);
/* Their resident memory now, summed. */
size_t tm_rss_watched_bytes(void);
/* Its peak resident memory (VmHWM in /proc/self/status), 0 when unknown. */
size_t tm_peak_rss_bytes(void);

#endif
