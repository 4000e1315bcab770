/* Artifact kinds: one row per kind, in one table (kind.c). Everything that
 * depends on the kind of an artifact or record reads its row: the locator's
 * path rules, the signatures that recognise a renamed file, what a record's
 * position means, which records the pipeline keeps, how the parse jobs are
 * planned, the timeline text of a record, the evidence source its files
 * feed. A kind without a row fails the build (static assertion) and the
 * model's unit test.
 *
 * Adding a kind: an enum value and a row here, a reader in src/readers/ and
 * its line in src/readers/readers.c (docs/architecture.md, "Recipes"). */
#ifndef TM_KIND_H
#define TM_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/evidence.h"

typedef struct tm_record tm_record;

typedef enum {
    TM_ART_EVTX,
    TM_ART_REGISTRY,
    TM_ART_REGISTRY_LOG, /* .LOG1/.LOG2 transaction logs of a hive */
    TM_ART_USN,
    TM_ART_ATJOB,
    TM_ART_TASK,
    TM_ART_PSREADLINE,
    TM_ART_PREFETCH,
    TM_ART_EVTX_CHUNK, /* an EVTX chunk carved from unallocated space, read as a one-chunk log */
    TM_ART__COUNT
} tm_art_kind;

/* Which of a kind's records the pipeline keeps for the plugins. */
typedef enum {
    TM_KEEP_NONE,         /* not parsed on its own: read with another artifact */
    TM_KEEP_BY_EVENT,     /* records whose channel and event id some consumer subscribed to */
    TM_KEEP_BY_FILE_NAME, /* records whose file name some consumer subscribed to */
    TM_KEEP_ALL,          /* every record (few per artifact, or host facts) */
} tm_keep_policy;

/* The subscription a kind's reader takes from the pipeline (so that a worker
 * decodes only what some consumer wants). */
typedef enum {
    TM_WANT_NONE,   /* reads every record */
    TM_WANT_EVENTS, /* "CHANNEL<TAB>EVENT_ID" lines ('*' any) */
    TM_WANT_KEYS,   /* registry key patterns, one per line */
} tm_want_kind;

/* Bytes at an offset of a file's first 512 bytes. */
typedef struct {
    uint32_t offset;
    uint32_t len; /* 0: no magic */
    const char *bytes;
} tm_magic;

/* How a file of the kind is recognised by content when no path rule names it
 * (folder inputs: collected files are often renamed). Kinds are tried in
 * tiers: first those with magic bytes, then those known by name alone, then
 * those with a content test, each tier in table order. */
typedef struct {
    tm_magic magic[2];     /* any one of them */
    const char *name_glob; /* with magic: the name must match as well; alone: the name tells */
    uint64_t min_size;
    bool (*test)(const unsigned char *head, size_t n);
    /* the subtype (hive name) the header gives, or NULL */
    const char *(*subtype)(const unsigned char *head, size_t n, const char *name);
} tm_signature;

/* What a position inside an artifact is: of a record (the kind row says
 * which) or of a problem (the reader says which). */
typedef enum {
    TM_POS_NONE,         /* the artifact as a whole */
    TM_POS_RECORD_ID,    /* event record id */
    TM_POS_RECORD_INDEX, /* the n-th record (libevtx's index) */
    TM_POS_OFFSET,       /* byte offset in the file */
    TM_POS_KEY_OFFSET,   /* offset of a registry key cell */
    TM_POS_USN,          /* update sequence number */
    TM_POS_LINE,         /* line number */
    TM_POS__COUNT
} tm_pos_kind;
/* "record_id", "offset" ... (JSON); NULL for none. */
const char *tm_pos_name(tm_pos_kind k);
/* "record id 1234", "byte offset 4096", "line 12" ... ("" for none). */
void tm_pos_text(tm_pos_kind k, uint64_t pos, char *out, size_t n);

typedef struct {
    tm_art_kind kind;
    const char *name; /* "evtx": in outputs, --kind, messages */
    tm_signature signature;
    tm_pos_kind position; /* what a record's position is */
    tm_keep_policy keep;
    tm_want_kind want;
    bool parsed;          /* has a reader of its own (else read with another artifact) */
    int batch;            /* parse order: 0 first (hives: time zone, computer name), 1 (journals), 2 */
    bool split;           /* a large artifact is read in record ranges by several workers */
    bool timed_by_journal; /* a record's time comes from the journal's writes of the file, counted
                            * from its end (PSReadLine has no times of its own) */
    tm_cov_source feeds;  /* the evidence source its files count towards */
    bool recovered;       /* found by recovery (docs/recovery.md), never by a path rule */
    /* What the pipeline keeps of its records for the plugins besides the
     * event data: NULL keeps every field (docs/architecture.md: what a
     * plugin may read of a kept record). */
    const char *const *kept_fields;
    const char *time_desc; /* the timeline's timestamp_desc for its records (--all-events); parsed kinds only */
    /* One line for the timeline (--all-events); parsed kinds only. */
    void (*describe)(const tm_record *r, char *out, size_t n);
} tm_kind_info;

/* The row of a kind (NULL for a value outside the enum). */
const tm_kind_info *tm_kind(tm_art_kind k);
/* "evtx", "registry", "registry-log", "usn", "atjob", "task", "psreadline",
 * "prefetch"; "unknown" outside the enum. */
const char *tm_art_kind_name(tm_art_kind k);
/* Returns -1 for an unknown name. */
int tm_art_kind_from_name(const char *name);

/* The kind a file's content says, and its subtype (or NULL): -1 when none. */
int tm_kind_sniff(const char *name, const unsigned char *head, size_t n, uint64_t size, const char **subtype);

/* The locator's path rules, shared by the image locator (which opens the
 * known directories directly, in this order) and the folder input (which
 * classifies every file it walks). dir may contain '*' components (any one
 * directory). */
typedef struct {
    tm_art_kind kind;
    const char *subtype;
    const char *dir;
    const char *name;   /* glob with '*' and '?' */
    bool recursive;     /* name matches files anywhere below dir */
    const char *stream; /* named stream to take instead of the unnamed $DATA */
    int user_component; /* index of the '*' dir component naming the user, or -1 */
} tm_path_rule;

extern const tm_path_rule tm_path_rules[];
extern const size_t tm_path_rules_count;

/* Matches a Windows path (relative to a volume root, '/'-separated) against
 * the rules. Returns the rule or NULL; *user gets a malloc'd user name for
 * per-user rules (else NULL). */
const tm_path_rule *tm_classify_win_path(const char *win_path, char **user);
/* The first rule of a kind (NULL when it has none). */
const tm_path_rule *tm_path_rule_of(tm_art_kind k);

#endif
