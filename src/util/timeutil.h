/* Times are int64 microseconds since 1970-01-01 UTC throughout toolmark. */
#ifndef TM_TIMEUTIL_H
#define TM_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#define TM_TIME_NONE INT64_MIN

/* later - earlier; INT64_MAX (infinitely far) when either is unknown, so an
 * untimed record never falls inside a window and never overflows. */
static inline int64_t tm_time_gap(int64_t later, int64_t earlier)
{
    if (later == TM_TIME_NONE || earlier == TM_TIME_NONE)
        return INT64_MAX;
    if ((earlier < 0 && later > INT64_MAX + earlier) || (earlier > 0 && later < INT64_MIN + earlier))
        return earlier < 0 ? INT64_MAX : INT64_MIN + 1;
    return later - earlier;
}

/* a / b rounded down (toward -infinity: times before 1970), b > 0, and
 * the remainder in [0, b). No product of the quotient:
 * floor(a / b) * b would overflow near INT64_MIN. */
static inline int64_t tm_floordiv(int64_t a, int64_t b, int64_t *rest)
{
    int64_t r = a % b;
    *rest = r < 0 ? r + b : r;
    return a / b - (r < 0);
}

/* FILETIME (100 ns since 1601) to microseconds; 0 means "not set". */
int64_t tm_time_from_filetime(uint64_t ft);
int64_t tm_time_from_unix(int64_t sec, int64_t nsec);
/* "2017-04-28T12:27:03.123456+00:00" (32 bytes incl. NUL); "" for NONE. */
#define TM_TIME_ISO_LEN 40
void tm_time_iso(int64_t us, char out[TM_TIME_ISO_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+00:00]" as UTC. */
bool tm_time_parse_iso(const char *s, int64_t *us);
/* The wall clock now (for the record of a run, never for evidence). */
int64_t tm_now_us(void);
/* Days since 1970-01-01 for a proleptic Gregorian date (no libc time zone state). */
int64_t tm_days_from_civil(int64_t y, unsigned m, unsigned d);
void tm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
