/* Sigma engine internals shared by the loader, the compiler, the matcher
 * and the log-source table (not part of the public API). */
#ifndef TM_SIGMA_INT_H
#define TM_SIGMA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/sigma.h"
#include "util/arena.h"
#include "util/buf.h"

/* Bounds on hostile input. */
#define TM_SIGMA_MAX_DEPTH 64        /* YAML nesting, condition nesting */
#define TM_SIGMA_MAX_VARIANTS 4096   /* values one field test may expand to */
#define TM_SIGMA_MAX_FILE (16u << 20) /* bytes of one rule file */

/* Channel meaning "every channel" (a `product: windows` rule without
 * service or category, e.g. a keyword search over all Windows logs). */
#define TM_SIGMA_ANY_CHANNEL "*"

/* ---- the YAML tree (one document) ---- */
typedef enum { TM_YN_SCALAR, TM_YN_SEQ, TM_YN_MAP } tm_yn_kind;
typedef struct tm_ynode tm_ynode;
struct tm_ynode {
    tm_yn_kind kind;
    bool plain;  /* a plain scalar without a tag (may be null, bool, number) */
    size_t line; /* 1-based */
    const char *s; /* scalar text, NUL-terminated */
    size_t len;
    tm_ynode **items; /* SEQ: n items; MAP: n pairs, items[2i] key, items[2i+1] value */
    size_t n;
};
/* The value of key in a map (the last one when repeated), or NULL. */
const tm_ynode *tm_ynode_get(const tm_ynode *map, const char *key);
/* A plain null scalar (null, Null, NULL, ~ or empty). */
bool tm_ynode_is_null(const tm_ynode *n);

/* ---- compiled values ---- */
/* Pattern tokens: 0..255 a byte (lowercased unless cased), then: */
enum { TM_TOK_STAR = 256, TM_TOK_ANY1, TM_TOK_DASH, TM_TOK_PCT };

typedef struct {
    const uint16_t *t;
    uint32_t n;
    const int32_t *fail; /* KMP failure table, for a segment of bytes only */
    bool special;        /* holds ANY1 or DASH: searched position by position */
} tm_seg;

/* A wildcard pattern: segments between stars. */
typedef struct {
    const tm_seg *segs;
    uint32_t nseg;
    bool lead_star, trail_star;
} tm_glob;

typedef enum {
    TM_TK_GLOB,     /* wildcard string */
    TM_TK_RE,       /* PCRE2 */
    TM_TK_NUM,      /* numeric comparison (lt ... gte, or a time part) */
    TM_TK_CIDR,     /* address in a network */
    TM_TK_EXISTS,   /* field present / absent */
    TM_TK_NULL,     /* absent or empty */
    TM_TK_FIELDREF, /* equal to (starts / ends with) another field */
} tm_tkind;

typedef enum { TM_CMP_EQ, TM_CMP_LT, TM_CMP_LTE, TM_CMP_GT, TM_CMP_GTE } tm_cmp;
typedef enum { TM_TP_NONE, TM_TP_MINUTE, TM_TP_HOUR, TM_TP_DAY, TM_TP_WEEK, TM_TP_MONTH, TM_TP_YEAR } tm_timepart;
typedef enum { TM_REF_EQ, TM_REF_START, TM_REF_END } tm_refmode;

typedef struct {
    tm_glob g;
    void *re; /* pcre2_code * */
    double num;
    uint8_t addr[16];
    int bits;
    bool v6;
    const char *ref;
    int64_t eid; /* the value as an event id (digits only, plain), else -1 */
    bool in_ac;  /* searched by the test's automaton, not on its own */
} tm_sval;

/* An Aho-Corasick automaton (a DFA over byte classes) for the plain
 * `contains` values of one test: one pass over the field finds any. */
typedef struct {
    uint8_t cls[256]; /* byte -> class (case folded unless cased) */
    uint32_t nc, ns;
    const uint16_t *next; /* ns * nc */
    const uint8_t *acc;   /* accepting states */
} tm_ac;

typedef struct {
    const char *field; /* NULL: a keyword test over every value of the event */
    tm_tkind kind;
    tm_cmp cmp;
    tm_timepart tp;
    tm_refmode ref;
    bool all, cased, neq, exists;
    const tm_sval *v;
    size_t nv;
    const tm_ac *ac; /* NULL, or the automaton of the values marked in_ac */
} tm_stest;

