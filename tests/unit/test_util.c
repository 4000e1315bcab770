/* Unit tests: JSON writer, CSV cells, times, safe path names, path rules. */
#include <pthread.h>
#include <stdlib.h>

#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "util/zone.h"
#include "model/artifact.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/json.h"
#include "util/msg.h"
#include "util/arena.h"
#include "util/spill.h"
#include "util/text.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"

static char *quote(const char *s, size_t n)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_json_quote(&b, s, n);
    char *r = tm_xstrdup(tm_buf_cstr(&b));
    tm_buf_free(&b);
    return r;
}

static void test_json(void)
{
    char *q = quote("a\"b\\c\n\t\x01\x7f", 9);
    CHECK_STR(q, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
    free(q);
    /* Invalid UTF-8: lone continuation, truncated sequence, overlong, surrogate. */
    q = quote("x\x80y\xc3", 4);
    CHECK_STR(q, "\"x\xEF\xBF\xBDy\xEF\xBF\xBD\"");
    free(q);
    q = quote("\xc0\xaf", 2);
    CHECK_STR(q, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    free(q);
    q = quote("\xed\xa0\x80", 3);
    CHECK_STR(q, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    free(q);
    q = quote("caf\xc3\xa9 \xf0\x9f\x98\x80", 10);
    CHECK_STR(q, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    free(q);
    /* Embedded NUL is escaped, not a terminator. */
    q = quote("a\0b", 3);
    CHECK_STR(q, "\"a\\u0000b\"");
    free(q);

    tm_buf b;
    tm_buf_init(&b);
    tm_json j;
    tm_json_init(&j, &b);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "a", "x");
    tm_json_key(&j, "list");
    tm_json_arr_begin(&j);
    tm_json_int(&j, -1);
    tm_json_uint(&j, 18446744073709551615ULL);
    tm_json_null(&j);
    tm_json_arr_end(&j);
    tm_json_kstr(&j, "n", NULL);
    tm_json_ktime(&j, "t", TM_TIME_NONE);
    tm_json_obj_end(&j);
    CHECK_STR(tm_buf_cstr(&b), "{\"a\":\"x\",\"list\":[-1,18446744073709551615,null],\"n\":null,\"t\":null}");
    tm_buf_free(&b);
}

static void test_time(void)
{
    char iso[TM_TIME_ISO_LEN];
    /* 2017-04-28T12:27:03.1234567Z as FILETIME. */
    int64_t us = tm_time_from_filetime(131378560231234567ULL);
    tm_time_iso(us, iso);
    CHECK_STR(iso, "2017-04-28T12:27:03.123456+00:00");
    CHECK(tm_time_from_filetime(0) == TM_TIME_NONE);
    tm_time_iso(0, iso);
    CHECK_STR(iso, "1970-01-01T00:00:00.000000+00:00");
    tm_time_iso(-1, iso); /* before the epoch: floor, not truncation */
    CHECK_STR(iso, "1969-12-31T23:59:59.999999+00:00");
    int64_t p;
    CHECK(tm_time_parse_iso("2017-04-28T12:27:03.123456789Z", &p) && p == us);
    CHECK(tm_time_parse_iso("2016-02-29 23:59:59", &p));
    tm_time_iso(p, iso);
    CHECK_STR(iso, "2016-02-29T23:59:59.000000+00:00");
    CHECK(!tm_time_parse_iso("2017-13-01T00:00:00Z", &p));
    CHECK(!tm_time_parse_iso("2017-01-01T00:00:00Zjunk", &p));
    CHECK(!tm_time_parse_iso("", &p));
    /* hostile time stamps: unknown, never an overflow */
    CHECK(tm_time_from_unix(INT64_MAX / 2, 0) == TM_TIME_NONE);
    CHECK(tm_time_from_unix(INT64_MIN / 2, 0) == TM_TIME_NONE);
    CHECK(tm_time_from_unix(1, 500000000) == 1500000);
    /* nanoseconds past a second carry, also at the limit (was an overflow) */
    CHECK(tm_time_from_unix(2, 1500000000) == 3500000);
    CHECK(tm_time_from_unix(0, -1) == -1);
    CHECK(tm_time_from_unix(INT64_MAX / 1000000 - 1, 4294967295LL) == TM_TIME_NONE);
    /* any time prints, the year clamped: a worker's frame carries raw times
     * (floor(us / 10^6) * 10^6 overflowed near INT64_MIN; found by fuzz_proto) */
    tm_time_iso(INT64_MIN + 1, iso);
    CHECK(strncmp(iso, "0000-", 5) == 0);
    tm_time_iso(INT64_MAX, iso);
    CHECK(strncmp(iso, "9999-", 5) == 0 && strstr(iso, ".775807+00:00"));
    CHECK(tm_time_gap(TM_TIME_NONE, 5) == INT64_MAX);
    CHECK(tm_time_gap(5, TM_TIME_NONE) == INT64_MAX);
    CHECK(tm_time_gap(7, 5) == 2 && tm_time_gap(5, 7) == -2);
    CHECK(tm_time_gap(INT64_MAX, -10) == INT64_MAX);
    CHECK(tm_time_gap(INT64_MIN + 1, 10) == INT64_MIN + 1);
}

static char *safe(const char *path)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_path_sanitize(path, &b);
    char *r = tm_xstrdup(tm_buf_cstr(&b));
    tm_buf_free(&b);
    return r;
}

/* Evidence names on a terminal: no control, C1, bidi override or invalid
 * byte passes; ordinary text and UTF-8 are kept. */
static void test_terminal(void)
{
    static const char in[] = "a\x1b]0;pwned\x07" "b\nc\rd\x7f\xc2\x9b" "2J\xe2\x80\xae\xff\xc3\xa9 ok";
    tm_buf b;
    tm_buf_init(&b);
    tm_put_terminal(&b, in, sizeof in - 1);
    CHECK_STR(tm_buf_cstr(&b), "a\\x1b]0;pwned\\x07b\\x0ac\\x0dd\\x7f\\u009B2J\\u202E\\xff\xc3\xa9 ok");
    tm_buf_reset(&b);
    tm_buf_term_line(&b, "file %s: bad\n", "x\ny: all clear");
    CHECK_STR(tm_buf_cstr(&b), "file x\\x0ay: all clear: bad\n");
    tm_buf_free(&b);
}

static void test_pathsafe(void)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"Windows/System32/config/SAM", "Windows/System32/config/SAM"},
        {"/etc/passwd", "etc/passwd"},
        {"..\\..\\x", "..%5C..%5Cx"}, /* a backslash is part of a name, not a separator */
        {"../../x", "%2E%2E/%2E%2E/x"},
        {"a/./b", "a/%2E/b"},
        {"Users/CON/x", "Users/_CON/x"},
        {"nul.txt", "_nul.txt"},
        {"COM1.log", "_COM1.log"},
        {"COM10", "COM10"},
        {"a\nb\x01", "a%0Ab%01"},
        {"x:y*z?", "x%3Ay%2Az%3F"},
        {"trail. ", "trail%2E%20"},
        {"50%", "50%25"},
        {"bad\xff", "bad%FF"},
        {"$UsnJrnl:$J", "$UsnJrnl%3A$J"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = safe(cases[i].in);
        CHECK_STR(s, cases[i].out);
        free(s);
    }
    tm_buf b;
    tm_buf_init(&b);
    CHECK(!tm_path_sanitize("///", &b));
    /* Over-long components are shortened, distinctly. */
    char longname[600];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    char *s1 = safe(longname);
    longname[0] = 'b';
    char *s2 = safe(longname);
    CHECK(strlen(s1) <= 200 && strlen(s2) <= 200 && strcmp(s1, s2) != 0);
    free(s1);
    free(s2);
    tm_buf_free(&b);

    CHECK(tm_iglob("*.evtx", "Security.EVTX"));
    CHECK(tm_iglob("NTUSER.DAT.LOG*", "ntuser.dat.log1"));
    CHECK(!tm_iglob("*.pf", "x.pfx"));
    CHECK(tm_iglob("a*b*c", "aXXbYYc"));
    CHECK(!tm_iglob("a*b*c", "aXXbYY"));
}

