#include "util/timeutil.h"

#include <time.h>

#include <stdio.h>
#include <string.h>

/* Seconds between 1601-01-01 and 1970-01-01. */
#define FILETIME_EPOCH_DELTA_S 11644473600LL

int64_t tm_time_from_filetime(uint64_t ft)
{
    if (ft == 0)
        return TM_TIME_NONE;
    /* 100 ns ticks -> us; FILETIME fits in int64 after division. */
    int64_t us = (int64_t)(ft / 10);
    return us - FILETIME_EPOCH_DELTA_S * 1000000LL;
}

int64_t tm_time_from_unix(int64_t sec, int64_t nsec)
{
    /* beyond year ~287,000 a hostile time stamp would overflow: unknown;
     * nanoseconds past a second carry into the seconds, as in a timespec */
    const int64_t limit = INT64_MAX / 1000000LL - 1;
    if (sec > limit || sec < -limit)
        return TM_TIME_NONE;
    int64_t ns;
    sec += tm_floordiv(nsec, 1000000000LL, &ns);
    if (sec > limit || sec < -limit)
        return TM_TIME_NONE;
    return sec * 1000000LL + ns / 1000;
}

/* Howard Hinnant's civil-from-days algorithms: exact for the whole int range. */
int64_t tm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void tm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

void tm_time_iso(int64_t us, char out[TM_TIME_ISO_LEN])
{
    if (us == TM_TIME_NONE) {
        out[0] = '\0';
        return;
    }
    int64_t frac, sod;
    int64_t secs = tm_floordiv(us, 1000000, &frac);
    int64_t days = tm_floordiv(secs, 86400, &sod);
    int64_t y;
    unsigned m, d;
    tm_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        /* Out of ISO 8601 basic range: clamp visibly rather than print garbage. */
        y = y < 0 ? 0 : 9999;
    }
    snprintf(out, TM_TIME_ISO_LEN, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lld+00:00", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
}

static bool digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return true;
}

bool tm_time_parse_iso(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, se;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 6) {
                frac = frac * 10 + (*p - '0');
                n++;
            }
            p++;
        }
        if (n == 0)
            return false;
        while (n++ < 6)
            frac *= 10;
    }
    if (*p == 'Z')
        p++;
    else if (strncmp(p, "+00:00", 6) == 0)
        p += 6;
    if (*p != '\0')
        return false;
    int64_t days = tm_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = ((days * 86400) + h * 3600 + mi * 60 + se) * 1000000LL + frac;
    return true;
}

int64_t tm_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
