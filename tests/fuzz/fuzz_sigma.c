/* libFuzzer target: Sigma rule text (YAML, any number of documents) loaded
 * with tm_sigma_load_text, indexed, and every loaded rule matched against
 * a small fixed event (fields, keyword values, a 4688 record read through
 * the field mapping). Checks the report's counts against the set, and that
 * the literal pre-filter changes no hit (tm_sigma_scan with it on and off). */
#include <stdlib.h>
#include <string.h>

#include "rules/sigma.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const fields[] = {
    "EventID", "1", "Channel", "Microsoft-Windows-Sysmon/Operational",
    "Image", "C:\\Windows\\System32\\cmd.exe", "CommandLine", "cmd.exe /c whoami -all \xe2\x80\x94x aHR0cDovLw==",
    "ParentImage", "C:\\Windows\\explorer.exe", "User", "CORP\\bob",
    "DestinationIp", "10.1.2.3", "Count", "42",
    "UtcTime", "2024-03-02 23:51:00.008", "Bad", "\xff\xfe\xe2\x80",
    "Empty", "", "NewProcessName", "C:\\x\\a.exe",
};

typedef struct {
    const char *channel;
    unsigned id;
} ctx;

static const char *get(void *c, const char *field)
{
    const ctx *x = c;
    const char *f = tm_sigma_record_field(x->channel, x->id, field);
    for (size_t i = 0; i + 1 < sizeof fields / sizeof *fields; i += 2)
        if (!strcmp(fields[i], f))
            return fields[i + 1];
    return NULL;
}

static bool each(void *c, bool (*fn)(void *, const char *), void *arg)
{
    (void)c;
    for (size_t i = 1; i < sizeof fields / sizeof *fields; i += 2)
        if (fn(arg, fields[i]))
            return true;
    return false;
}

/* The hits' rule indexes, summed with their order. */
static void on_hit(void *arg, const tm_sigma_rule *r)
{
    size_t *h = arg;
    *h = *h * 31 + r->index + 1;
}

static size_t scan(tm_sigma_set *s, bool prefilter, ctx *x)
{
    tm_sigma_event ev = {get, each, x};
    size_t h = 0;
    tm_sigma_set_prefilter(s, prefilter);
    tm_sigma_scan(s, x->channel, x->id, 0, &ev, on_hit, &h);
    return h;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tm_sigma_set *s = tm_sigma_set_new();
    static const char *const vals[] = {"dc01", "x*y"};
    tm_sigma_set_placeholder(s, "Servers", vals, 2);
    tm_sigma_report rep = {0};
    tm_sigma_load_text(s, "fuzz.yml", (const char *)data, size, &rep);
    size_t skipped = 0;
    for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
        skipped += rep.skipped[k];
    if (rep.loaded != tm_sigma_count(s) || (rep.errors + skipped > 0 && !rep.log))
        abort();
    tm_sigma_set_index(s);
    size_t n;
    tm_sigma_sources(s, &n);
    ctx sysmon = {"Microsoft-Windows-Sysmon/Operational", 1}, sec = {"Security", 4688};
    tm_sigma_event ev = {get, each, &sysmon};
    for (size_t i = 0; i < tm_sigma_count(s); i++) {
        const tm_sigma_rule *r = tm_sigma_at(s, i);
        if (!r || !r->title || !r->file)
            abort();
        ev.ctx = &sysmon;
        (void)tm_sigma_match(r, &ev);
        ev.ctx = &sec;
        (void)tm_sigma_match(r, &ev);
    }
    const tm_sigma_rule *const *c = tm_sigma_candidates(s, "Security", 4688, &n);
    for (size_t i = 0; i < n; i++)
        (void)tm_sigma_match(c[i], &ev);
    ctx other = {"Application", 1000};
    if (scan(s, true, &sysmon) != scan(s, false, &sysmon) || scan(s, true, &sec) != scan(s, false, &sec) ||
        scan(s, true, &other) != scan(s, false, &other))
        abort();
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    return 0;
}