static void test_rules(void)
{
    char *user;
    const tm_path_rule *r = tm_classify_win_path("Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx", &user);
    CHECK(r && r->kind == TM_ART_EVTX && !user);
    r = tm_classify_win_path("users/Bob/ntuser.dat", &user);
    CHECK(r && r->kind == TM_ART_REGISTRY && strcmp(r->subtype, "NTUSER") == 0 && user && strcmp(user, "Bob") == 0);
    free(user);
    r = tm_classify_win_path("Users/Bob/x/NTUSER.DAT", &user);
    CHECK(r == NULL);
    r = tm_classify_win_path("Windows/System32/config/SYSTEM.LOG2", &user);
    CHECK(r && r->kind == TM_ART_REGISTRY_LOG);
    r = tm_classify_win_path("Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag", &user);
    CHECK(r && r->kind == TM_ART_TASK);
    r = tm_classify_win_path("Windows/System32/Tasks", &user);
    CHECK(r == NULL);
    r = tm_classify_win_path("Users/a/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt", &user);
    CHECK(r && r->kind == TM_ART_PSREADLINE && user && strcmp(user, "a") == 0);
    free(user);
    r = tm_classify_win_path("Windows/Prefetch/CMD.EXE-1234.pf", &user);
    CHECK(r && r->kind == TM_ART_PREFETCH);
    CHECK(tm_art_kind_from_name("usn") == TM_ART_USN && tm_art_kind_from_name("nope") == -1);
}

