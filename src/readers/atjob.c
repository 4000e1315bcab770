/* At-job files (Windows\Tasks\*.job, MS-TSCH .JOB format). Hand-written:
 * a 68-byte fixed section, then variable-length strings, user data,
 * reserved data and triggers. Every length and offset is checked against the
 * file. Times are SYSTEMTIMEs in the host's local time and are typed so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers/reader.h"
#include "util/timeutil.h"
#include "util/utf16.h"

#define FIXED 68u
#define MAX_JOB (1u << 20)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* SYSTEMTIME -> microseconds of local wall-clock time; NONE when unset or invalid. */
static int64_t systemtime(const uint8_t *p)
{
    unsigned y = rd16(p), mo = rd16(p + 2), d = rd16(p + 6), h = rd16(p + 8), mi = rd16(p + 10), s = rd16(p + 12),
             ms = rd16(p + 14);
    if (y == 0 && mo == 0 && d == 0)
        return TM_TIME_NONE;
    if (y < 1601 || y > 30827 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || ms > 999)
        return TM_TIME_NONE;
    return (tm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000LL + ms * 1000LL;
}

static const char *status_name(uint32_t s)
{
    switch (s) {
    case 0x00041300: return "SCHED_S_TASK_READY";
    case 0x00041301: return "SCHED_S_TASK_RUNNING";
    case 0x00041302: return "SCHED_S_TASK_DISABLED";
    case 0x00041303: return "SCHED_S_TASK_HAS_NOT_RUN";
    case 0x00041304: return "SCHED_S_TASK_NO_MORE_RUNS";
    case 0x00041305: return "SCHED_S_TASK_NOT_SCHEDULED";
    case 0x00041306: return "SCHED_S_TASK_TERMINATED";
    case 0x00041307: return "SCHED_S_TASK_NO_VALID_TRIGGERS";
    default: return NULL;
    }
}

static const char *trigger_type(uint32_t t)
{
    static const char *const names[] = {"ONCE", "DAILY", "WEEKLY", "MONTHLYDATE", "MONTHLYDOW",
                                        "EVENT_ON_IDLE", "EVENT_AT_SYSTEMSTART", "EVENT_AT_LOGON"};
    return t < 8 ? names[t] : NULL;
}

static void flag_names(uint32_t f, char *out, size_t n)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } fl[] = {{0x1, "INTERACTIVE"},          {0x2, "DELETE_WHEN_DONE"},         {0x4, "DISABLED"},
              {0x10, "START_ONLY_IF_IDLE"},  {0x20, "KILL_ON_IDLE_END"},        {0x40, "DONT_START_IF_ON_BATTERIES"},
              {0x80, "KILL_IF_GOING_ON_BATTERIES"}, {0x100, "RUN_ONLY_IF_DOCKED"}, {0x200, "HIDDEN"},
              {0x400, "RUN_IF_CONNECTED_TO_INTERNET"}, {0x800, "RESTART_ON_IDLE_RESUME"},
              {0x1000, "SYSTEM_REQUIRED"},   {0x2000, "RUN_ONLY_IF_LOGGED_ON"}, {0x01000000, "APPLICATION_NAME"}};
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if (f & fl[i].bit) {
            int w = snprintf(out + k, n - k, "%s%s", k ? "|" : "", fl[i].name);
            if (w < 0 || (size_t)w >= n - k)
                return;
            k += (size_t)w;
        }
}

/* Reads a length-prefixed UTF-16 string at *off; false when it does not fit. */
static bool vstring(const uint8_t *b, size_t n, size_t *off, char *out, size_t outlen)
{
    out[0] = '\0';
    if (*off + 2 > n)
        return false;
    size_t chars = rd16(b + *off);
    *off += 2;
    if (chars > (n - *off) / 2)
        return false;
    size_t units = chars;
    if (units > 0 && rd16(b + *off + 2 * (units - 1)) == 0)
        units--; /* the count includes the terminator */
    tm_utf16le_to_utf8(b + *off, units, out, outlen);
    *off += 2 * chars;
    return true;
}

