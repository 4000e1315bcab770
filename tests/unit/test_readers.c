/* Unit tests of the hand-written parsing pieces: USN record checks,
 * PSReadLine line joining, the PolAdtEv decoder, LZXPRESS Huffman (and the
 * Prefetch reader's use of it), UTF-16, the EVTX subscription lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "check.h"
#include "readers/evtx_want.h"
#include "readers/lzxpress.h"
#include "readers/psreadline.h"
#include "readers/reader.h"
#include "readers/registry_int.h"
#include "readers/usn.h"
#include "util/yal_message.h"
#include "util/utf16.h"
#include "model/record.h"

static void test_usn(void)
{
    char r[64];
    tm_usn_reason_string(0x80000102, r, sizeof r);
    CHECK_STR(r, "DATA_EXTEND|FILE_CREATE|CLOSE");
    tm_usn_reason_string(0x01000000, r, sizeof r);
    CHECK_STR(r, "0x1000000");
    uint8_t rec[88] = {0};
    rec[0] = 80; /* length */
    rec[4] = 2;  /* major */
    /* timestamp 2017-04-28 (FILETIME 131378560230000000) at 32 */
    uint64_t ft = 131378560230000000ULL;
    for (int i = 0; i < 8; i++)
        rec[32 + i] = (uint8_t)(ft >> (8 * i));
    rec[56] = 16; /* name length: 60 + 16 bytes, rounded up to 8: 80 */
    rec[58] = 60; /* name offset */
    uint32_t len;
    unsigned ver;
    CHECK(tm_usn_check(rec, sizeof rec, &len, &ver) == 1 && len == 80 && ver == 2);
    CHECK(tm_usn_check(rec, 40, &len, &ver) == 0); /* needs more bytes */
    rec[0] = 88;
    CHECK(tm_usn_check(rec, sizeof rec, &len, &ver) == 2 && len == 80); /* a length past its name: damaged */
    rec[0] = 80;
    rec[58] = 64;
    CHECK(tm_usn_check(rec, sizeof rec, &len, &ver) == -1); /* bad name offset */
    rec[58] = 60;
    rec[0] = 81;
    CHECK(tm_usn_check(rec, sizeof rec, &len, &ver) == -1); /* not 8-aligned */
    rec[0] = 80;
    rec[39] = 0x7F; /* a time far in the future */
    CHECK(tm_usn_check(rec, sizeof rec, &len, &ver) == -1);
}

static unsigned join(const char *const *lines, size_t n, char out[][128])
{
    tm_psrl p;
    tm_psrl_init(&p);
    unsigned k = 0;
    for (size_t i = 0; i < n; i++)
        if (tm_psrl_line(&p, lines[i], strlen(lines[i]), i + 1, false)) {
            snprintf(out[k++], 128, "%.*s", (int)p.cmd.len, p.cmd.data);
            p.nlines = 0;
        }
    tm_psrl_free(&p);
    return k;
}

static void test_psreadline(void)
{
    char out[8][128];
    /* PSReadLine writes a line break inside a command as backtick + newline */
    const char *a[] = {"dir `", "  -Force", "whoami"};
    CHECK(join(a, 3, out) == 2);
    CHECK_STR(out[0], "dir \n  -Force");
    CHECK_STR(out[1], "whoami");
    const char *b[] = {"if ($x) {`", "  '}' # }`", "}", "ls |`", "  sort"};
    CHECK(join(b, 5, out) == 2);
    CHECK_STR(out[0], "if ($x) {\n  '}' # }\n}");
    CHECK_STR(out[1], "ls |\n  sort");
    /* an open quote, brace or pipe without the backtick does not swallow
     * the lines after it (a stray "(" from invalid UTF-8, a cut line) */
    const char *c[] = {"echo \"unterminated (", "net use \\\\10.0.0.9\\c$", "wevtutil cl Security"};
    CHECK(join(c, 3, out) == 3);
    CHECK_STR(out[1], "net use \\\\10.0.0.9\\c$");
    /* a command ending in an escaped backtick: PSReadLine wrote "``" */
    const char *d[] = {"echo ``", "next"};
    CHECK(join(d, 2, out) == 1);
    CHECK_STR(out[0], "echo `\nnext");
    /* a line cut for length ends its command even if it ends in a backtick */
    tm_psrl p;
    tm_psrl_init(&p);
    CHECK(tm_psrl_line(&p, "long`", 5, 1, true) && p.truncated);
    p.nlines = 0;
    CHECK(tm_psrl_line(&p, "whoami", 6, 2, false) && !p.truncated);
    tm_psrl_free(&p);
}

