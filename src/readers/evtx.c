/* EVTX reader (libevtx). libevtx 20181227 gives record id, written time,
 * event id, provider, computer, SID and positional strings directly, and the
 * rendered XML; channel and EventData names come only from the XML, which
 * is the expensive part, so it is rendered only for records that are wanted
 * in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libevtx.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "readers/bfio_bridge.h"
#include "readers/evtx_native.h"
#include "readers/reader.h"
#include "util/timeutil.h"

#define PROGRESS_EVERY 4096

static void evtx_errmsg(libevtx_error_t **err, char *out, size_t n)
{
    out[0] = '\0';
    if (*err) {
        libevtx_error_sprint(*err, out, n);
        libevtx_error_free(err);
        /* libyal messages are multi-line backtraces: keep the first line. */
        out[strcspn(out, "\r\n")] = '\0';
    }
}

typedef int (*utf8_size_fn)(libevtx_record_t *, size_t *, libevtx_error_t **);
typedef int (*utf8_get_fn)(libevtx_record_t *, uint8_t *, size_t, libevtx_error_t **);

static void put_libstr(tm_fields_enc *e, const char *name, libevtx_record_t *rec, utf8_size_fn sz, utf8_get_fn get)
{
    size_t n = 0;
    libevtx_error_t *err = NULL;
    int rc = sz(rec, &n, &err);
    if (rc != 1 || n == 0 || n > (1u << 20)) {
        libevtx_error_free(&err);
        return;
    }
    uint8_t *buf = tm_xmalloc(n);
    if (get(rec, buf, n, &err) == 1) {
        buf[n - 1] = 0;
        tm_fenc_str(e, name, (const char *)buf);
    }
    libevtx_error_free(&err);
    free(buf);
}

/* ---- XML ---------------------------------------------------------------- */

static const char *lname(const xmlNode *n)
{
    return (const char *)n->name;
}

static char *node_text(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return NULL;
    char *s = tm_xstrdup((const char *)t);
    xmlFree(t);
    return s;
}

static char *attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = tm_xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

static void put_owned(tm_fields_enc *e, const char *name, char *s)
{
    if (s)
        tm_fenc_str(e, name, s);
    free(s);
}

static void system_fields(tm_fields_enc *e, const xmlNode *sys)
{
    for (const xmlNode *c = sys->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *n = lname(c);
        if (strcmp(n, "Provider") == 0) {
            put_owned(e, "provider_guid", attr(c, "Guid"));
            put_owned(e, "event_source", attr(c, "EventSourceName"));
        } else if (strcmp(n, "Channel") == 0) {
            put_owned(e, "channel", node_text(c));
        } else if (strcmp(n, "Task") == 0) {
            put_owned(e, "task", node_text(c));
        } else if (strcmp(n, "Opcode") == 0) {
            put_owned(e, "opcode", node_text(c));
        } else if (strcmp(n, "Keywords") == 0) {
            put_owned(e, "keywords", node_text(c));
        } else if (strcmp(n, "Version") == 0) {
            put_owned(e, "version", node_text(c));
        } else if (strcmp(n, "Execution") == 0) {
            put_owned(e, "process_id", attr(c, "ProcessID"));
            put_owned(e, "thread_id", attr(c, "ThreadID"));
        } else if (strcmp(n, "Correlation") == 0) {
            put_owned(e, "activity_id", attr(c, "ActivityID"));
        } else if (strcmp(n, "TimeCreated") == 0) {
            char *t = attr(c, "SystemTime");
            int64_t us;
            if (t && tm_time_parse_iso(t, &us))
                tm_fenc_time(e, "time_created", us);
            free(t);
        }
    }
}

static void data_fields(tm_fields_enc *e, const xmlNode *ed)
{
    unsigned unnamed = 0;
    for (const xmlNode *c = ed->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char key[300];
        char *name = strcmp(lname(c), "Data") == 0 ? attr(c, "Name") : NULL;
        if (name && *name)
            snprintf(key, sizeof key, "data.%.250s", name);
        else if (strcmp(lname(c), "Data") == 0)
            snprintf(key, sizeof key, "data.%u", ++unnamed);
        else
            snprintf(key, sizeof key, "data.%.250s", lname(c));
        free(name);
        put_owned(e, key, node_text(c));
    }
}

static void user_fields(tm_fields_enc *e, const xmlNode *ud)
{
    /* UserData holds one provider-defined element whose children are the
     * named values (e.g. LogFileCleared/SubjectUserName). */
    for (const xmlNode *c = ud->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        tm_fenc_str(e, "userdata", lname(c));
        data_fields(e, c);
        break;
    }
}

