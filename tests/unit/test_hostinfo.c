/* Unit tests: local time to UTC with Windows time-zone rules. */
#include "check.h"
#include "pipeline/hostinfo.h"
#include "util/timeutil.h"

static int64_t at(const char *iso)
{
    int64_t us = 0;
    tm_time_parse_iso(iso, &us);
    return us;
}

int main(void)
{
    tm_hostinfo h;
    tm_hostinfo_init(&h);
    int64_t u;
    CHECK(!tm_hostinfo_local_to_utc(&h, at("2017-04-28T22:30:00"), &u)); /* zone unknown */

    /* Tokyo: bias -540, no daylight saving. */
    h.tz_known = true;
    h.bias = -540;
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-04-28T22:30:00"), &u) && u == at("2017-04-28T13:30:00"));

    /* US Eastern: bias 300; DST from the 2nd Sunday of March 02:00 to the
     * 1st Sunday of November 02:00, daylight bias -60. */
    h.bias = 300;
    h.std_bias = 0;
    h.dst_bias = -60;
    h.dst_start = (tm_tz_rule){3, 0, 2, 2, 0};
    h.std_start = (tm_tz_rule){11, 0, 1, 2, 0};
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-01-15T12:00:00"), &u) && u == at("2017-01-15T17:00:00"));
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-07-04T12:00:00"), &u) && u == at("2017-07-04T16:00:00"));
    /* 2017: DST began 12 March, ended 5 November. */
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-03-12T01:59:00"), &u) && u == at("2017-03-12T06:59:00"));
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-03-12T03:00:00"), &u) && u == at("2017-03-12T07:00:00"));
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-11-05T02:30:00"), &u) && u == at("2017-11-05T07:30:00"));
    /* Southern hemisphere (Sydney): bias -600, DST from the 1st Sunday of
     * October to the 1st Sunday of April. */
    h.bias = -600;
    h.dst_start = (tm_tz_rule){10, 0, 1, 2, 0};
    h.std_start = (tm_tz_rule){4, 0, 1, 3, 0};
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-01-10T12:00:00"), &u) && u == at("2017-01-10T01:00:00"));
    CHECK(tm_hostinfo_local_to_utc(&h, at("2017-06-10T12:00:00"), &u) && u == at("2017-06-10T02:00:00"));
    return CHECK_DONE();
}