static void test_csv(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_csv_cell(&b, "plain", true);
    tm_csv_cell(&b, "a,\"b\"", false);
    tm_csv_cell(&b, "=cmd|' /C calc'!A0", false);
    tm_csv_cell(&b, "-2+3", false);
    tm_csv_cell(&b, NULL, false);
    tm_csv_cell(&b, "\xff", false);
    tm_csv_cell(&b, "a\tb\r\nc", false); /* one row per line: tab and line breaks escaped too */
    CHECK_STR(tm_buf_cstr(&b),
              "\"plain\",\"a,\"\"b\"\"\",\"'=cmd|' /C calc'!A0\",\"'-2+3\",,\"\xEF\xBF\xBD\",\"a\\x09b\\x0d\\x0ac\"");
    tm_buf_free(&b);
}

/* The display zone: UTC, fixed offsets, the tz database (with daylight
 * saving), and times on the command line read in it. */
/* A store on disk: its pages leave the process when trimmed and come back,
 * the same, when read; an arena can take its blocks from it. */
static void test_spill(void)
{
    tm_spill *s = tm_spill_new(".", 8u << 20);
    CHECK(s != NULL);
    if (!s)
        return;
    enum { MB = 1 << 20, N = 48 };
    unsigned char *p[N];
    size_t before = tm_rss_bytes();
    for (int i = 0; i < N; i++) {
        p[i] = tm_spill_alloc(s, MB);
        memset(p[i], i + 1, MB);
    }
    size_t filled = tm_rss_bytes();
    CHECK(filled >= before + (N / 2) * (size_t)MB); /* the pages were in the process */
    tm_spill_trim_to(s, 0); /* everything */
    size_t trimmed = tm_rss_bytes();
    CHECK(trimmed + (N / 2) * (size_t)MB <= filled); /* and are not any more */
    bool same = true;
    for (int i = 0; i < N && same; i++)
        for (size_t k = 0; k < MB && same; k += 4096)
            same = p[i][k] == (unsigned char)(i + 1);
    CHECK(same); /* the data came back from the file */
    CHECK(tm_spill_used(s) == (size_t)N * MB && tm_spill_file_size(s) >= (size_t)N * MB);
    /* the governor's trim gives back only what gets it under the mark, in
     * 16 MiB slices: all 48 MiB are resident again after the read above */
    size_t full = tm_rss_bytes();
    size_t trims = tm_spill_trims(s);
    tm_spill_trim_to(s, full - 8 * (size_t)MB);
    size_t part = tm_rss_bytes();
    CHECK(part + 8 * (size_t)MB <= full);  /* under the mark */
    CHECK(part + 40 * (size_t)MB > full);  /* not everything */
    CHECK(tm_spill_trims(s) > trims && tm_spill_trims(s) < trims + 3);
    /* an array grown in the file; its old copies stay there */
    size_t cap = 0, *arr = NULL;
    for (size_t i = 0; i < 1000; i++) {
        arr = tm_spill_grow(s, arr, i, &cap, sizeof *arr, 4);
        arr[i] = i * 3;
    }
    CHECK(cap >= 1000 && arr[999] == 2997 && arr[0] == 0 && tm_spill_owns(s, arr));
    CHECK(tm_spill_for(s, TM_SPILL_SMALL) == s && tm_spill_for(s, TM_SPILL_SMALL - 1) == NULL);
    tm_spill_release(s, arr, cap * sizeof *arr); /* not freed: the file's */
    size_t hcap = 0, *harr = tm_spill_grow(NULL, NULL, 0, &hcap, sizeof *harr, 4); /* no spill: the heap */
    CHECK(hcap == 4 && !tm_spill_owns(s, harr));
    tm_spill_release(NULL, harr, hcap * sizeof *harr);
    tm_arena a;
    tm_arena_init(&a);
    char *h = tm_arena_alloc(&a, 100); /* a heap block first */
    tm_arena_use_spill(&a, s);
    char *d = tm_arena_alloc(&a, 3u << 20); /* then blocks on disk */
    memset(d, 7, 3u << 20);
    memset(h, 1, 100);
    CHECK(d[0] == 7 && d[(3u << 20) - 1] == 7 && h[99] == 1);
    tm_arena_free(&a); /* frees the heap block only */
    tm_spill_free(s);
}

