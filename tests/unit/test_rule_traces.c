/* Unit tests: Sigma rules in the pipeline (rules/sigma_hook.h,
 * pipeline/rule_traces.h): which events a rule keeps, the traces its hits
 * make (grouping key, bursts, templates, attribution), 4688 read through
 * Sysmon's field names, --min-level, and the same traces whatever order the
 * records arrive in. */
#include <stdlib.h>

#include "check.h"
#include "pipeline/pipeline.h"
#include "rules/sigma_hook.h"
#include "util/buf.h"
#include "util/timeutil.h"

static const char account_rule[] = "title: Account created (test)\n"
                                   "id: 11111111-2222-3333-4444-555555555555\n"
                                   "status: test\n"
                                   "author: toolmark tests\n"
                                   "tags: [attack.persistence, attack.t1136]\n"
                                   "logsource: {product: windows, service: security}\n"
                                   "detection:\n"
                                   "  selection: {EventID: 4720}\n"
                                   "  condition: selection\n"
                                   "level: high\n"
                                   "toolmark:\n"
                                   "  activity: 'account {TargetUserName} created'\n"
                                   "  key: '{TargetUserName}'\n"
                                   "  role: dc\n"
                                   "  tool: net\n"
                                   "  attribution: behaviour\n"
                                   "  confirm: 'yes: 4720 is written when the account exists'\n"
                                   "  cite: '{TargetUserName} created by {SubjectUserName}'\n"
                                   "  user: '{SubjectUserName}'\n"
                                   "  candidates: net, dsadd\n"
                                   "  gap: 60\n"
                                   "  message: 'accounts created by {SubjectUserName}: {$records} ({$count})'\n";

static const char whoami_rule[] = "title: Whoami run (test)\n"
                                  "id: 66666666-7777-8888-9999-000000000000\n"
                                  "logsource: {product: windows, category: process_creation}\n"
                                  "detection:\n"
                                  "  selection: {Image|endswith: '\\whoami.exe'}\n"
                                  "  condition: selection\n"
                                  "level: low\n";

typedef struct {
    const char *channel;
    uint32_t id;
    uint64_t pos;
    const char *time;
    const char *kv[8];
} rec;

static const rec recs[] = {
    {"Security", 4720, 10, "2024-03-01T10:00:00Z", {"TargetUserName", "alice", "SubjectUserName", "adm"}},
    {"Security", 4720, 11, "2024-03-01T10:00:30Z", {"TargetUserName", "alice", "SubjectUserName", "adm2"}},
    {"Security", 4720, 12, "2024-03-01T10:00:10Z", {"TargetUserName", "bob", "SubjectUserName", "adm"}},
    {"Security", 4720, 13, "2024-03-01T12:00:00Z", {"TargetUserName", "alice", "SubjectUserName", "adm"}},
    {"Security", 4688, 14, "2024-03-01T10:05:00Z",
     {"NewProcessName", "C:\\Windows\\System32\\whoami.exe", "CommandLine", "whoami /all", "SubjectUserName", "eve"}},
    {"Microsoft-Windows-Sysmon/Operational", 1, 15, "2024-03-01T10:06:00Z",
     {"Image", "C:\\Windows\\System32\\WHOAMI.EXE", "CommandLine", "whoami", "User", "CORP\\eve"}},
    {"Security", 4721, 16, "2024-03-01T10:07:00Z", {"TargetUserName", "carol"}}, /* no rule, no plugin */
};
#define NRECS (sizeof recs / sizeof recs[0])

static void feed(tm_pipeline *p, const tm_artifact *a, const rec *x)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_fields_enc e;
    int64_t t;
    tm_time_parse_iso(x->time, &t);
    tm_record_begin(&e, &b, TM_ART_EVTX, 0, x->pos, t);
    tm_fenc_uint(&e, "event_id", x->id);
    tm_fenc_str(&e, "channel", x->channel);
    tm_fenc_str(&e, "computer", "DC01");
    for (size_t i = 0; i < 8 && x->kv[i]; i += 2) {
        char k[64];
        snprintf(k, sizeof k, "data.%s", x->kv[i]);
        tm_fenc_str(&e, k, x->kv[i + 1]);
    }
    tm_record_end(&e);
    tm_fields_scratch s = {0};
    tm_record r;
    CHECK(tm_record_decode((const uint8_t *)b.data, b.len, &s, &r));
    tm_pipeline_record(p, a, &r);
    tm_fields_scratch_free(&s);
    tm_buf_free(&b);
}

static tm_sigma_set *load(void)
{
    tm_sigma_set *s = tm_sigma_set_new();
    tm_sigma_report rep = {0};
    tm_sigma_load_text(s, "account.yml", account_rule, sizeof account_rule - 1, &rep);
    tm_sigma_load_text(s, "whoami.yml", whoami_rule, sizeof whoami_rule - 1, &rep);
    CHECK(rep.loaded == 2 && rep.errors == 0);
    tm_sigma_report_free(&rep);
    tm_sigma_set_index(s);
    return s;
}

