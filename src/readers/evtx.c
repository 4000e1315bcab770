/* EVTX reader (libevtx). libevtx 20181227 gives record id, written time,
 * event id, provider, computer, SID and positional strings directly, and the
 * rendered XML; channel and EventData names come only from the XML, which
 * is the expensive part, so it is rendered only for records that are wanted
 * in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libevtx.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "readers/bfio_bridge.h"
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
    xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
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

static void emit_record(const tm_job *job, libevtx_record_t *rec, tm_emit *out, bool recovered, uint64_t index,
                        const char *fallback_channel)
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
    if (job->all) {
        size_t len = 0;
        char *xml = record_xml(rec, &len);
        if (xml) {
            if (!xml_fields(e, xml, len))
                tm_fenc_bool(e, "xml_unparsable", true);
            have_channel = strstr(xml, "<Channel>") != NULL;
            free(xml);
        }
    }
    if (!have_channel && fallback_channel[0]) {
        tm_fenc_str(e, "channel", fallback_channel);
        tm_fenc_bool(e, "channel_from_file_name", true);
    }
    tm_emit_end(out);
}

int tm_read_evtx(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    libevtx_error_t *err = NULL;
    libevtx_file_t *file = NULL;
    libbfio_handle_t *bfio = tm_bfio_from_source(src);
    char msg[512];
    char fallback[256] = "";
    channel_from_name(job->name ? job->name : job->path, fallback, sizeof fallback);
    if (!bfio || libevtx_file_initialize(&file, &err) != 1) {
        evtx_errmsg(&err, msg, sizeof msg);
        tm_emit_problem(out, 0, true, "cannot initialise libevtx: %s", msg);
        tm_bfio_free(&bfio);
        return -1;
    }
    if (libevtx_file_open_file_io_handle(file, bfio, LIBEVTX_OPEN_READ, &err) != 1) {
        evtx_errmsg(&err, msg, sizeof msg);
        tm_emit_problem(out, 0, true, "not a readable EVTX file: %s", msg);
        libevtx_file_free(&file, NULL);
        tm_bfio_free(&bfio);
        return -1;
    }
    uint32_t flags = 0;
    if (libevtx_file_get_flags(file, &flags, &err) == 1)
        st->dirty = (flags & LIBEVTX_FILE_FLAG_IS_DIRTY) != 0;
    libevtx_error_free(&err);
    int n = 0;
    if (libevtx_file_get_number_of_records(file, &n, &err) != 1)
        n = 0;
    libevtx_error_free(&err);
    st->total = (uint64_t)n;
    uint64_t first = 0, last = (uint64_t)n;
    if (job->parts > 1) {
        first = (uint64_t)n * job->part / job->parts;
        last = (uint64_t)n * (job->part + 1) / job->parts;
    }
    for (uint64_t i = first; i < last; i++) {
        libevtx_record_t *rec = NULL;
        if (libevtx_file_get_record_by_index(file, (int)i, &rec, &err) != 1) {
            evtx_errmsg(&err, msg, sizeof msg);
            tm_emit_problem(out, i, false, "record #%llu (index) unreadable: %s", (unsigned long long)i, msg);
            st->skipped++;
            continue;
        }
        emit_record(job, rec, out, false, i, fallback);
        st->records++;
        libevtx_record_free(&rec, NULL);
        if ((i + 1) % PROGRESS_EVERY == 0)
            tm_emit_progress(out, i + 1 - first);
    }
    /* Records left in slack (after a clear or roll-over); read once, by the
     * job that covers the end of the file. */
    if (last == (uint64_t)n) {
        int nr = 0;
        if (libevtx_file_get_number_of_recovered_records(file, &nr, &err) != 1)
            nr = 0;
        libevtx_error_free(&err);
        for (int i = 0; i < nr; i++) {
            libevtx_record_t *rec = NULL;
            if (libevtx_file_get_recovered_record_by_index(file, i, &rec, &err) != 1) {
                evtx_errmsg(&err, msg, sizeof msg);
                tm_emit_problem(out, (uint64_t)i, false, "recovered record #%d unreadable: %s", i, msg);
                st->skipped++;
                continue;
            }
            emit_record(job, rec, out, true, (uint64_t)i, fallback);
            st->records++;
            st->recovered++;
            libevtx_record_free(&rec, NULL);
        }
    }
    libevtx_file_close(file, NULL);
    libevtx_file_free(&file, NULL);
    tm_bfio_free(&bfio);
    return 0;
}