/* A read of the store maps 64 KiB around it, not a 2 MiB folio of the
 * page cache: the spill makes its file's folios small before mapping them
 * (on Linux 6.x with ext4, without that a read mapped 1.8 MiB on average
 * and a pass over the store at random outran the budget). */
static void test_spill_fault_size(void)
{
    tm_spill *s = tm_spill_new(".", 0);
    CHECK(s != NULL);
    if (!s)
        return;
    enum { MB = 1 << 20, N = 128 };
    unsigned char *p = tm_spill_alloc(s, (size_t)N * MB);
    for (size_t i = 0; i < (size_t)N * MB; i += 4096) /* written in order, as the store is */
        p[i] = (unsigned char)(i >> 12);
    tm_spill_trim_to(s, 0);
    size_t before = tm_rss_bytes();
    const volatile unsigned char *q = p;
    for (size_t i = 0; i < N / 2; i++) /* one byte every 2 MiB */
        (void)q[i * 2 * MB + MB / 2 + 4096];
    size_t after = tm_rss_bytes();
    size_t grew = after > before ? after - before : 0;
    CHECK(grew < 16u * MB); /* 64 reads: 64 KiB each around the page, 4 MiB */
    if (grew >= 16u * MB)
        fprintf(stderr, "64 reads of the spill mapped %zu KiB\n", grew >> 10);
    tm_spill_free(s);
}

/* Released room is handed out again, zeroed, before the file grows: most
 * of what a scan puts in the spill is released (grown arrays' old copies,
 * sorts' second arrays), and new pages are what the file costs. */
static void test_spill_reuse(void)
{
    enum { MB = 1 << 20 };
    tm_spill *s = tm_spill_new(".", 0);
    CHECK(s != NULL);
    if (!s)
        return;
    size_t cap = 0;
    unsigned char *a = NULL;
    for (size_t n = 0; n < 4 * (size_t)MB; n += 4096) { /* grown by doubling: 1 and 2 MiB copies released */
        a = tm_spill_grow(s, a, n, &cap, 1, MB);
        a[n] = 0xa5;
    }
    unsigned char *keep = tm_spill_alloc(s, 2 * (size_t)MB);
    memset(keep, 7, 2 * (size_t)MB);
    size_t file = tm_spill_file_size(s), used = tm_spill_used(s);
    tm_spill_release(s, a, cap);
    unsigned char *b = tm_spill_alloc(s, 3 * (size_t)MB); /* fits in the 7 MiB released */
    CHECK(b + 3 * (size_t)MB <= keep || b >= keep + 2 * (size_t)MB);
    CHECK(tm_spill_reused(s) >= 3 * (size_t)MB && tm_spill_used(s) == used + 3 * (size_t)MB);
    CHECK(tm_spill_file_size(s) == file);
    size_t nonzero = 0;
    for (size_t i = 0; i < 3 * (size_t)MB; i++)
        nonzero += b[i] != 0;
    CHECK(nonzero == 0); /* callers take the room as zeros (tm_view_alloc) */
    CHECK(keep[0] == 7 && keep[2 * MB - 1] == 7); /* what is live is not handed out */
    unsigned char *c = tm_spill_alloc(s, 1024); /* small requests are not served from released room */
    CHECK(c > keep);
    tm_spill_free(s);
}