typedef struct {
    const tm_stest *tests; /* AND */
    size_t n;
} tm_salt;

typedef struct {
    const char *name;
    const tm_salt *alts; /* OR */
    size_t nalt;
} tm_ssel;

typedef enum { TM_C_SEL, TM_C_AND, TM_C_OR, TM_C_NOT, TM_C_OF } tm_cop;
typedef struct {
    tm_cop op;
    uint32_t sel;          /* SEL */
    const uint32_t *kids;  /* AND, OR, NOT (1): node indexes; OF: selection indexes */
    uint32_t nkids;
    uint32_t count;        /* OF: how many must match; UINT32_MAX = all */
} tm_cnode;

struct tm_sigma_matcher {
    const tm_ssel *sels;
    size_t nsel;
    const tm_cnode *nodes;
    size_t nnode;
    uint32_t root;
    tm_sigma_source *src; /* channel strings are static */
    size_t nsrc;
};

/* ---- compile (sigma_compile.c) ---- */
typedef struct {
    tm_arena *arena;
    /* PCRE2 codes to free with the set */
    void ***codes;
    size_t *ncodes;
    /* placeholders */
    const char *const *ph_names;
    const char *const *const *ph_values;
    const size_t *ph_counts;
    size_t nph;
} tm_sigma_cctx;

typedef enum { TM_COMPILE_OK, TM_COMPILE_ERROR, TM_COMPILE_SKIP } tm_compile_status;
typedef struct {
    tm_compile_status status;
    tm_sigma_skip skip;
    size_t line;
    char msg[256];
} tm_compile_result;

/* Compiles a rule's detection map into m (allocated in the arena). */
tm_sigma_matcher *tm_sigma_compile(tm_sigma_cctx *c, const tm_ynode *detection, tm_compile_result *res);
/* Narrows the log source's pairs by the event ids the detection fixes. */
void tm_sigma_narrow_sources(tm_sigma_matcher *m, tm_arena *a, const tm_sigma_source *ls, size_t nls);

/* ---- log sources (sigma_logsource.c) ---- */
/* The (channel, event id) pairs of a log source, at most max; 0 when the
 * log source is not one toolmark reads. */
size_t tm_sigma_logsource(const char *product, const char *service, const char *category, tm_sigma_source *out,
                          size_t max);
#define TM_SIGMA_MAX_LS 8

/* ---- the literal pre-filter (sigma_prefilter.c) ---- */
/* What each rule of a set needs (a literal of one of its fields, chosen
 * over the whole set), by rule index. */
typedef struct tm_pf_needs tm_pf_needs;
tm_pf_needs *tm_pf_needs_new(tm_sigma_rule *const *rules, size_t n);
void tm_pf_needs_free(tm_pf_needs *x);
/* The pre-filter of one candidate list (positions 0..n-1 of list). */
typedef struct tm_sigma_pf tm_sigma_pf;
tm_sigma_pf *tm_pf_build(const tm_pf_needs *needs, const tm_sigma_rule *const *list, size_t n);
void tm_pf_free(tm_sigma_pf *pf);
size_t tm_pf_bytes(const tm_sigma_pf *pf);
/* Words of the mark bitmap; sets the bits of the positions to test: the
 * rules whose literal occurs in ev and those that need none. */
size_t tm_pf_words(const tm_sigma_pf *pf);
void tm_pf_mark(const tm_sigma_pf *pf, const tm_sigma_event *ev, uint64_t *marks);

/* ---- matching helpers (sigma_match.c) ---- */
bool tm_glob_match(const tm_glob *g, const char *s, size_t n, bool cased);
extern const unsigned char tm_sigma_lower[256];
/* The calling thread's bitmap of at least words words (kept for the next
 * event; freed with the PCRE2 match data). */
uint64_t *tm_sigma_tls_marks(size_t words);
/* Frees the calling thread's PCRE2 match data and bitmap now (made again when needed;
 * other threads' are freed when they end); tm_sigma_set_free calls it. */
void tm_sigma_thread_cleanup(void);

#endif
