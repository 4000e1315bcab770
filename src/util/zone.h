/* The time zone the display formats (l2tcsv, report) show times in
 * (--tz), and times given on the command line (--from, --to) read in it.
 * JSON and CSV stay UTC with their offset; the body file holds epoch
 * seconds (mactime -z shows them in a zone). Set once, before any fork. */
#ifndef TM_ZONE_H
#define TM_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "UTC" (the default), a fixed offset "+09:00" / "-05:30", or a zone of the
 * system's tz database ("Asia/Tokyo"). False, with why in err, otherwise. */
bool tm_zone_set(const char *zone, char *err, size_t n);
/* The zone as given ("UTC" by default). */
const char *tm_zone_name(void);

/* A time broken down in the display zone. */
typedef struct {
    int64_t year;
    unsigned month, day, hour, minute, second, usec;
    int offset; /* seconds east of UTC at that time */
    char abbr[16]; /* "JST", "CEST", "UTC", "+0930" */
} tm_local_time;
void tm_zone_local(int64_t us, tm_local_time *out);
/* "2017-05-10T18:10:01+09:00" (seconds; 32 bytes with NUL). */
void tm_zone_iso(int64_t us, char out[40]);
/* "2017-05-10 18:10:01" (what a table shows; the zone is said once). */
void tm_zone_short(int64_t us, char out[40]);

/* --from/--to: "2017-05-10", "2017-05-10T09:00[:00]" with an optional
 * offset or Z; without an offset the time is in the display zone. A date
 * alone is its first microsecond, or with end true its last. */
bool tm_zone_parse(const char *s, bool end, int64_t *us);

#endif