/* Two threads allocating from one spill (the plugins' threads sort their
 * views with arrays from it) never get the same bytes. */
enum { SPILL_THREAD_BLOCKS = 20000 };
typedef struct {
    tm_spill *s;
    unsigned char id;
    unsigned char *p[SPILL_THREAD_BLOCKS];
} spill_thread;

static void *spill_thread_run(void *arg)
{
    spill_thread *t = arg;
    for (size_t i = 0; i < SPILL_THREAD_BLOCKS; i++) {
        t->p[i] = tm_spill_alloc(t->s, 48);
        if (t->p[i])
            memset(t->p[i], t->id, 48);
    }
    return NULL;
}

/* One budget for the process: a check on one spill gives back the pages of
 * every governed spill (a record store's trim alone could not reach the
 * target while the traces' spill held its pages). */
static void test_spill_one_budget(void)
{
    enum { MB = 1 << 20 };
    tm_spill *store = tm_spill_new(".", 0), *traces = tm_spill_new(".", 0);
    CHECK(store && traces);
    if (!store || !traces)
        return;
    /* the traces' pages well over the heap (large under the sanitizers),
     * so that the target is within the spills' reach */
    size_t heap = tm_rss_bytes(), held = 96 * (size_t)MB + 2 * heap;
    memset(tm_spill_alloc(store, 8 * (size_t)MB), 1, 8 * (size_t)MB);
    memset(tm_spill_alloc(traces, held), 2, held);
    size_t own = tm_rss_bytes();
    /* past the trigger by more than the store holds: whichever check comes
     * first (a governor's thread may), the store's pages alone leave the
     * process over it */
    size_t budget = 2 * (own - 16 * (size_t)MB);
    CHECK(own - 8 * (size_t)MB > TM_SPILL_TRIGGER(budget) && TM_SPILL_TARGET(budget) + 2 * (size_t)MB < own - 8 * (size_t)MB);
    tm_spill_govern(store, budget);
    tm_spill_govern(traces, budget);
    tm_spill_pace(store); /* the store's 8 MiB alone would not do */
    CHECK(tm_rss_bytes() <= TM_SPILL_TARGET(budget) + 2 * (size_t)MB);
    tm_spill_free(traces);
    tm_spill_free(store);
}

/* tm_spill_sort: sorted, stable (equal keys keep their order), whatever
 * the input's runs, with its second array in the spill or on the heap. */
typedef struct {
    uint32_t key;
    uint32_t order;
    char pad[16]; /* an element larger than a word, as the pipeline's are */
} sort_elem;

static int cmp_sort_elem(const void *pa, const void *pb)
{
    const sort_elem *a = pa, *b = pb;
    return a->key < b->key ? -1 : a->key > b->key;
}

static void test_spill_sort(void)
{
    tm_spill *s = tm_spill_new(".", 0);
    CHECK(s != NULL);
    const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 4097, 200000};
    uint32_t seed = 12345;
    for (int with_spill = 0; with_spill < 2; with_spill++)
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
            for (int shape = 0; shape < 5; shape++) {
                size_t n = sizes[si];
                sort_elem *a = malloc((n ? n : 1) * sizeof *a);
                for (size_t i = 0; i < n; i++) {
                    seed = seed * 1103515245u + 12345u;
                    uint32_t r = seed >> 8;
                    uint32_t key = shape == 0   ? r                       /* random */
                                   : shape == 1 ? (uint32_t)i             /* sorted */
                                   : shape == 2 ? (uint32_t)(n - i)       /* reversed */
                                   : shape == 3 ? r % 7                   /* few keys: stability */
                                                : (uint32_t)(i % 1000) + (r % 3 == 0 ? r % 50 : 0); /* runs */
                    a[i] = (sort_elem){key, (uint32_t)i, {0}};
                    a[i].pad[i % 16] = (char)i;
                }
                tm_spill_sort(with_spill ? s : NULL, a, n, sizeof *a, cmp_sort_elem);
                bool ok = true;
                for (size_t i = 1; i < n; i++)
                    if (a[i - 1].key > a[i].key || (a[i - 1].key == a[i].key && a[i - 1].order >= a[i].order))
                        ok = false;
                for (size_t i = 0; i < n; i++) /* each element moved whole */
                    if (a[i].pad[a[i].order % 16] != (char)a[i].order)
                        ok = false;
                if (!ok)
                    fprintf(stderr, "sort: n %zu shape %d spill %d\n", n, shape, with_spill);
                CHECK(ok);
                free(a);
            }
    tm_spill_free(s);
}