int tm_read_atjob(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    (void)job;
    if (src->size < FIXED || src->size > MAX_JOB) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a .job file: %llu bytes (a job file is 68 bytes to 1 MiB)",
                        (unsigned long long)src->size);
        return -1;
    }
    size_t n = (size_t)src->size;
    uint8_t *b = tm_xmalloc(n);
    if (tm_source_pread(src, 0, b, n) != (ssize_t)n) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "read error: %s", src->err);
        free(b);
        return -1;
    }
    uint16_t product = rd16(b), format = rd16(b + 2);
    if (format != 1) {
        tm_emit_problem(out, TM_POS_OFFSET, 2, true, "not a .job file: format version %u (expected 1)", format);
        free(b);
        return -1;
    }
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", rd32(b + 4), rd16(b + 8),
             rd16(b + 10), b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19]);
    uint16_t app_off = rd16(b + 20), trig_off = rd16(b + 22);
    uint32_t flags = rd32(b + 48), status = rd32(b + 44);
    char fl[512];
    flag_names(flags, fl, sizeof fl);

    tm_fields_enc *e = tm_emit_begin(out, TM_ART_ATJOB, 0, 0, TM_TIME_NONE);
    char ver[16];
    snprintf(ver, sizeof ver, "0x%04x", product);
    tm_fenc_str(e, "product_version", ver);
    tm_fenc_uint(e, "format_version", format);
    tm_fenc_str(e, "job_id", uuid);
    tm_fenc_uint(e, "error_retry_count", rd16(b + 24));
    tm_fenc_uint(e, "error_retry_interval_min", rd16(b + 26));
    tm_fenc_uint(e, "idle_deadline_min", rd16(b + 28));
    tm_fenc_uint(e, "idle_wait_min", rd16(b + 30));
    tm_fenc_uint(e, "priority", rd32(b + 32));
    tm_fenc_uint(e, "max_run_time_ms", rd32(b + 36));
    char hex[16];
    snprintf(hex, sizeof hex, "0x%08x", rd32(b + 40));
    tm_fenc_str(e, "exit_code", hex);
    snprintf(hex, sizeof hex, "0x%08x", status);
    tm_fenc_str(e, "status_value", hex);
    tm_fenc_str(e, "status", status_name(status));
    tm_fenc_str(e, "flags", fl);
    tm_fenc_uint(e, "flags_value", flags);
    tm_fenc_localtime(e, "last_run", systemtime(b + 52));

    /* Variable-length section. */
    const char *broken = NULL;
    size_t off = FIXED;
    if (off + 2 <= n)
        tm_fenc_uint(e, "running_instances", rd16(b + off));
    off = app_off >= FIXED ? app_off : FIXED + 2;
    static const char *const names[] = {"application", "parameters", "working_directory", "author", "comment"};
    char s[4][2048];
    char comment[8192];
    for (int i = 0; i < 5 && !broken; i++) {
        char *dst = i < 4 ? s[i] : comment;
        size_t dl = i < 4 ? sizeof s[i] : sizeof comment;
        if (!vstring(b, n, &off, dst, dl)) {
            broken = names[i];
            break;
        }
        if (*dst)
            tm_fenc_str(e, names[i], dst);
    }
    if (!broken && s[0][0]) {
        char cl[4200];
        snprintf(cl, sizeof cl, "%s%s%s", s[0], s[1][0] ? " " : "", s[1]);
        tm_fenc_str(e, "command_line", cl);
    }
    if (!broken) {
        /* User data, then reserved data (start error, task flags). */
        if (off + 2 > n || rd16(b + off) > n - off - 2) {
            broken = "user data";
        } else {
            off += 2 + rd16(b + off);
            if (off + 2 > n || rd16(b + off) > n - off - 2) {
                broken = "reserved data";
            } else {
                uint16_t rs = rd16(b + off);
                if (rs >= 8) {
                    snprintf(hex, sizeof hex, "0x%08x", rd32(b + off + 2));
                    tm_fenc_str(e, "start_error", hex);
                }
                off += 2 + rs;
            }
        }
    }
    /* Triggers, from their declared offset (falling back to where the
     * sequence left off). */
    size_t t = trig_off >= FIXED && trig_off < n ? trig_off : off;
    unsigned nt = 0;
    if (!broken && t + 2 <= n) {
        unsigned count = rd16(b + t);
        t += 2;
        for (unsigned i = 0; i < count && i < 64; i++) {
            if (t + 48 > n || rd16(b + t) != 48) {
                broken = "triggers";
                break;
            }
            const uint8_t *tr = b + t;
            char key[48];
            nt++;
            uint32_t type = rd32(tr + 32);
            snprintf(key, sizeof key, "trigger.%u.type", nt);
            tm_fenc_str(e, key, trigger_type(type) ? trigger_type(type) : "unknown");
            unsigned sy = rd16(tr + 4), smo = rd16(tr + 6), sd = rd16(tr + 8), sh = rd16(tr + 16), smi = rd16(tr + 18);
            if (sy >= 1601 && smo >= 1 && smo <= 12 && sd >= 1 && sd <= 31 && sh < 24 && smi < 60) {
                snprintf(key, sizeof key, "trigger.%u.start", nt);
                tm_fenc_localtime(e, key, (tm_days_from_civil(sy, smo, sd) * 86400 + sh * 3600 + smi * 60) * 1000000LL);
            }
            unsigned ey = rd16(tr + 10), emo = rd16(tr + 12), ed = rd16(tr + 14);
            if (ey >= 1601 && emo >= 1 && emo <= 12 && ed >= 1 && ed <= 31) {
                snprintf(key, sizeof key, "trigger.%u.end", nt);
                tm_fenc_localtime(e, key, tm_days_from_civil(ey, emo, ed) * 86400 * 1000000LL);
            }
            snprintf(key, sizeof key, "trigger.%u.duration_min", nt);
            tm_fenc_uint(e, key, rd32(tr + 20));
            snprintf(key, sizeof key, "trigger.%u.interval_min", nt);
            tm_fenc_uint(e, key, rd32(tr + 24));
            snprintf(key, sizeof key, "trigger.%u.flags", nt);
            tm_fenc_uint(e, key, rd32(tr + 28));
            t += 48;
        }
    }
    tm_fenc_uint(e, "triggers", nt);
    tm_fenc_time(e, "file_created", job->crtime);
    tm_fenc_time(e, "file_modified", job->mtime);
    if (broken)
        tm_fenc_str(e, "truncated_at", broken);
    tm_emit_end(out);
    if (broken)
        tm_emit_problem(out, TM_POS_OFFSET, off, false, "job file damaged: %s does not fit in the file; fields before it are kept",
                        broken);
    st->records = st->total = 1;
    free(b);
    return 0;
}