static void test_poladtev(void)
{
    /* 9 categories; System has 5 subcategories, others none; System's
     * "Security State Change" Success, "System Integrity" Failure. */
    uint8_t d[12 + 10 + 18] = {0};
    d[4] = 9;
    d[8] = 22;
    d[12] = 1;
    d[16] = 2;
    d[22] = 5;
    tm_buf b;
    tm_buf_init(&b);
    tm_fields_enc e;
    tm_fields_begin(&e, &b);
    CHECK(tm_reg_decode_poladtev(d, sizeof d, &e) == 5);
    tm_fields_end(&e);
    tm_fields_scratch s = {0};
    size_t nf, used;
    CHECK(tm_fields_decode((const uint8_t *)b.data, b.len, &s, &nf, &used) && nf == 5);
    const tm_field *f = tm_field_get(s.fields, nf, "System/Security State Change");
    CHECK(f && strcmp(f->v.str.s, "Success") == 0);
    f = tm_field_get(s.fields, nf, "System/System Integrity");
    CHECK(f && strcmp(f->v.str.s, "Failure") == 0);
    tm_fields_scratch_free(&s);
    tm_buf_reset(&b);
    tm_fields_begin(&e, &b);
    d[8] = 200; /* footer beyond the data */
    CHECK(tm_reg_decode_poladtev(d, sizeof d, &e) == -1);
    tm_buf_free(&b);
}

static void test_lzxpress(void)
{
    /* "hello world!" as 8-bit literal codes (tests/fuzz/corpus/lzxpress). */
    uint8_t m[8 + 256 + 16] = {'M', 'A', 'M', 4, 12, 0, 0, 0};
    memset(m + 8, 0x88, 128);
    const char *plain = "hello world!";
    for (int i = 0; i < 12; i += 2) {
        m[8 + 256 + i] = (uint8_t)plain[i + 1];
        m[8 + 256 + i + 1] = (uint8_t)plain[i];
    }
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK(tm_mam_decompress(m, sizeof m, &out, &n) == 0 && n == 12 && memcmp(out, plain, 12) == 0);
    free(out);
    m[3] = 3; /* another method */
    CHECK(tm_mam_decompress(m, sizeof m, &out, &n) == -2);
    m[3] = 4;
    CHECK(tm_mam_decompress(m, 100, &out, &n) == -1); /* truncated table */
}

static void discard_frames(tm_emit *e)
{
    e->out.len = 0;
}

/* A compressed Prefetch file whose plain data is one byte: the reader must
 * not look for a header in it (found by fuzz_prefetch: a 3-byte read past
 * the end; tests/fuzz/corpus/prefetch/plain-one-byte.mam). */
static void test_prefetch_short_mam(void)
{
    uint8_t m[8 + 256 + 16] = {'M', 'A', 'M', 4, 1, 0, 0, 0};
    memset(m + 8, 0x88, 128);
    m[8 + 256] = 'e';
    m[8 + 256 + 1] = 'h';
    tm_source *src = tm_source_mem(m, sizeof m);
    tm_emit emit = {0};
    tm_buf_init(&emit.out);
    emit.flush = discard_frames;
    tm_job job = {.kind = TM_ART_PREFETCH, .path = "x.pf", .name = "x.pf", .size = sizeof m};
    tm_read_stats st;
    tm_read_stats_init(&st);
    CHECK(tm_reader_for(TM_ART_PREFETCH)->run(&job, src, &emit, &st) == -1);
    CHECK(emit.problems == 1 && st.records == 0);
    tm_buf_free(&emit.out);
    tm_source_close(src);
}

static void test_utf16(void)
{
    const uint8_t s[] = {'A', 0, 0xE9, 0, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8, 'x', 0};
    char out[32];
    tm_utf16le_to_utf8(s, 6, out, sizeof out);
    CHECK_STR(out, "A\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDx"); /* lone surrogate -> U+FFFD */
    tm_utf16le_to_utf8(s, 6, out, 4);
    CHECK_STR(out, "A\xC3\xA9"); /* whole characters only */
}

/* Every kind the model says is parsed has its reader in the table, and no
 * other kind has one. */
static void test_reader_table(void)
{
    for (int k = 0; k < TM_ART__COUNT; k++) {
        const tm_reader *rd = tm_reader_for((tm_art_kind)k);
        CHECK((rd != NULL) == tm_kind((tm_art_kind)k)->parsed);
        CHECK(!rd || (rd->kind == (tm_art_kind)k && rd->run));
    }
}

/* libyal backtraces become the deepest cause in words. */
static void test_yal_message(void)
{
    char m[128] = "libfwevt_xml_document_read_element: invalid binary XML token: 0x3f.\n"
                  "libevtx_record_read_xml: unable to read XML document.\n";
    tm_yal_message(m, sizeof m);
    CHECK_STR(m, "invalid binary XML token: 0x3f");
    char e[64] = "";
    tm_yal_message(e, sizeof e);
    CHECK_STR(e, "the library gave no reason");
    char k[64] = "mismatch in header (0x1 != 0x2).";
    tm_yal_message(k, sizeof k);
    CHECK_STR(k, "mismatch in header (0x1 != 0x2)");
}

/* ---- the EVTX subscription: the lookup answers as the linear test over
 * the lines (kept here as the reference) did ---- */