/* Adds the fields only the XML carries. Returns false when it does not parse. */
static bool xml_fields(tm_fields_enc *e, const char *xml, size_t len)
{
    /* XML parsers turn CR LF into LF; values keep their CRs as &#13;. */
    tm_buf cr;
    tm_buf_init(&cr);
    if (memchr(xml, '\r', len)) {
        for (size_t i = 0; i < len; i++) {
            if (xml[i] == '\r')
                tm_buf_puts(&cr, "&#13;");
            else
                tm_buf_putc(&cr, xml[i]);
        }
        xml = cr.data;
        len = cr.len;
    }
    xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    tm_buf_free(&cr);
    if (!doc)
        return false;
    xmlNode *root = xmlDocGetRootElement(doc);
    for (xmlNode *c = root ? root->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(lname(c), "System") == 0)
            system_fields(e, c);
        else if (strcmp(lname(c), "EventData") == 0)
            data_fields(e, c);
        else if (strcmp(lname(c), "UserData") == 0)
            user_fields(e, c);
    }
    xmlFreeDoc(doc);
    return true;
}

static char *record_xml(libevtx_record_t *rec, size_t *len)
{
    size_t n = 0;
    libevtx_error_t *err = NULL;
    if (libevtx_record_get_utf8_xml_string_size(rec, &n, &err) != 1 || n == 0 || n > (64u << 20)) {
        libevtx_error_free(&err);
        return NULL;
    }
    char *buf = tm_xmalloc(n);
    if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)buf, n, &err) != 1) {
        libevtx_error_free(&err);
        free(buf);
        return NULL;
    }
    buf[n - 1] = '\0';
    *len = strlen(buf);
    return buf;
}

/* Channel fallback from a file name: "Microsoft-Windows-Sysmon%4Operational.evtx". */
static void channel_from_name(const char *name, char *out, size_t n)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t k = 0;
    for (const char *p = base; *p && k + 1 < n; p++) {
        if (p[0] == '%' && p[1] == '4') {
            out[k++] = '/';
            p++;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    size_t l = strlen(out);
    if (l > 5 && strcmp(out + l - 5, ".evtx") == 0)
        out[l - 5] = '\0';
}

/* The channel inside rendered XML, without parsing it. */
static bool xml_channel(const char *xml, char *out, size_t n)
{
    const char *a = strstr(xml, "<Channel>");
    if (!a)
        return false;
    a += 9;
    const char *b = strstr(a, "</Channel>");
    if (!b)
        return false;
    snprintf(out, n, "%.*s", (int)(b - a), a);
    return true;
}

/* Subscription: lines "CHANNEL<TAB>EVENT_ID", '*' for any. */
typedef struct {
    char channel[256];
    bool any_channel, any_id;
    uint32_t id;
} want_t;

static size_t parse_want(const char *want, want_t **out)
{
    size_t n = 0, cap = 0;
    want_t *w = NULL;
    const char *p = want;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *tab = memchr(p, '\t', len);
        if (tab) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                w = tm_xrealloc(w, cap * sizeof *w);
            }
            want_t *x = &w[n++];
            snprintf(x->channel, sizeof x->channel, "%.*s", (int)(tab - p), p);
            x->any_channel = strcmp(x->channel, "*") == 0;
            x->any_id = tab[1] == '*';
            x->id = (uint32_t)strtoul(tab + 1, NULL, 10);
        }
        p = nl ? nl + 1 : NULL;
    }
    *out = w;
    return n;
}

static bool id_wanted(const want_t *w, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (w[i].any_id || w[i].id == id)
            return true;
    return false;
}

static bool wanted(const want_t *w, size_t n, uint32_t id, const char *channel)
{
    for (size_t i = 0; i < n; i++)
        if ((w[i].any_id || w[i].id == id) && (w[i].any_channel || strcasecmp(w[i].channel, channel) == 0))
            return true;
    return false;
}

