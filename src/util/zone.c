#include "util/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/timeutil.h"

/* UTC, a fixed offset, or libc's tz database through TZ (only this code
 * calls localtime_r/mktime, in a process whose TZ it set once). */
static enum { ZONE_UTC, ZONE_FIXED, ZONE_TZDB } g_kind = ZONE_UTC;
static int g_fixed; /* seconds east */
static char g_name[128] = "UTC";

static bool parse_offset(const char *s, int *secs)
{
    int h, m;
    char sign;
    char tail;
    if (sscanf(s, "%c%2d:%2d%c", &sign, &h, &m, &tail) != 3 || (sign != '+' && sign != '-') || h > 14 || m > 59 ||
        strlen(s) != 6)
        return false;
    *secs = (sign == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return true;
}

bool tm_zone_set(const char *zone, char *err, size_t n)
{
    int off;
    if (!zone || !*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0) {
        g_kind = ZONE_UTC;
        snprintf(g_name, sizeof g_name, "UTC");
        return true;
    }
    if (parse_offset(zone, &off)) {
        g_kind = ZONE_FIXED;
        g_fixed = off;
        snprintf(g_name, sizeof g_name, "%s", zone);
        return true;
    }
    /* a name of the tz database: letters, digits, '/', '_', '-', '+'; no ".." */
    bool ok = strlen(zone) < sizeof g_name && !strstr(zone, "..") && zone[0] != '/';
    for (const char *p = zone; ok && *p; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("/_-+", *p);
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (!ok || access(path, R_OK) != 0) {
        snprintf(err, n, "unknown time zone '%s' (UTC, an offset like +09:00, or a name like Asia/Tokyo)", zone);
        return false;
    }
    char tz[160];
    snprintf(tz, sizeof tz, ":%s", zone);
    setenv("TZ", tz, 1);
    tzset();
    g_kind = ZONE_TZDB;
    snprintf(g_name, sizeof g_name, "%s", zone);
    return true;
}

const char *tm_zone_name(void)
{
    return g_name;
}

void tm_zone_local(int64_t us, tm_local_time *out)
{
    memset(out, 0, sizeof *out);
    int64_t usec;
    int64_t secs = tm_floordiv(us, 1000000, &usec);
    out->usec = (unsigned)usec;
    int off = 0;
    if (g_kind == ZONE_FIXED) {
        off = g_fixed;
        snprintf(out->abbr, sizeof out->abbr, "%c%02d%02d", off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
    } else if (g_kind == ZONE_TZDB) {
        time_t t = (time_t)secs;
        struct tm lt;
        if (localtime_r(&t, &lt)) {
            off = (int)lt.tm_gmtoff;
            snprintf(out->abbr, sizeof out->abbr, "%s", lt.tm_zone ? lt.tm_zone : "");
        }
    } else {
        snprintf(out->abbr, sizeof out->abbr, "UTC");
    }
    out->offset = off;
    int64_t local = secs + off;
    int64_t sod, days = tm_floordiv(local, 86400, &sod);
    tm_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (unsigned)(sod / 3600);
    out->minute = (unsigned)(sod / 60 % 60);
    out->second = (unsigned)(sod % 60);
}

static long long clamp_year(int64_t y)
{
    return y < 0 ? 0 : y > 9999 ? 9999 : (long long)y;
}

void tm_zone_iso(int64_t us, char out[40])
{
    if (us == TM_TIME_NONE) {
        out[0] = '\0';
        return;
    }
    tm_local_time l;
    tm_zone_local(us, &l);
    int a = abs(l.offset);
    snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02u%c%02d:%02d", clamp_year(l.year), l.month, l.day, l.hour,
             l.minute, l.second, l.offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

void tm_zone_short(int64_t us, char out[40])
{
    if (us == TM_TIME_NONE) {
        out[0] = '\0';
        return;
    }
    tm_local_time l;
    tm_zone_local(us, &l);
    snprintf(out, 40, "%04lld-%02u-%02u %02u:%02u:%02u", clamp_year(l.year), l.month, l.day, l.hour, l.minute,
             l.second);
}

static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

bool tm_zone_parse(const char *s, bool end, int64_t *us)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d) || mo < 1 ||
        mo > 12 || d < 1 || d > 31)
        return false;
    bool date_only = *p == '\0';
    int64_t frac = 0;
    if (!date_only) {
        if (*p != 'T' && *p != ' ')
            return false;
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &se))
                return false;
            if (*p == '.') {
                int n = 0;
                for (p++; *p >= '0' && *p <= '9'; p++)
                    if (n < 6) {
                        frac = frac * 10 + (*p - '0');
                        n++;
                    }
                if (!n)
                    return false;
                while (n++ < 6)
                    frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return false;
    }
    int64_t wall = (tm_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se);
    int off;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if (*p == '+' || *p == '-') {
        if (!parse_offset(p, &off))
            return false;
    } else if (*p == '\0') {
        /* in the display zone */
        if (g_kind == ZONE_FIXED) {
            off = g_fixed;
        } else if (g_kind == ZONE_TZDB) {
            struct tm lt = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
                            .tm_sec = se, .tm_isdst = -1};
            time_t t = mktime(&lt);
            if (t == (time_t)-1)
                return false;
            off = (int)(wall - (int64_t)t);
        } else {
            off = 0;
        }
    } else {
        return false;
    }
    int64_t sec = wall - off;
    if (date_only && end)
        sec += 86400;
    *us = sec * 1000000LL + frac - (date_only && end ? 1 : 0);
    return true;
}