static void test_spill_threads(void)
{
    tm_spill *s = tm_spill_new(".", 1u << 20); /* small segments: they are added while the other allocates */
    CHECK(s != NULL);
    if (!s)
        return;
    static spill_thread t[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        t[i].s = s;
        t[i].id = (unsigned char)(i + 1);
        CHECK(pthread_create(&th[i], NULL, spill_thread_run, &t[i]) == 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    bool kept = true;
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < SPILL_THREAD_BLOCKS && kept; k++)
            kept = t[i].p[k] && t[i].p[k][0] == t[i].id && t[i].p[k][47] == t[i].id;
    CHECK(kept);
    CHECK(tm_spill_used(s) == 2u * SPILL_THREAD_BLOCKS * 48);
    tm_spill_free(s);
}

/* The part of this process's resident memory that maps files. */
static size_t file_resident(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0, shared = 0;
    if (f) {
        if (fscanf(f, "%llu %llu %llu", &size, &rss, &shared) != 3)
            shared = 0;
        fclose(f);
    }
    return (size_t)shared * (size_t)sysconf(_SC_PAGESIZE);
}

/* When the heap alone is over the budget's target, the spill keeps an
 * eighth of the budget resident (the passes' working set) instead of
 * giving back everything at every check; and freeing an arena whose blocks
 * are in the spill reads none of them back. */
static void test_spill_heap_over_target(void)
{
    enum { MB = 1 << 20 };
    tm_spill *s = tm_spill_new(".", 0);
    CHECK(s != NULL);
    if (!s)
        return;
    enum { HEAP = 64 }; /* over the target with the sanitizers' own resident memory too */
    char *heap = malloc(HEAP * (size_t)MB);
    memset(heap, 1, HEAP * (size_t)MB);
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_use_spill(&a, s);
    for (int i = 0; i < 96; i++)
        memset(tm_arena_alloc(&a, MB - 64), i + 1, MB - 64); /* 96 blocks of the arena */
    size_t own = tm_rss_bytes(), files = file_resident();
    size_t budget = own + 16 * (size_t)MB;
    CHECK(TM_SPILL_TARGET(budget) < HEAP * (size_t)MB); /* out of the spill's reach */
    CHECK(own > TM_SPILL_TRIGGER(budget));
    size_t trims = tm_spill_trims(s);
    tm_spill_govern(s, budget);
    tm_spill_pace(s);
    size_t kept = file_resident();
    CHECK(kept + 48 * (size_t)MB <= files);                 /* most of it given back */
    CHECK(kept + 16 * (size_t)MB >= files - 96 * (size_t)MB + budget / 8); /* not all: an eighth, to a slice */
    CHECK(tm_spill_trims(s) < trims + tm_spill_file_size(s) / (16 * (size_t)MB)); /* and not every slice walked */
    tm_spill_govern(s, 0);
    tm_spill_trim_to(s, 0);
    size_t before = file_resident();
    tm_arena_free(&a);
    CHECK(file_resident() < before + (size_t)MB); /* no block header read back (each would map 64 KiB) */
    free(heap);
    tm_spill_free(s);
}

/* The budget counts the processes the spill watches (an input's parser
 * workers), and a pass's tm_spill_pace keeps it at once, whether or not the
 * governor's thread has looked yet. */
static void test_spill_budget(void)
{
    enum { MB = 1 << 20 };
    int go[2], ready[2];
    CHECK(pipe(go) == 0 && pipe(ready) == 0);
    pid_t child = fork();
    if (child == 0) { /* a worker holding 32 MiB */
        char *m = malloc(32 * (size_t)MB);
        memset(m, 1, 32 * (size_t)MB);
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
            _exit(1);
        _exit(m[MB] == 1 ? 0 : 1);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(tm_rss_watched_bytes() == 0);
    CHECK(tm_rss_watch(child));
    size_t theirs = tm_rss_watched_bytes();
    CHECK(theirs >= 32 * (size_t)MB);
    tm_spill *s = tm_spill_new(".", 8u << 20);
    CHECK(s != NULL);
    if (s) {
        /* most of this process in the spill: the heap (large under the
         * sanitizers) stays under the target, which the trim can then reach */
        enum { SPILLED = 128 };
        unsigned char *p[SPILLED];
        for (int i = 0; i < SPILLED; i++) {
            p[i] = tm_spill_alloc(s, MB);
            memset(p[i], i + 1, MB);
        }
        size_t own = tm_rss_bytes();
        /* a budget whose trigger this process alone keeps under, but not with the worker */
        size_t budget = (own + theirs / 2) * 2;
        CHECK(own <= TM_SPILL_TRIGGER(budget) && own + theirs > TM_SPILL_TRIGGER(budget));
        tm_spill_govern(s, budget);
        tm_spill_pace(s);
        size_t after = tm_rss_bytes();
        CHECK(after <= TM_SPILL_TARGET(budget - tm_rss_watched_bytes()) + 2 * (size_t)MB); /* the worker's share given up */
        CHECK(after + 16 * (size_t)MB <= own);
        for (int i = 0; i < SPILLED; i++)
            memset(p[i], i + 2, MB); /* all resident again */
        for (int i = 0; i < 256; i++)
            tm_spill_tick(); /* a pass's ticks pace it too */
        /* paced (by the ticks or the governor's thread, which may have
         * trimmed while the pages came back): under the trigger, or past it
         * and brought down to the target */
        size_t now = tm_rss_bytes(), watched = tm_rss_watched_bytes();
        CHECK(now + watched <= TM_SPILL_TRIGGER(budget) || now <= TM_SPILL_TARGET(budget - watched) + 2 * (size_t)MB);
        tm_spill_free(s);
    }
    tm_rss_unwatch(child);
    CHECK(tm_rss_watched_bytes() == 0);
    CHECK(write(go[1], "x", 1) == 1);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
}

/* A buffer with a sink hands its bytes over a megabyte at a time: a large
 * output passes through in order, whole, and the buffer stays small. */
static int collect(void *ctx, const void *p, size_t n)
{
    tm_buf_put(ctx, p, n);
    return 0;
}

static int refuse(void *ctx, const void *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
    return -1;
}

static void test_buf_sink(void)
{
    tm_buf all, b;
    tm_buf_init(&all);
    tm_buf_init(&b);
    tm_buf_sink(&b, collect, &all);
    for (int i = 0; i < 300000; i++)
        tm_buf_printf(&b, "line %d\n", i);
    CHECK(tm_buf_flush(&b) && b.len == 0);
    CHECK(b.cap <= (4u << 20)); /* about 3 MB went through */
    bool same = all.len > (3u << 20);
    size_t at = 0;
    char want[32];
    for (int i = 0; i < 300000 && same; i++) {
        int n = snprintf(want, sizeof want, "line %d\n", i);
        same = at + (size_t)n <= all.len && memcmp(all.data + at, want, (size_t)n) == 0;
        at += (size_t)n;
    }
    CHECK(same && at == all.len);
    tm_buf_free(&b);
    tm_buf_init(&b);
    tm_buf_sink(&b, refuse, NULL);
    for (int i = 0; i < 300000; i++)
        tm_buf_puts(&b, "0123456789");
    CHECK(!tm_buf_flush(&b)); /* a failed hand-over is remembered */
    tm_buf_free(&b);
    tm_buf_free(&all);
}

static void test_message_kind(void)
{
    tm_buf a, b;
    tm_buf_init(&a);
    tm_buf_init(&b);
    tm_message_kind(&a, "record 119 unreadable: token 0x3f at offset 4096");
    tm_message_kind(&b, "record 7 unreadable: token 0xaa at offset 8");
    CHECK_STR(tm_buf_cstr(&a), "record # unreadable: token # at offset #");
    CHECK_STR(tm_buf_cstr(&a), tm_buf_cstr(&b));
    tm_buf_reset(&a);
    tm_message_kind(&a, "EVTX chunk cafe"); /* letters stay letters */
    CHECK_STR(tm_buf_cstr(&a), "EVTX chunk cafe");
    tm_buf_free(&a);
    tm_buf_free(&b);
}

static void test_zone(void)
{
    char err[200], iso[40];
    int64_t t, u;
    CHECK(tm_time_parse_iso("2017-05-10T09:10:00Z", &t));
    CHECK(tm_zone_set("UTC", err, sizeof err));
    tm_zone_iso(t, iso);
    CHECK_STR(iso, "2017-05-10T09:10:00+00:00");
    CHECK(tm_zone_set("+09:00", err, sizeof err));
    tm_zone_iso(t, iso);
    CHECK_STR(iso, "2017-05-10T18:10:00+09:00");
    CHECK(tm_zone_parse("2017-05-10T18:10", false, &u) && u == t); /* read in the zone */
    CHECK(tm_zone_parse("2017-05-10T09:10:00Z", false, &u) && u == t);
    CHECK(tm_zone_parse("2017-05-10T11:10:00+02:00", false, &u) && u == t);
    CHECK(tm_zone_set("-05:30", err, sizeof err));
    tm_zone_short(t, iso);
    CHECK_STR(iso, "2017-05-10 03:40:00");
    tm_zone_iso(INT64_MIN + 1, iso); /* any time prints, the year clamped (was an overflow) */
    CHECK(strncmp(iso, "0000-", 5) == 0);
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0) {
        CHECK(tm_zone_set("Europe/Berlin", err, sizeof err));
        tm_zone_iso(t, iso); /* summer time */
        CHECK_STR(iso, "2017-05-10T11:10:00+02:00");
        tm_local_time lt;
        tm_zone_local(t, &lt);
        CHECK_STR(lt.abbr, "CEST");
        int64_t w;
        CHECK(tm_time_parse_iso("2017-01-10T09:10:00Z", &w));
        tm_zone_iso(w, iso); /* winter time */
        CHECK_STR(iso, "2017-01-10T10:10:00+01:00");
        CHECK(tm_zone_parse("2017-05-10T11:10", false, &u) && u == t);
        /* a date alone: its first microsecond, or its last for an end */
        CHECK(tm_zone_parse("2017-05-10", false, &u) && (tm_zone_iso(u, iso), strcmp(iso, "2017-05-10T00:00:00+02:00") == 0));
        CHECK(tm_zone_parse("2017-05-10", true, &u) && (tm_zone_iso(u, iso), strcmp(iso, "2017-05-10T23:59:59+02:00") == 0));
    }
    CHECK(!tm_zone_set("Mars/Olympus", err, sizeof err) && strstr(err, "unknown time zone"));
    CHECK(!tm_zone_set("../../etc/passwd", err, sizeof err));
    CHECK(!tm_zone_set("+25:00", err, sizeof err) || strcmp(tm_zone_name(), "+25:00") != 0);
    CHECK(!tm_zone_parse("yesterday", false, &u) && !tm_zone_parse("2017-13-01", false, &u) &&
          !tm_zone_parse("2017-05-10T25:00", false, &u) && !tm_zone_parse("2017-05-10T09:10+9", false, &u));
    CHECK(tm_zone_set("UTC", err, sizeof err));
}

int main(void)
{
    test_zone();
    test_message_kind();
    test_spill();
    test_spill_fault_size();
    test_spill_reuse();
    test_spill_budget();
    test_spill_heap_over_target();
    test_spill_threads();
    test_spill_sort();
    test_spill_one_budget();
    test_buf_sink();
    test_terminal();
    test_json();
    test_time();
    test_pathsafe();
    test_rules();
    test_csv();
    return CHECK_DONE();
}