static void emit_record(libevtx_record_t *rec, tm_emit *out, bool recovered, uint64_t index,
                        const char *fallback_channel, const char *xml)
{
    libevtx_error_t *err = NULL;
    uint64_t id = 0, ft = 0;
    uint32_t event_id = 0, qual = 0;
    uint8_t level = 0;
    uint64_t offset = 0;
    bool has_id = libevtx_record_get_identifier(rec, &id, &err) == 1;
    libevtx_error_free(&err);
    if (libevtx_record_get_written_time(rec, &ft, &err) != 1)
        ft = 0;
    libevtx_error_free(&err);
    bool has_eid = libevtx_record_get_event_identifier(rec, &event_id, &err) == 1;
    libevtx_error_free(&err);
    bool has_q = libevtx_record_get_event_identifier_qualifiers(rec, &qual, &err) == 1;
    libevtx_error_free(&err);
    bool has_level = libevtx_record_get_event_level(rec, &level, &err) == 1;
    libevtx_error_free(&err);
    off64_t o = 0;
    if (libevtx_record_get_offset(rec, &o, &err) == 1 && o >= 0)
        offset = (uint64_t)o;
    libevtx_error_free(&err);

    tm_fields_enc *e = tm_emit_begin(out, TM_ART_EVTX, recovered ? TM_REC_RECOVERED : 0, has_id ? id : index,
                                     tm_time_from_filetime(ft));
    if (has_id)
        tm_fenc_uint(e, "record_id", id);
    if (offset) /* libevtx knows it only for some records */
        tm_fenc_uint(e, "offset", offset);
    if (has_eid)
        tm_fenc_uint(e, "event_id", event_id);
    if (has_q)
        tm_fenc_uint(e, "qualifiers", qual);
    if (has_level)
        tm_fenc_uint(e, "level", level);
    put_libstr(e, "provider", rec, libevtx_record_get_utf8_source_name_size, libevtx_record_get_utf8_source_name);
    put_libstr(e, "computer", rec, libevtx_record_get_utf8_computer_name_size, libevtx_record_get_utf8_computer_name);
    put_libstr(e, "user_sid", rec, libevtx_record_get_utf8_user_security_identifier_size,
               libevtx_record_get_utf8_user_security_identifier);
    bool have_channel = false;
    if (xml) {
        if (!xml_fields(e, xml, strlen(xml)))
            tm_fenc_bool(e, "xml_unparsable", true);
        have_channel = strstr(xml, "<Channel>") != NULL;
    }
    if (!have_channel && fallback_channel[0]) {
        tm_fenc_str(e, "channel", fallback_channel);
        tm_fenc_bool(e, "channel_from_file_name", true);
    }
    tm_emit_end(out);
}

/* Per-file state shared by the libevtx path and the native fallback. */
typedef struct {
    const tm_job *job;
    tm_source *src;
    tm_emit *out;
    tm_read_stats *st;
    want_t *wants;
    size_t nwant;
    char fallback[256];
    uint64_t prev_id;
    tm_evtx_walk *native;
    bool native_tried;
} evtx_ctx;

static void note_record(evtx_ctx *x, uint64_t id, int64_t t)
{
    tm_read_stats *st = x->st;
    if (id) {
        if (!st->first_id)
            st->first_id = id;
        if (x->prev_id && id != x->prev_id + 1) {
            st->id_gaps++;
            if (id > x->prev_id)
                st->ids_missing += id - x->prev_id - 1;
        }
        x->prev_id = st->last_id = id;
    }
    if (t != INT64_MIN) {
        if (st->first_time == INT64_MIN || t < st->first_time)
            st->first_time = t;
        if (st->last_time == INT64_MIN || t > st->last_time)
            st->last_time = t;
    }
}

static tm_evtx_walk *native(evtx_ctx *x)
{
    if (!x->native_tried) {
        x->native_tried = true;
        x->native = tm_evtx_walk_open(x->src);
    }
    return x->native;
}

/* Decodes native record j (the fallback). Returns true when it was read. */
static bool native_record(evtx_ctx *x, size_t j)
{
    uint64_t id;
    int64_t written;
    if (!tm_evtx_walk_header(x->native, j, &id, &written))
        return false;
    tm_fields_enc *e = tm_emit_begin(x->out, TM_ART_EVTX, 0, id, written);
    uint32_t eid = 0;
    char channel[256];
    uint64_t rid;
    int64_t w2;
    if (!tm_evtx_walk_decode(x->native, j, e, &rid, &w2, &eid, channel, sizeof channel)) {
        tm_emit_abort(x->out);
        return false;
    }
    note_record(x, id, written);
    if (!x->st->label[0] && channel[0])
        snprintf(x->st->label, sizeof x->st->label, "%.127s", channel);
    if (!channel[0]) {
        tm_fenc_str(e, "channel", x->fallback);
        tm_fenc_bool(e, "channel_from_file_name", true);
    }
    if (!x->job->all && !wanted(x->wants, x->nwant, eid, channel[0] ? channel : x->fallback)) {
        tm_emit_abort(x->out);
        x->st->filtered++;
        return true;
    }
    tm_fenc_str(e, "decoded_by", "toolmark");
    tm_emit_end(x->out);
    x->st->records++;
    return true;
}

