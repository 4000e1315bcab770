#include "pipeline/hostinfo.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/timeutil.h"

void tm_hostinfo_init(tm_hostinfo *h)
{
    memset(h, 0, sizeof *h);
}

static int64_t ival(const tm_record *r, const char *name, bool *ok)
{
    const tm_field *f = tm_record_get(r, name);
    if (f && f->type == TM_F_INT)
        return f->v.i;
    if (f && f->type == TM_F_UINT)
        return (int64_t)(int32_t)(uint32_t)f->v.u;
    *ok = false;
    return 0;
}

/* SYSTEMTIME bytes of a TIME_ZONE_INFORMATION transition. */
static void rule(const tm_record *r, const char *name, tm_tz_rule *out)
{
    memset(out, 0, sizeof *out);
    const tm_field *f = tm_record_get(r, name);
    if (!f || f->type != TM_F_BYTES || f->v.str.len < 16)
        return;
    const unsigned char *p = (const unsigned char *)f->v.str.s;
    out->month = (uint16_t)(p[2] | p[3] << 8);
    out->dow = (uint16_t)(p[4] | p[5] << 8);
    out->week = (uint16_t)(p[6] | p[7] << 8);
    out->hour = (uint16_t)(p[8] | p[9] << 8);
    out->minute = (uint16_t)(p[10] | p[11] << 8);
    if (out->month > 12 || out->dow > 6 || out->week > 5 || out->hour > 23 || out->minute > 59)
        memset(out, 0, sizeof *out);
}

/* An interface address worth naming the host by: not 0.0.0.0, not a
 * loopback, not already known, and shaped like an IPv4 or IPv6 address. */
static void add_address(tm_hostinfo *h, const char *a, size_t n)
{
    char s[48];
    if (n == 0 || n >= sizeof s)
        return;
    memcpy(s, a, n);
    s[n] = '\0';
    if (strspn(s, "0123456789abcdefABCDEF.:") != n || strcmp(s, "0.0.0.0") == 0 || strncmp(s, "127.", 4) == 0 ||
        strcmp(s, "::1") == 0)
        return;
    for (unsigned i = 0; i < h->naddresses; i++)
        if (strcmp(h->addresses[i], s) == 0)
            return;
    if (h->naddresses < sizeof h->addresses / sizeof h->addresses[0])
        snprintf(h->addresses[h->naddresses++], sizeof h->addresses[0], "%s", s);
}

void tm_hostinfo_observe_logon(tm_hostinfo *h, const tm_record *r)
{
    uint32_t id = tm_event_id(r);
    if ((id != 4624 && id != 4625) || strcasecmp(tm_channel(r), "Security") != 0)
        return;
    const char *name = tm_data(r, "WorkstationName"), *addr = tm_data(r, "IpAddress");
    char a[48];
    size_t n = strlen(addr);
    if (!*name || !strcmp(name, "-") || strlen(name) >= sizeof h->seen[0].name || n == 0 || n >= sizeof a)
        return;
    if (!strncasecmp(addr, "::ffff:", 7))
        addr += 7;
    snprintf(a, sizeof a, "%s", addr);
    if (strspn(a, "0123456789abcdefABCDEF.:") != strlen(a) || !strcmp(a, "-") || !strcmp(a, "127.0.0.1") ||
        !strcmp(a, "::1"))
        return;
    for (unsigned i = 0; i < h->nseen; i++)
        if (!strcasecmp(h->seen[i].name, name) && !strcmp(h->seen[i].address, a)) {
            h->seen[i].logons++;
            return;
        }
    if (h->nseen < sizeof h->seen / sizeof h->seen[0]) {
        snprintf(h->seen[h->nseen].name, sizeof h->seen[0].name, "%s", name);
        snprintf(h->seen[h->nseen].address, sizeof h->seen[0].address, "%s", a);
        h->seen[h->nseen++].logons = 1;
    }
}

void tm_hostinfo_observe(tm_hostinfo *h, const tm_record *r)
{
    const char *fact = tm_record_str(r, "fact");
    if (!fact)
        return;
    if (strcmp(fact, "time_zone") == 0) {
        bool ok = true;
        h->bias = (int32_t)ival(r, "Bias", &ok);
        if (!ok)
            return;
        ok = true;
        h->std_bias = (int32_t)ival(r, "StandardBias", &ok);
        ok = true;
        h->dst_bias = (int32_t)ival(r, "DaylightBias", &ok);
        rule(r, "StandardStart", &h->std_start);
        rule(r, "DaylightStart", &h->dst_start);
        const char *n = tm_record_str(r, "TimeZoneKeyName");
        snprintf(h->tz_name, sizeof h->tz_name, "%s", n ? n : "");
        h->tz_known = true;
    } else if (strcmp(fact, "computer_name") == 0) {
        const char *n = tm_record_str(r, "ComputerName");
        if (n)
            snprintf(h->computer, sizeof h->computer, "%s", n);
    } else if (strcmp(fact, "tcpip") == 0) {
        const char *d = tm_record_str(r, "Domain");
        if (!d || !*d)
            d = tm_record_str(r, "NV Domain");
        if (d && *d && !h->domain[0])
            snprintf(h->domain, sizeof h->domain, "%s", d);
    } else if (strcmp(fact, "interface") == 0) {
        static const char *const fields[] = {"IPAddress", "DhcpIPAddress"};
        for (size_t f = 0; f < 2; f++) {
            const char *v = tm_record_str(r, fields[f]);
            while (v && *v) { /* a list, one address a line */
                size_t n = strcspn(v, "\n");
                add_address(h, v, n);
                v += n + (v[n] == '\n');
            }
        }
    }
}

/* Local time of a transition in year y: the week-th dow of month (5 = last). */
static int64_t transition(const tm_tz_rule *t, int64_t y)
{
    int64_t first = tm_days_from_civil(y, t->month, 1);
    int64_t dow_first = (first + 4) % 7; /* 1970-01-01 was a Thursday */
    if (dow_first < 0)
        dow_first += 7;
    int64_t day = 1 + ((t->dow - dow_first + 7) % 7) + 7 * (t->week - 1);
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned dim = mdays[t->month - 1] + (t->month == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    while (day > dim)
        day -= 7;
    return ((first + day - 1) * 86400 + t->hour * 3600 + t->minute * 60) * 1000000LL;
}

bool tm_hostinfo_local_to_utc(const tm_hostinfo *h, int64_t local, int64_t *utc)
{
    if (!h->tz_known || local == TM_TIME_NONE)
        return false;
    int32_t extra = h->std_bias;
    if (h->std_start.month && h->dst_start.month) {
        int64_t y;
        unsigned m, d;
        int64_t days = local / 86400000000LL - (local < 0 && local % 86400000000LL);
        tm_civil_from_days(days, &y, &m, &d);
        int64_t ds = transition(&h->dst_start, y), ss = transition(&h->std_start, y);
        bool dst = ds < ss ? (local >= ds && local < ss) : (local >= ds || local < ss);
        if (dst)
            extra = h->dst_bias;
    }
    *utc = local + (int64_t)(h->bias + extra) * 60 * 1000000LL;
    return true;
}
