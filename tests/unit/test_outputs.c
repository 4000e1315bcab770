/* Unit tests: the output writers on hostile traces (HTML escaping, CSV and
 * l2tcsv neutralising, body-file names, JSON of a trace without a time). */
#include <stdlib.h>

#include "check.h"
#include "output/outputs.h"
#include "util/buf.h"
#include "util/timeutil.h"


static tm_trace *trace(tm_traces *ts, const char *tool, int64_t t, const char *msg, const char *cmd)
{
    tm_trace *tr = tm_trace_add(ts, tool, "Command Execution", TM_ROLE_SOURCE, t, "Process created (Security 4688)");
    tm_trace_set(&tr->message, msg);
    tm_trace_set(&tr->command_line, cmd);
    tm_trace_set(&tr->reason, "why");
    tm_evidence ev = {0};
    ev.volume = 0;
    ev.kind = "evtx";
    ev.path = "Windows/System32/winevt/Logs/Security.evtx";
    ev.record = 7;
    ev.record_name = "record_id";
    ev.channel = "Security";
    ev.event_id = 4688;
    ev.time = t;
    ev.summary = "a|b\nc";
    tm_trace_add_evidence(tr, &ev);
    return tr;
}

/* A format as the table registers it. */
static void write_as(const char *format, tm_buf *b, const tm_report *r)
{
    const tm_output_format *f = tm_output_format_named(format);
    CHECK(f && f->write);
    if (f && f->write)
        f->write(b, r);
}

/* A large case: n traces over 18 months, 300 tools and activities, a third
 * of them commands (500 distinct command lines, some with long base64
 * payloads), bursts of identical traces, 10,000 errors of 40 kinds. */
static void big_case(tm_input *in, tm_traces *ts, tm_errors *errs, size_t n)
{
    memset(in, 0, sizeof *in);
    in->path = "case/big.E01";
    in->id = "big";
    in->format = "ewf";
    tm_traces_init(ts);
    int64_t t0;
    tm_time_parse_iso("2016-01-01T00:00:00Z", &t0);
    static const char *const phase[] = {"initial investigation", "reconnaissance", "spread of infection",
                                        "deleting evidence"};
    tm_buf cmd, payload;
    tm_buf_init(&cmd);
    tm_buf_init(&payload);
    for (int i = 0; i < 2000; i++)
        tm_buf_puts(&payload, "SQBFAFgAKABOAGUAdwAtAE8AYgBq");
    for (size_t i = 0; i < n; i++) {
        size_t k = (i * 7919) % 300;
        char tool[32], activity[48];
        snprintf(tool, sizeof tool, "tool-%zu", k);
        snprintf(activity, sizeof activity, "activity %zu", k);
        int64_t t = t0 + (int64_t)(i / 3) * (int64_t)(47304000.0 / (double)(n / 3 + 1) * 1e6); /* 18 months */
        tm_trace *tr = tm_trace_add(ts, k % 2 ? tool : NULL, "Command Execution", (tm_role)(k % 3), t,
                                    "Process created (Security 4688)");
        tm_trace_set(&tr->activity, activity);
        if (!tr->tool)
            tm_trace_add_candidate(tr, "PsExec");
        tr->confirmed = tr->tool && i % 5 == 0;
        tm_trace_set(&tr->user, "CORP\\admin");
        tm_trace_set(&tr->reason, "process creation recorded; no exit status 0x0");
        tm_buf_reset(&cmd);
        tm_buf_printf(&cmd, "powershell -nop -w hidden -enc %s #%zu", i % 100 == 0 ? tm_buf_cstr(&payload) : "SQBFAFgA",
                      i % 500);
        tm_trace_set(&tr->command_line, tm_buf_cstr(&cmd));
        tm_trace_setf(&tr->message, "%s ran: %.300s", tool, tm_buf_cstr(&cmd));
        if (i % 3 == 0)
            tm_trace_set(&tr->phase, phase[i % 4]);
        for (int e = 0; e < 2; e++) {
            tm_evidence ev = {0};
            ev.volume = -1;
            ev.kind = "evtx";
            ev.path = "Windows/System32/winevt/Logs/Security.evtx";
            ev.record = i * 2 + (uint64_t)e;
            ev.record_name = "record_id";
            ev.channel = "Security";
            ev.event_id = 4688;
            ev.time = t;
            ev.summary = tr->message;
            tm_trace_add_evidence(tr, &ev);
        }
        tr->evidence_total = 30;
    }
    tm_buf_free(&cmd);
    tm_buf_free(&payload);
    memset(errs, 0, sizeof *errs);
    for (size_t i = 0; i < 10000; i++) {
        char msg[96];
        snprintf(msg, sizeof msg, "record %zu unreadable (kind %zu)", i, i % 40);
        tm_errors_add(errs, "record", "Windows/System32/winevt/Logs/Security.evtx", -1, TM_POS_RECORD_ID, i, false, msg);
    }
}