/* Slack records libevtx found but could not decode: decode them natively,
 * skipping those libevtx already delivered (by record id). */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The slack records libevtx could not recover, through toolmark's decoder.
 * A record decoded here counts as read whether it is delivered, not asked
 * for (filtered) or a copy of one libevtx recovered; only what neither
 * decoder could read is reported. seen[] (sorted here) holds the ids
 * libevtx recovered. */
static void recover_native(evtx_ctx *x, uint64_t *seen, size_t nseen, size_t failed)
{
    size_t decoded = 0;
    if (nseen > 1)
        qsort(seen, nseen, sizeof *seen, cmp_u64);
    if (native(x)) {
        for (size_t j = 0; j < tm_evtx_walk_slack_count(x->native); j++) {
            uint64_t id;
            uint32_t eid = 0;
            char channel[256];
            if (!tm_evtx_walk_slack_decode(x->native, j, x->out, &id, &eid, channel, sizeof channel))
                continue;
            decoded++;
            if (bsearch(&id, seen, nseen, sizeof *seen, cmp_u64)) {
                tm_emit_abort(x->out); /* libevtx recovered it already */
                continue;
            }
            if (!x->job->all && !wanted(x->wants, x->nwant, eid, channel[0] ? channel : x->fallback)) {
                tm_emit_abort(x->out);
                x->st->filtered++;
                continue;
            }
            tm_fenc_str(&x->out->enc, "decoded_by", "toolmark");
            tm_emit_end(x->out);
            x->st->records++;
            x->st->recovered++;
        }
    }
    /* What neither decoder can read is what is left of records partly
     * overwritten when the log was reused: counted, not an error. */
    if (decoded < failed)
        x->st->fragments += failed - decoded;
}

/* libevtx could not open the file at all (a damaged file header, say):
 * read the chunks that are intact. */
static int native_only(evtx_ctx *x, const char *why)
{
    if (!native(x)) {
        tm_emit_problem(x->out, 0, true, "not a readable EVTX file: %s", why ? why : "no chunk found");
        return -1;
    }
    if (why)
        tm_emit_problem(x->out, 0, false, "libevtx cannot open the file (%s); reading its chunks directly", why);
    size_t n = tm_evtx_walk_count(x->native), first = 0, last = n;
    if (x->job->parts > 1) {
        first = n * x->job->part / x->job->parts;
        last = n * (x->job->part + 1) / x->job->parts;
    }
    for (size_t j = first; j < last; j++) {
        if (!native_record(x, j)) {
            tm_emit_problem(x->out, j, false, "record #%zu (index) unreadable", j);
            x->st->skipped++;
        }
        if ((j + 1 - first) % PROGRESS_EVERY == 0)
            tm_emit_progress(x->out, j + 1 - first);
    }
    x->st->total = last - first;
    return 0;
}