/* The traces of the records (in this order) as one line each. */
static char *run(const tm_sigma_set *set, tm_sigma_level min, bool reversed, tm_pipeline_stats *st, char **want)
{
    tm_sigma_hook *h = tm_sigma_hook_new(set, min);
    tm_pipeline *p = tm_pipeline_new(NULL, 0);
    tm_pipeline_set_rules(p, tm_sigma_hook_get(h));
    if (want) /* the rules' part of the subscription, which joins the pipeline's */
        *want = tm_xstrdup(tm_sigma_hook_get(h)->want);
    CHECK(strstr(tm_pipeline_want(p, TM_ART_EVTX), tm_sigma_hook_get(h)->want) != NULL);
    tm_artifact a;
    memset(&a, 0, sizeof a);
    a.kind = TM_ART_EVTX;
    a.path = "Windows/System32/winevt/Logs/Security.evtx";
    for (size_t i = 0; i < NRECS; i++)
        feed(p, &a, &recs[reversed ? NRECS - 1 - i : i]);
    *st = tm_pipeline_get_stats(p);
    tm_traces ts;
    tm_traces_init(&ts);
    tm_pipeline_finish(p, &ts);
    tm_buf b;
    tm_buf_init(&b);
    for (size_t i = 0; i < ts.n; i++) {
        const tm_trace *t = &ts.t[i];
        char iso[TM_TIME_ISO_LEN];
        tm_time_iso(t->time, iso);
        tm_buf_printf(&b, "%s|%s|%s|%s|%s|%s|%s|%zu|%s|%s|%s\n", iso, t->activity, t->tool ? t->tool : "-",
                      tm_role_name(t->role), t->user ? t->user : "-", t->command_line ? t->command_line : "-",
                      t->confirmed ? "confirmed" : "indicator", t->nev, t->nev ? t->ev[0].summary : "-",
                      t->rule ? t->rule->level : "-", t->nev && t->ev[0].attributes ? "attributes" : "-");
        CHECK(t->rule != NULL);
        if (t->rule && t->tool) {
            CHECK_STR(t->message, t->nev == 1 ? "accounts created by adm: 1 record (1)" : "accounts created by adm: 2 records (2)");
            CHECK_STR(t->rule->id, "11111111-2222-3333-4444-555555555555");
            CHECK(t->rule->ntags == 2);
            CHECK_STR(t->rule->author, "toolmark tests");
            CHECK(t->ncand == 0); /* attributed: the tool, no candidates */
        }
    }
    char *out = tm_xstrdup(b.len ? tm_buf_cstr(&b) : "");
    tm_buf_free(&b);
    tm_traces_free(&ts);
    tm_pipeline_free(p);
    tm_sigma_hook_free(h);
    return out;
}

int main(void)
{
    tm_sigma_set *set = load();
    tm_pipeline_stats st;
    char *want = NULL;
    char *fwd = run(set, TM_SIGMA_INFORMATIONAL, false, &st, &want);
    /* the rules' sources join the workers' subscription */
    CHECK(strstr(want, "Security\t4720\n") != NULL);
    CHECK(strstr(want, "Microsoft-Windows-Sysmon/Operational\t1\n") != NULL);
    free(want);
    /* kept: the hits only (4721 is neither a rule's nor a plugin's) */
    CHECK(st.seen == NRECS);
    CHECK(st.rule_hits == 6);
    CHECK(st.kept == 6);
    const char *expect =
        "2024-03-01T10:00:00.000000+00:00|account alice created|net|domain_controller|adm|-|confirmed|2|alice created by adm|high|"
        "attributes\n"
        "2024-03-01T10:00:10.000000+00:00|account bob created|net|domain_controller|adm|-|confirmed|1|bob created by adm|high|"
        "attributes\n"
        /* 4688 read through Sysmon's names: Image is NewProcessName, User the creator */
        "2024-03-01T10:05:00.000000+00:00|Whoami run (test)|-|host|eve|whoami /all|indicator|2|Security 4688: "
        "NewProcessName=C:\\Windows\\System32\\whoami.exe CommandLine=whoami /all SubjectUserName=eve|low|-\n"
        /* two hours later: a new burst of the same key */
        "2024-03-01T12:00:00.000000+00:00|account alice created|net|domain_controller|adm|-|confirmed|1|alice created by adm|high|"
        "attributes\n";
    CHECK_STR(fwd, expect);
    /* the same traces whatever order the records arrive in */
    char *rev = run(set, TM_SIGMA_INFORMATIONAL, true, &st, NULL);
    CHECK_STR(rev, fwd);
    free(rev);
    /* --min-level high: the low rule neither runs nor is subscribed to */
    char *high = run(set, TM_SIGMA_HIGH, false, &st, &want);
    CHECK(strstr(want, "Security\t4720\n") != NULL);
    CHECK(strstr(want, "Sysmon/Operational\t1\n") == NULL);
    CHECK(strstr(high, "Whoami") == NULL);
    CHECK(st.rule_hits == 4);
    free(want);
    free(high);
    free(fwd);
    /* a record's field by its Sigma name */
    {
        tm_buf b;
        tm_buf_init(&b);
        tm_fields_enc e;
        tm_record_begin(&e, &b, TM_ART_EVTX, 0, 1, 0);
        tm_fenc_uint(&e, "event_id", 4688);
        tm_fenc_str(&e, "channel", "Security");
        tm_fenc_str(&e, "provider", "Microsoft-Windows-Security-Auditing");
        tm_fenc_str(&e, "data.ParentProcessName", "C:\\Windows\\explorer.exe");
        tm_record_end(&e);
        tm_fields_scratch s = {0};
        tm_record r;
        CHECK(tm_record_decode((const uint8_t *)b.data, b.len, &s, &r));
        char buf[32];
        CHECK_STR(tm_sigma_record_text(&r, "EventID", buf, sizeof buf), "4688");
        CHECK_STR(tm_sigma_record_text(&r, "Provider_Name", buf, sizeof buf), "Microsoft-Windows-Security-Auditing");
        CHECK_STR(tm_sigma_record_text(&r, "ParentImage", buf, sizeof buf), "C:\\Windows\\explorer.exe");
        CHECK(tm_sigma_record_text(&r, "Image", buf, sizeof buf) == NULL);
        tm_fields_scratch_free(&s);
        tm_buf_free(&b);
    }
    tm_sigma_set_free(set);
    return CHECK_DONE();
}