typedef struct {
    char channel[256];
    bool any_channel, any_id;
    uint32_t id;
} ref_line;

static size_t ref_parse(const char *want, ref_line *w, size_t cap)
{
    size_t n = 0;
    for (const char *p = want; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *tab = memchr(p, '\t', len);
        if (tab && n < cap) {
            ref_line *x = &w[n++];
            snprintf(x->channel, sizeof x->channel, "%.*s", (int)(tab - p), p);
            x->any_channel = strcmp(x->channel, "*") == 0;
            x->any_id = tab[1] == '*';
            x->id = (uint32_t)strtoul(tab + 1, NULL, 10);
        }
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

static bool ref_wanted(const ref_line *w, size_t n, uint32_t id, const char *channel)
{
    for (size_t i = 0; i < n; i++)
        if ((w[i].any_id || w[i].id == id) && (w[i].any_channel || strcasecmp(w[i].channel, channel) == 0))
            return true;
    return false;
}

/* Both answers for every query; returns how many were "wanted". */
static size_t same_answers(const char *want, const uint32_t *ids, size_t nid, const char *const *chans, size_t nch)
{
    static ref_line ref[4096];
    size_t nref = ref_parse(want, ref, sizeof ref / sizeof *ref), yes = 0;
    tm_evtx_want *w = tm_evtx_want_parse(want);
    for (size_t i = 0; i < nid; i++)
        for (size_t k = 0; k < nch; k++) {
            bool a = ref_wanted(ref, nref, ids[i], chans[k]), b = tm_evtx_wanted(w, ids[i], chans[k]);
            if (a != b) {
                fprintf(stderr, "subscription differs for (%s, %u): %d, want %d\n", chans[k], ids[i], b, a);
                check_failures++;
            }
            yes += b;
        }
    tm_evtx_want_free(w);
    return yes;
}

static void test_evtx_want(void)
{
    char longch[301];
    memset(longch, 'L', 300);
    longch[300] = '\0';
    char longwant[400];
    snprintf(longwant, sizeof longwant, "%s\t7\n", longch);
    const char *const chans[] = {"Security", "SECURITY", "security", "System", "Microsoft-Windows-Sysmon/Operational",
                                        "microsoft-windows-sysmon/operational", "", "*", "Secu", "Security ",
                                        "Application", longch, "\xc3\x89v\xc3\xa9nement", "\xc3\xa9v\xc3\xa9nement"};
    static const uint32_t ids[] = {0, 1, 7, 12, 4624, 4688, 4294967295u, 5145, 99999};
    size_t nc = sizeof chans / sizeof *chans, ni = sizeof ids / sizeof *ids;
    /* each line kind, and what the lines have always meant at their edges */
    CHECK(same_answers("Security\t4624\nsecurity\t4688\n", ids, ni, chans, nc) == 6);
    CHECK(same_answers("Microsoft-Windows-Sysmon/Operational\t*\n", ids, ni, chans, nc) == 2 * ni);
    CHECK(same_answers("*\t4624\n", ids, ni, chans, nc) == nc);
    CHECK(same_answers("*\t*\n", ids, ni, chans, nc) == ni * nc);
    CHECK(same_answers("", ids, ni, chans, nc) == 0);
    CHECK(same_answers("no tab here\n\n\t12\nSystem\t-1\nSystem\t12abc", ids, ni, chans, nc) == 3);
    CHECK(same_answers("System\t\n4624 Security\t1", ids, ni, chans, nc) > 0); /* strtoul reads on past the line */
    CHECK(same_answers(longwant, ids, ni, chans, nc) == 0); /* the line's channel is cut to 255 bytes */
    CHECK(same_answers("\xc3\x89v\xc3\xa9nement\t1\nSecurity\t4624\nSecurity\t4624\nSECURITY\t*\n", ids, ni, chans,
                       nc) == 3 * ni + 1);
    /* hundreds of lines, as SigmaHQ's rules give, drawn at random */
    uint64_t r = 42;
    for (int round = 0; round < 20; round++) {
        char *want = malloc(600 * 64);
        size_t k = 0;
        for (int line = 0; line < 600; line++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            const char *ch = chans[(r >> 33) % nc];
            unsigned v = (unsigned)(r >> 20) % 40;
            if (v == 0)
                k += (size_t)sprintf(want + k, "%s\t*\n", ch[0] && strlen(ch) < 40 ? ch : "*");
            else
                k += (size_t)sprintf(want + k, "%s\t%u\n", strlen(ch) < 40 ? ch : "System",
                                      (unsigned)(ids[v % ni] + v / ni));
        }
        want[k] = '\0';
        same_answers(want, ids, ni, chans, nc);
        free(want);
    }
}

int main(void)
{
    test_yal_message();
    test_reader_table();
    test_usn();
    test_psreadline();
    test_poladtev();
    test_lzxpress();
    test_prefetch_short_mam();
    test_utf16();
    test_evtx_want();
    return CHECK_DONE();
}
