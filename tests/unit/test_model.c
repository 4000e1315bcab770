/* Unit tests of the shared model: the kind table is complete (a kind
 * without a full row fails here), content signatures recognise renamed
 * files, and the evidence sources all have names. */
#include <stdlib.h>

#include "check.h"
#include "model/evidence.h"
#include "model/kind.h"
#include "model/origin.h"
#include "model/record.h"

static void test_rows(void)
{
    for (int k = 0; k < TM_ART__COUNT; k++) {
        const tm_kind_info *ki = tm_kind((tm_art_kind)k);
        CHECK(ki && ki->kind == (tm_art_kind)k);
        if (!ki)
            continue;
        CHECK(ki->name && *ki->name);
        CHECK(tm_art_kind_from_name(ki->name) == k);
        CHECK(ki->position != TM_POS_NONE && tm_pos_name(ki->position));
        CHECK(!ki->parsed || (ki->time_desc && ki->describe)); /* a parsed kind's records go on timelines */
        CHECK(ki->batch >= 0 && ki->batch <= 2);
        CHECK(ki->feeds < TM_COV__COUNT || ki->feeds == TM_COV__BY_CHANNEL || ki->feeds == TM_COV__NONE);
        /* a parsed kind's records reach the plugins by some rule; an unparsed one has none */
        CHECK(ki->parsed == (ki->keep != TM_KEEP_NONE));
        /* the locator finds it somewhere */
        CHECK(ki->recovered || tm_path_rule_of((tm_art_kind)k) != NULL);
    }
    CHECK(tm_kind(TM_ART__COUNT) == NULL);
    char pos[64];
    tm_pos_text(TM_POS_RECORD_ID, 1234, pos, sizeof pos);
    CHECK_STR(pos, "record id 1234");
    tm_pos_text(TM_POS_KEY_OFFSET, 0x20, pos, sizeof pos);
    CHECK_STR(pos, "key cell at offset 0x20");
    tm_pos_text(TM_POS_NONE, 7, pos, sizeof pos);
    CHECK_STR(pos, "");
    CHECK(tm_pos_name(TM_POS_NONE) == NULL && strcmp(tm_pos_name(TM_POS_LINE), "line") == 0);
    CHECK_STR(tm_art_kind_name(TM_ART__COUNT), "unknown");
    CHECK(tm_art_kind_from_name("nonsense") == -1);
    for (int s = 0; s < TM_COV__COUNT; s++) {
        CHECK(tm_cov_name((tm_cov_source)s)[0] != '?');
        CHECK(tm_cov_key((tm_cov_source)s)[0] != '?');
    }
}

static int sniff(const char *name, const void *head, size_t n, uint64_t size, const char **subtype)
{
    return tm_kind_sniff(name, head, n, size, subtype);
}

static void test_signatures(void)
{
    const char *sub;
    unsigned char b[512] = {0};
    memcpy(b, "ElfFile", 8);
    CHECK(sniff("renamed.bin", b, sizeof b, 69632, &sub) == TM_ART_EVTX && !sub);
    /* magic wins over a name that says otherwise */
    CHECK(sniff("x_history.txt", b, sizeof b, 69632, &sub) == TM_ART_EVTX);
    memset(b, 0, sizeof b);
    memcpy(b, "regf", 4);
    const char *embedded = "\\System32\\Config\\SYSTEM"; /* the tail of the path, as Windows writes it */
    for (size_t i = 0; embedded[i] && 0x30 + 2 * i < 0x70; i++)
        b[0x30 + 2 * i] = (unsigned char)embedded[i];
    CHECK(sniff("hive1", b, sizeof b, 8192, &sub) == TM_ART_REGISTRY);
    CHECK_STR(sub, "SYSTEM");
    memset(b, 0, sizeof b);
    memcpy(b, "regf", 4);
    CHECK(sniff("NTUSER.DAT", b, sizeof b, 8192, &sub) == TM_ART_REGISTRY); /* subtype by name */
    CHECK_STR(sub, "NTUSER");
    memset(b, 0, sizeof b);
    b[0] = 30;
    memcpy(b + 4, "SCCA", 4);
    CHECK(sniff("a.bin", b, sizeof b, 4096, &sub) == TM_ART_PREFETCH);
    memcpy(b, "MAM\x04", 4);
    CHECK(sniff("a.bin", b, sizeof b, 4096, &sub) == TM_ART_PREFETCH);
    memset(b, 0, sizeof b);
    b[2] = 1;
    CHECK(sniff("At1.JOB", b, sizeof b, 0x44, &sub) == TM_ART_ATJOB);
    CHECK(sniff("At1.job", b, sizeof b, 0x43, &sub) == -1); /* too small for a job */
    CHECK(sniff("At1.bin", b, sizeof b, 0x44, &sub) == -1); /* the bytes alone are too weak */
    memset(b, 0, sizeof b);
    CHECK(sniff("ConsoleHost_history.txt", "dir\n", 4, 4, &sub) == TM_ART_PSREADLINE);
    const char *xml = "<?xml version=\"1.0\"?><Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">";
    CHECK(sniff("Updater", xml, strlen(xml), strlen(xml), &sub) == TM_ART_TASK);
    CHECK(sniff("notes.txt", "hello", 5, 5, &sub) == -1);
    CHECK(sniff("empty", "", 0, 0, &sub) == -1);
}

static void test_path_rules(void)
{
    char *user = NULL;
    const tm_path_rule *r = tm_classify_win_path("Windows/System32/winevt/Logs/Security.evtx", &user);
    CHECK(r && r->kind == TM_ART_EVTX && !user);
    r = tm_classify_win_path("Windows/System32/config/SYSTEM.LOG1", &user);
    CHECK(r && r->kind == TM_ART_REGISTRY_LOG && !tm_kind(r->kind)->parsed);
    r = tm_classify_win_path("Users/bob/NTUSER.DAT", &user);
    CHECK(r && r->kind == TM_ART_REGISTRY && user && strcmp(user, "bob") == 0);
    free(user);
    r = tm_classify_win_path("$Extend/$UsnJrnl", &user);
    CHECK(r && r->kind == TM_ART_USN && r->stream && strcmp(r->stream, "$J") == 0);
    CHECK(tm_classify_win_path("Windows/notepad.exe", &user) == NULL);
}

/* Origins as the outputs write them (docs/traces.md). */
static void test_origins(void)
{
    char t[TM_ORIGIN_TEXT_MAX];
    tm_origin o = {0};
    tm_origin_text(&o, t, sizeof t);
    CHECK(strcmp(t, "live") == 0 && !tm_origin_recovered(&o));
    o = (tm_origin){.type = TM_ORIGIN_CARVED, .offset = 1234567};
    tm_origin_text(&o, t, sizeof t);
    CHECK(strcmp(t, "carved:1234567") == 0 && tm_origin_recovered(&o));
    o = (tm_origin){.type = TM_ORIGIN_DELETED};
    tm_origin_text(&o, t, sizeof t);
    CHECK(strcmp(t, "deleted-file") == 0);
    o = (tm_origin){.type = TM_ORIGIN_VSS, .store = "{3808876b-c176-4e48-b7ae-04046e6cc752}",
                    .store_time = 1494410400000000};
    tm_origin_text(&o, t, sizeof t);
    CHECK(strncmp(t, "vss:{3808876b-c176-4e48-b7ae-04046e6cc752}:2017-05-10T10:00:00", 62) == 0);
}

int main(void)
{
    test_origins();
    test_rows();
    test_signatures();
    test_path_rules();
    return CHECK_DONE();
}