int tm_read_evtx(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    libevtx_error_t *err = NULL;
    libevtx_file_t *file = NULL;
    libbfio_handle_t *bfio = tm_bfio_from_source(src);
    char msg[512];
    evtx_ctx x = {.job = job, .src = src, .out = out, .st = st};
    channel_from_name(job->name ? job->name : job->path, x.fallback, sizeof x.fallback);
    x.nwant = job->all ? 0 : parse_want(job->want, &x.wants);
    int rc = 0;
    if (!bfio || libevtx_file_initialize(&file, &err) != 1) {
        evtx_errmsg(&err, msg, sizeof msg);
        tm_emit_problem(out, 0, true, "cannot initialise libevtx: %s", msg);
        rc = -1;
        goto done;
    }
    if (job->native) {
        rc = native_only(&x, NULL);
        goto done;
    }
    if (libevtx_file_open_file_io_handle(file, bfio, LIBEVTX_OPEN_READ, &err) != 1) {
        evtx_errmsg(&err, msg, sizeof msg);
        rc = native_only(&x, msg);
        goto done;
    }
    uint32_t flags = 0;
    if (libevtx_file_get_flags(file, &flags, &err) == 1)
        st->dirty = (flags & LIBEVTX_FILE_FLAG_IS_DIRTY) != 0;
    libevtx_error_free(&err);
    int n = 0;
    if (libevtx_file_get_number_of_records(file, &n, &err) != 1)
        n = 0;
    libevtx_error_free(&err);
    uint64_t first = 0, last = (uint64_t)n;
    if (job->parts > 1) {
        first = (uint64_t)n * job->part / job->parts;
        last = (uint64_t)n * (job->part + 1) / job->parts;
    }
    if (libevtx_file_is_corrupted(file, &err) == 1)
        tm_emit_problem(out, 0, false, "libevtx reports the file as corrupted: damaged chunks are skipped");
    libevtx_error_free(&err);
    for (uint64_t i = first; i < last; i++) {
        libevtx_record_t *rec = NULL;
        if (libevtx_file_get_record_by_index(file, (int)i, &rec, &err) != 1) {
            evtx_errmsg(&err, msg, sizeof msg);
            /* libevtx 20181227 cannot decode some valid records (no
             * dependency identifiers): decode them natively. The native
             * index follows the same chunks and records. */
            if (!native(&x) || i >= tm_evtx_walk_count(x.native) || !native_record(&x, (size_t)i)) {
                tm_emit_problem(out, i, false, "record #%llu (index) unreadable: %s", (unsigned long long)i, msg);
                st->skipped++;
            }
            continue;
        }
        uint64_t id = 0, ft = 0;
        uint32_t eid = 0;
        if (libevtx_record_get_identifier(rec, &id, &err) != 1)
            id = 0;
        libevtx_error_free(&err);
        if (libevtx_record_get_written_time(rec, &ft, &err) != 1)
            ft = 0;
        libevtx_error_free(&err);
        note_record(&x, id, ft ? tm_time_from_filetime(ft) : INT64_MIN);
        bool has_eid = libevtx_record_get_event_identifier(rec, &eid, &err) == 1;
        libevtx_error_free(&err);
        char *xml = NULL;
        /* The file's channel, once, from its first record. */
        if (!st->label[0]) {
            size_t len;
            xml = record_xml(rec, &len);
            if (xml)
                xml_channel(xml, st->label, sizeof st->label);
        }
        bool emit = job->all;
        if (!emit && has_eid && id_wanted(x.wants, x.nwant, eid)) {
            size_t len;
            if (!xml)
                xml = record_xml(rec, &len);
            char channel[256] = "";
            if (!xml || !xml_channel(xml, channel, sizeof channel))
                snprintf(channel, sizeof channel, "%s", x.fallback);
            emit = wanted(x.wants, x.nwant, eid, channel);
        }
        if (emit) {
            if (job->all && !xml) {
                size_t len;
                xml = record_xml(rec, &len);
            }
            emit_record(rec, out, false, i, x.fallback, xml);
            st->records++;
        } else {
            st->filtered++;
        }
        free(xml);
        libevtx_record_free(&rec, NULL);
        if ((i + 1 - first) % PROGRESS_EVERY == 0)
            tm_emit_progress(out, i + 1 - first);
    }
    st->total = last - first;
    /* Records libevtx could not decode but toolmark's decoder did carry
     * decoded_by = toolmark: nothing was lost, nothing to report. */
    /* Records left in slack (after a clear or roll-over); read once, by the
     * job that covers the end of the file. */
    if (last == (uint64_t)n) {
        int nr = 0;
        if (libevtx_file_get_number_of_recovered_records(file, &nr, &err) != 1)
            nr = 0;
        libevtx_error_free(&err);
        uint64_t *seen = tm_xcalloc((size_t)nr + 1, sizeof *seen);
        size_t nseen = 0, failed = 0;
        for (int i = 0; i < nr; i++) {
            libevtx_record_t *rec = NULL;
            if (libevtx_file_get_recovered_record_by_index(file, i, &rec, &err) != 1) {
                libevtx_error_free(&err);
                failed++;
                continue;
            }
            uint64_t rid = 0;
            if (libevtx_record_get_identifier(rec, &rid, NULL) == 1)
                seen[nseen++] = rid;
            bool emit = job->all;
            size_t len;
            char *xml = record_xml(rec, &len);
            if (!emit) {
                uint32_t eid = 0;
                char channel[256] = "";
                if (!xml || !xml_channel(xml, channel, sizeof channel))
                    snprintf(channel, sizeof channel, "%s", x.fallback);
                emit = libevtx_record_get_event_identifier(rec, &eid, NULL) == 1 &&
                       wanted(x.wants, x.nwant, eid, channel);
            }
            if (emit) {
                emit_record(rec, out, true, (uint64_t)i, x.fallback, xml);
                st->records++;
                st->recovered++;
            } else {
                st->filtered++;
            }
            free(xml);
            libevtx_record_free(&rec, NULL);
        }
        if (failed)
            recover_native(&x, seen, nseen, failed);
        free(seen);
    }
    libevtx_file_close(file, NULL);
done:
    libevtx_file_free(&file, NULL);
    tm_bfio_free(&bfio);
    tm_evtx_walk_close(x.native);
    free(x.wants);
    return rc;
}