/* The report of a large case stays bounded: one row per tool or activity,
 * repeated commands once, capped lists (the timeline files hold it all). */
static void test_report_at_scale(const char *save, size_t n)
{
    tm_input in;
    tm_traces ts;
    tm_errors errs;
    big_case(&in, &ts, &errs, n);
    tm_report r = {&in, &ts, NULL, &errs, NULL, "BIG", "", NULL, NULL, NULL, NULL};
    tm_buf b;
    tm_buf_init(&b);
    write_as("html", &b, &r);
    CHECK(b.len <= 5u << 20);
    if (b.len > 5u << 20)
        fprintf(stderr, "report of %zu traces: %zu bytes\n", n, b.len);
    CHECK(strstr(tm_buf_cstr(&b), "The first 1000 of ") != NULL);
    CHECK(strstr(tm_buf_cstr(&b), "more in traces.jsonl") != NULL);
    CHECK(strstr(tm_buf_cstr(&b), "Content-Security-Policy") != NULL);
    if (save) {
        FILE *f = fopen(save, "w");
        CHECK(f && fwrite(b.data, 1, b.len, f) == b.len);
        if (f)
            fclose(f);
    }
    tm_buf_free(&b);
    tm_traces_free(&ts);
    tm_errors_free(&errs);
}

