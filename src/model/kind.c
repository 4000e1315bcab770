/* The kind table: one row per artifact kind (model/kind.h). */
#include "model/kind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/record.h"
#include "util/buf.h"
#include "util/pathsafe.h"

/* ---- signatures ---------------------------------------------------------- */

/* Hive subtype from the base block's embedded file name (offset 0x30, 64
 * bytes of UTF-16LE: the tail of the hive's path), else from the file name. */
static const char *hive_subtype(const unsigned char *hdr, size_t n, const char *name)
{
    static const struct {
        const char *needle, *subtype;
    } map[] = {{"ntuser.dat", "NTUSER"}, {"usrclass.dat", "USRCLASS"}, {"amcache.hve", "AMCACHE"},
               {"\\system", "SYSTEM"},   {"\\software", "SOFTWARE"},   {"\\sam", "SAM"},
               {"\\security", "SECURITY"}};
    char ascii[40] = {0};
    if (n >= 0x70) {
        size_t k = 0;
        for (size_t i = 0x30; i + 1 < 0x70 && k + 1 < sizeof ascii; i += 2) {
            unsigned c = hdr[i] | (unsigned)hdr[i + 1] << 8;
            if (c == 0)
                break;
            ascii[k++] = (char)(c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : '?');
        }
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *needle = map[i].needle;
        size_t ln = strlen(needle), la = strlen(ascii);
        if (needle[0] == '\\') {
            if (la >= ln && strcmp(ascii + la - ln, needle) == 0)
                return map[i].subtype;
        } else if (strstr(ascii, needle)) {
            return map[i].subtype;
        }
    }
    static const struct {
        const char *name, *subtype;
    } names[] = {{"NTUSER.DAT", "NTUSER"}, {"UsrClass.dat", "USRCLASS"}, {"Amcache.hve", "AMCACHE"},
                 {"SYSTEM", "SYSTEM"},       {"SOFTWARE", "SOFTWARE"},       {"SAM", "SAM"},
                 {"SECURITY", "SECURITY"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (tm_ieq(name, names[i].name))
            return names[i].subtype;
    return NULL;
}

static bool looks_like_task_xml(const unsigned char *b, size_t n)
{
    /* Task XML is UTF-16LE with BOM on disk; collections sometimes convert it. */
    char a[512];
    size_t k = 0;
    bool utf16 = n >= 2 && b[0] == 0xFF && b[1] == 0xFE;
    for (size_t i = utf16 ? 2 : 0; i < n && k + 1 < sizeof a; i += utf16 ? 2 : 1)
        a[k++] = (char)b[i];
    a[k] = '\0';
    return strstr(a, "<Task") && strstr(a, "schemas.microsoft.com/windows/2004/02/mit/task");
}

/* ---- timeline lines (--all-events) ------------------------------------------ */

static void describe_event(const tm_record *r, char *out, size_t n)
{
    char s[600] = "";
    tm_event_summary(r, s, sizeof s);
    snprintf(out, n, "%s %u: %s", tm_channel(r), tm_event_id(r), s);
}

static void describe_usn(const tm_record *r, char *out, size_t n)
{
    snprintf(out, n, "%s: %s", tm_str(r, "file_name"), tm_str(r, "reasons"));
}

static void describe_key(const tm_record *r, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", tm_str(r, "key"), *tm_str(r, "fact") ? " fact " : "", tm_str(r, "fact"));
}

static void describe_prefetch(const tm_record *r, char *out, size_t n)
{
    snprintf(out, n, "%s ran", tm_str(r, "executable"));
}

static void describe_history(const tm_record *r, char *out, size_t n)
{
    snprintf(out, n, "%s", tm_str(r, "command"));
}

static void describe_action(const tm_record *r, char *out, size_t n)
{
    snprintf(out, n, "%s", tm_str(r, "command_line"));
}

/* ---- the rows ------------------------------------------------------------------ */

/* The header fields of an event that plugins and the executions read; the
 * rest (levels, keywords, task, thread, GUIDs, offsets) are for dump and
 * events.jsonl, which print records as they arrive. */
static const char *const event_fields_kept[] = {"event_id", "channel", "provider", "user_sid", "computer", NULL};

static const tm_kind_info kinds[] = {
    [TM_ART_EVTX] = {.kind = TM_ART_EVTX, .name = "evtx",
                     .signature = {.magic = {{0, 8, "ElfFile\0"}}},
                     .position = TM_POS_RECORD_ID, .keep = TM_KEEP_BY_EVENT, .want = TM_WANT_EVENTS, .parsed = true,
                     .batch = 2, .split = true, .feeds = TM_COV__BY_CHANNEL, .kept_fields = event_fields_kept,
                     .time_desc = "Event written", .describe = describe_event},
    [TM_ART_REGISTRY] = {.kind = TM_ART_REGISTRY, .name = "registry",
                         .signature = {.magic = {{0, 4, "regf"}}, .subtype = hive_subtype},
                         .position = TM_POS_KEY_OFFSET, .keep = TM_KEEP_ALL, .want = TM_WANT_KEYS, .parsed = true,
                         .batch = 0, .feeds = TM_COV_REGISTRY,
                         .time_desc = "Key last written", .describe = describe_key},
    /* located beside their hive, not parsed: the hive reader reads the hive as it is */
    [TM_ART_REGISTRY_LOG] = {.kind = TM_ART_REGISTRY_LOG, .name = "registry-log",
                             .position = TM_POS_OFFSET, .keep = TM_KEEP_NONE, .want = TM_WANT_NONE, .parsed = false,
                             .batch = 2, .feeds = TM_COV__NONE},
    [TM_ART_USN] = {.kind = TM_ART_USN, .name = "usn",
                    .position = TM_POS_USN, .keep = TM_KEEP_BY_FILE_NAME, .want = TM_WANT_NONE, .parsed = true,
                    .batch = 1, .feeds = TM_COV_USN,
                    .time_desc = "USN journal entry", .describe = describe_usn},
    [TM_ART_ATJOB] = {.kind = TM_ART_ATJOB, .name = "atjob",
                      .signature = {.magic = {{2, 2, "\x01\x00"}}, .name_glob = "*.job", .min_size = 0x44},
                      .position = TM_POS_OFFSET, .keep = TM_KEEP_ALL, .want = TM_WANT_NONE, .parsed = true,
                      .batch = 2, .feeds = TM_COV_TASKFILES,
                      .time_desc = "Scheduled task or at-job", .describe = describe_action},
    [TM_ART_TASK] = {.kind = TM_ART_TASK, .name = "task",
                     .signature = {.test = looks_like_task_xml},
                     .position = TM_POS_OFFSET, .keep = TM_KEEP_ALL, .want = TM_WANT_NONE, .parsed = true,
                     .batch = 2, .feeds = TM_COV_TASKFILES,
                     .time_desc = "Scheduled task or at-job", .describe = describe_action},
    [TM_ART_PSREADLINE] = {.kind = TM_ART_PSREADLINE, .name = "psreadline",
                           .signature = {.name_glob = "*_history.txt"},
                           .position = TM_POS_LINE, .keep = TM_KEEP_ALL, .want = TM_WANT_NONE, .parsed = true,
                           .batch = 2, .timed_by_journal = true, .feeds = TM_COV_HISTORY,
                           .time_desc = "Typed before (PSReadLine history last written)", .describe = describe_history},
    [TM_ART_PREFETCH] = {.kind = TM_ART_PREFETCH, .name = "prefetch",
                         .signature = {.magic = {{4, 4, "SCCA"}, {0, 4, "MAM\x04"}}},
                         .position = TM_POS_OFFSET, .keep = TM_KEEP_ALL, .want = TM_WANT_NONE, .parsed = true,
                         .batch = 2, .feeds = TM_COV_PREFETCH,
                         .time_desc = "Last run (Prefetch)", .describe = describe_prefetch},
    /* records are event records (kind evtx), read by the EVTX reader; they
     * count towards no log's window: the coverage verdict says what they
     * recovered */
    [TM_ART_EVTX_CHUNK] = {.kind = TM_ART_EVTX_CHUNK, .name = "evtx-chunk",
                           .position = TM_POS_RECORD_ID, .keep = TM_KEEP_BY_EVENT, .want = TM_WANT_EVENTS,
                           .parsed = true, .batch = 2, .feeds = TM_COV__NONE, .recovered = true,
                           .kept_fields = event_fields_kept, .time_desc = "Event written (carved chunk)",
                           .describe = describe_event},
};
_Static_assert(sizeof kinds / sizeof kinds[0] == TM_ART__COUNT, "every artifact kind needs a row in kinds[]");

const tm_kind_info *tm_kind(tm_art_kind k)
{
    return (unsigned)k < TM_ART__COUNT ? &kinds[k] : NULL;
}

const char *tm_art_kind_name(tm_art_kind k)
{
    return (unsigned)k < TM_ART__COUNT ? kinds[k].name : "unknown";
}

const char *tm_pos_name(tm_pos_kind k)
{
    static const char *const names[TM_POS__COUNT] = {NULL, "record_id", "record_index", "offset", "key_offset",
                                                     "usn", "line"};
    return (unsigned)k < TM_POS__COUNT ? names[k] : NULL;
}

void tm_pos_text(tm_pos_kind k, uint64_t pos, char *out, size_t n)
{
    unsigned long long v = (unsigned long long)pos;
    switch (k) {
    case TM_POS_RECORD_ID: snprintf(out, n, "record id %llu", v); break;
    case TM_POS_RECORD_INDEX: snprintf(out, n, "record %llu (by index)", v); break;
    case TM_POS_OFFSET: snprintf(out, n, "byte offset %llu", v); break;
    case TM_POS_KEY_OFFSET: snprintf(out, n, "key cell at offset 0x%llx", v); break;
    case TM_POS_USN: snprintf(out, n, "USN %llu", v); break;
    case TM_POS_LINE: snprintf(out, n, "line %llu", v); break;
    default: snprintf(out, n, "%s", ""); break;
    }
}

int tm_art_kind_from_name(const char *name)
{
    for (int k = 0; k < TM_ART__COUNT; k++)
        if (strcmp(kinds[k].name, name) == 0)
            return k;
    return -1;
}

static bool has_magic(const tm_signature *s, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < sizeof s->magic / sizeof s->magic[0]; i++) {
        const tm_magic *m = &s->magic[i];
        if (m->len && n >= (size_t)m->offset + m->len && memcmp(b + m->offset, m->bytes, m->len) == 0)
            return true;
    }
    return false;
}

int tm_kind_sniff(const char *name, const unsigned char *b, size_t n, uint64_t size, const char **subtype)
{
    *subtype = NULL;
    for (int tier = 0; tier < 3; tier++)
        for (int k = 0; k < TM_ART__COUNT; k++) {
            const tm_signature *s = &kinds[k].signature;
            bool magic = s->magic[0].len != 0;
            bool ok;
            if (tier == 0)
                ok = magic && has_magic(s, b, n) && (!s->name_glob || tm_iglob(s->name_glob, name));
            else if (tier == 1)
                ok = !magic && s->name_glob && tm_iglob(s->name_glob, name);
            else
                ok = !magic && !s->name_glob && s->test && s->test(b, n);
            if (!ok || size < s->min_size)
                continue;
            if (s->subtype)
                *subtype = s->subtype(b, n, name);
            return k;
        }
    return -1;
}

/* ---- path rules ------------------------------------------------------------------ */

#define HIVE(sub, dir, name)                                                                                           \
    {TM_ART_REGISTRY, sub, dir, name, false, NULL, -1}, { TM_ART_REGISTRY_LOG, sub, dir, name ".LOG*", false, NULL, -1 }
#define USER_HIVE(sub, dir, name)                                                                                      \
    {TM_ART_REGISTRY, sub, dir, name, false, NULL, 1}, { TM_ART_REGISTRY_LOG, sub, dir, name ".LOG*", false, NULL, 1 }

const tm_path_rule tm_path_rules[] = {
    {TM_ART_EVTX, NULL, "Windows/System32/winevt/Logs", "*.evtx", false, NULL, -1},
    HIVE("SYSTEM", "Windows/System32/config", "SYSTEM"),
    HIVE("SOFTWARE", "Windows/System32/config", "SOFTWARE"),
    HIVE("SAM", "Windows/System32/config", "SAM"),
    HIVE("SECURITY", "Windows/System32/config", "SECURITY"),
    USER_HIVE("NTUSER", "Users/*", "NTUSER.DAT"),
    USER_HIVE("NTUSER", "Documents and Settings/*", "NTUSER.DAT"),
    USER_HIVE("USRCLASS", "Users/*/AppData/Local/Microsoft/Windows", "UsrClass.dat"),
    HIVE("AMCACHE", "Windows/AppCompat/Programs", "Amcache.hve"),
    {TM_ART_PSREADLINE, NULL, "Users/*/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine", "*_history.txt", false,
     NULL, 1},
    {TM_ART_USN, NULL, "$Extend", "$UsnJrnl", false, "$J", -1},
    {TM_ART_ATJOB, NULL, "Windows/Tasks", "*.job", false, NULL, -1},
    {TM_ART_TASK, NULL, "Windows/System32/Tasks", "*", true, NULL, -1},
    {TM_ART_PREFETCH, NULL, "Windows/Prefetch", "*.pf", false, NULL, -1},
};
const size_t tm_path_rules_count = sizeof tm_path_rules / sizeof tm_path_rules[0];

/* Splits s on '/' into at most max components (pointers into a copy). */
static size_t split_path(char *s, char **parts, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
        parts[n++] = t;
    return n;
}

const tm_path_rule *tm_classify_win_path(const char *win_path, char **user)
{
    enum { MAXC = 64 };
    *user = NULL;
    char *copy = tm_xstrdup(win_path);
    char *parts[MAXC];
    size_t np = split_path(copy, parts, MAXC);
    const tm_path_rule *found = NULL;
    for (size_t r = 0; r < tm_path_rules_count && !found; r++) {
        const tm_path_rule *rule = &tm_path_rules[r];
        char *dcopy = tm_xstrdup(rule->dir);
        char *dparts[MAXC];
        size_t nd = split_path(dcopy, dparts, MAXC);
        bool ok = np > nd && (rule->recursive || np == nd + 1);
        for (size_t i = 0; ok && i < nd; i++)
            ok = tm_iglob(dparts[i], parts[i]);
        if (ok)
            ok = tm_iglob(rule->name, parts[np - 1]);
        if (ok) {
            found = rule;
            if (rule->user_component >= 0 && (size_t)rule->user_component < np)
                *user = tm_xstrdup(parts[rule->user_component]);
        }
        free(dcopy);
    }
    free(copy);
    return found;
}


const tm_path_rule *tm_path_rule_of(tm_art_kind k)
{
    for (size_t i = 0; i < tm_path_rules_count; i++)
        if (tm_path_rules[i].kind == k)
            return &tm_path_rules[i];
    return NULL;
}