int main(int argc, char **argv)
{
    /* test_outputs --big-report FILE N: writes the report of a large case
     * (tests/e2e/report.sh renders it) */
    if (argc == 4 && strcmp(argv[1], "--big-report") == 0) {
        test_report_at_scale(argv[2], (size_t)strtoul(argv[3], NULL, 10));
        return CHECK_DONE();
    }
    tm_buf b;
    tm_buf_init(&b);
    tm_html_escape(&b, "<script>alert('x')</script> & \"q\" \x01 \xff");
    CHECK_STR(tm_buf_cstr(&b), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; \xEF\xBF\xBD \xEF\xBF\xBD");
    tm_buf_reset(&b);

    tm_input in = {0};
    in.path = "case/ws.E01";
    in.id = "ws";
    in.format = "ewf";
    /* one volume, and the log the traces cite at MFT entry 68 */
    tm_volume vol = {.index = -1, .status = TM_VOL_OK};
    in.vols = &vol;
    in.nvols = 1;
    tm_artifact log = {.kind = TM_ART_EVTX, .path = "Windows/System32/winevt/Logs/Security.evtx", .has_inode = true,
                       .inode = 68, .attr_type = 128, .attr_id = 2, .volume = 0};
    in.arts = &log;
    in.narts = 1;
    tm_traces ts;
    tm_traces_init(&ts);
    int64_t t;
    tm_time_parse_iso("2017-05-10T09:10:00.5Z", &t);
    trace(&ts, "PsExec", t, "=cmd|' /C calc'!A0", "psexec \\\\srv,01 \"x\"\r\nnext");
    trace(&ts, "wmic", TM_TIME_NONE, "no time", NULL);
    trace(&ts, "net-use", t, "a message much longer than eighty characters so that the short column must be cut \xC3\xA9\xC3\xA9", NULL);
    tm_errors errs = {0};
    tm_report r = {&in, &ts, NULL, &errs, NULL, "WS", "", NULL, NULL, NULL, NULL};

    write_as("csv", &b, &r);
    const char *csv = tm_buf_cstr(&b);
    CHECK(strstr(csv, "\"'=cmd|' /C calc'!A0\"") != NULL);               /* formula neutralised */
    CHECK(strstr(csv, "\"psexec \\\\srv,01 \"\"x\"\"\\x0d\\x0anext\"") != NULL); /* quoted, one row per line */
    CHECK(strstr(csv, "\"1970-01-01T00:00:00.000000+00:00\",\"Time unknown: ") != NULL);
    tm_buf_reset(&b);

    write_as("l2tcsv", &b, &r);
    const char *l2t = tm_buf_cstr(&b);
    CHECK(strstr(l2t, "05/10/2017,09:10:00,UTC,....,EXEC,") != NULL);
    CHECK(strstr(l2t, "srv 01") != NULL); /* comma replaced */
    size_t lines = 0;
    for (const char *p = l2t; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 4); /* header + 3: no line break survived */
    /* inode: the cited file's MFT entry (plaso's); short: at most 80 bytes, whole characters */
    CHECK(strstr(l2t, ",Windows/System32/winevt/Logs/Security.evtx,68,") != NULL);
    const char *sh = strstr(l2t, "net-use source indicator: a message");
    CHECK(sh && strstr(sh, "...,") && (size_t)(strstr(sh, "...,") + 3 - sh) <= 80);
    CHECK(sh && strstr(sh, "the short column must be cut \xC3\xA9\xC3\xA9 | command line"));
    tm_buf_reset(&b);

    write_as("body", &b, &r);
    const char *body = tm_buf_cstr(&b);
    /* '|' as mactime decodes it; the cited record; the log's MFT entry as the inode */
    CHECK(strstr(body, "0|[toolmark] PsExec (source, indicator) on WS: =cmd%7C' /C calc'!A0 [evtx:vol/Windows/System32/"
                       "winevt/Logs/Security.evtx record_id 7, Security 4688]|68-128-2|----------|0|0|0|"
                       "1494407400|1494407400|1494407400|1494407400\n") != NULL);
    /* a trace without a time is there, with the body file's "no time" */
    CHECK(strstr(body, "no time [evtx:") != NULL && strstr(body, "|68-128-2|----------|0|0|0|0|0|0|0\n") != NULL);
    CHECK(strstr(body, "4688] [") == NULL); /* a live record names no origin */
    tm_buf_reset(&b);
    {
        /* Two traces alike but for where their record was found: the one
         * found in a shadow copy names that origin, the live one none. */
        tm_traces two;
        tm_traces_init(&two);
        tm_trace *live = trace(&two, "PsExec", t, "copied", NULL);
        tm_trace *copy = tm_trace_add(&two, "PsExec", "Command Execution", TM_ROLE_SOURCE, t, "Process created");
        tm_trace_set(&copy->message, "copied");
        tm_evidence ev = live->ev[0];
        ev.origin = "vss:{3808876b-c176-4e48-b7ae-04046e6cc752}:2017-05-01T10:00:00Z";
        tm_trace_add_evidence(copy, &ev);
        tm_report r2 = {&in, &two, NULL, &errs, NULL, "WS", "", NULL, NULL, NULL, NULL};
        write_as("body", &b, &r2);
        body = tm_buf_cstr(&b);
        CHECK(strstr(body, "Security 4688] [vss:{3808876b-c176-4e48-b7ae-04046e6cc752}:2017-05-01T10:00:00Z]|68-128-2|") != NULL);
        CHECK(strstr(body, "Security 4688]|68-128-2|") != NULL);
        tm_traces_free(&two);
        tm_buf_reset(&b);
    }

    tm_trace_json(&b, &ts.t[1], in.path, in.id, NULL, 0);
    CHECK(strstr(tm_buf_cstr(&b), "\"datetime\":\"1970-01-01T00:00:00.000000+00:00\",\"timestamp\":0,"
                                  "\"timestamp_desc\":\"Time unknown: Process created (Security 4688)\"") != NULL);
    tm_buf_reset(&b);

    write_as("html", &b, &r);
    CHECK(strstr(tm_buf_cstr(&b), "<script") == NULL);
    CHECK(strstr(tm_buf_cstr(&b), "=cmd|&#39; /C calc&#39;!A0") != NULL);

    CHECK(tm_output_bit("csv") && tm_output_bit("html") && tm_output_bit("csv") != tm_output_bit("html"));
    CHECK(tm_output_formats("csv,html", NULL) == (tm_output_bit("csv") | tm_output_bit("html")));
    /* "all" is every whole-report format, not the streamed events */
    CHECK((tm_output_formats("all", NULL) & tm_output_bit("events")) == 0);
    CHECK((tm_output_formats("all", NULL) & tm_output_bit("jsonl")) != 0);
    const char *bad = NULL;
    CHECK(tm_output_formats("csv,xml", &bad) == 0 && bad && strcmp(bad, "xml") == 0);
    tm_traces_free(&ts);
    tm_buf_free(&b);
    test_report_at_scale(NULL, 100000);
    return CHECK_DONE();
}
