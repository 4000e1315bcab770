/* EVTX reader. Chunk by chunk, each chunk read once: toolmark's own decoder
 * (evtx_native.c) decodes every record, live and in slack; a record it
 * cannot decode is read through libevtx, which gives record id, written
 * time, event id, provider, computer and SID directly and the rest only as
 * rendered XML (parsed with libxml2). docs/readers.md says why the order is
 * this way round (speed, and records libevtx 20181227 cannot decode). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libevtx.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "readers/bfio_bridge.h"
#include "readers/evtx_native.h"
#include "readers/evtx_want.h"
#include "readers/reader.h"
#include "util/yal_message.h"
#include "util/timeutil.h"

#define PROGRESS_EVERY 4096

static void evtx_errmsg(libevtx_error_t **err, char *out, size_t n)
{
    out[0] = '\0';
    if (*err) {
        libevtx_error_backtrace_sprint(*err, out, n);
        libevtx_error_free(err);
    }
    tm_yal_message(out, n);
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

static void emit_record(libevtx_record_t *rec, tm_emit *out, bool recovered, uint64_t index,
                        const char *fallback_channel, const char *xml, const char *decoded_by)
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
    if (decoded_by)
        tm_fenc_str(e, "decoded_by", decoded_by);
    if (!have_channel && fallback_channel[0]) {
        tm_fenc_str(e, "channel", fallback_channel);
        tm_fenc_bool(e, "channel_from_file_name", true);
    }
    tm_emit_end(out);
}

/* Per-file state. */
typedef struct {
    const tm_job *job;
    tm_source *src;
    tm_emit *out;
    tm_read_stats *st;
    tm_evtx_want *wants; /* NULL when the job wants everything */
    char fallback[256];
    uint64_t prev_id;
    /* libevtx, opened on the first record toolmark's decoder cannot read */
    libbfio_handle_t *bfio;
    libevtx_file_t *lib;
    bool lib_tried;
    uint64_t first_chunk;  /* of this job */
    uint64_t declared_chunks; /* the file header's chunk count (0: header unreadable) */
    bool base_known;
    uint64_t index_base;   /* libevtx index of the current chunk's first record */
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

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static libevtx_file_t *lib(evtx_ctx *x)
{
    if (x->lib_tried)
        return x->lib;
    x->lib_tried = true;
    libevtx_error_t *err = NULL;
    x->bfio = tm_bfio_from_source(x->src);
    if (!x->bfio || libevtx_file_initialize(&x->lib, &err) != 1) {
        libevtx_error_free(&err);
        return x->lib = NULL;
    }
    if (libevtx_file_open_file_io_handle(x->lib, x->bfio, LIBEVTX_OPEN_READ, &err) != 1) {
        libevtx_error_free(&err);
        libevtx_file_free(&x->lib, NULL);
        x->lib = NULL;
    }
    return x->lib;
}

/* The libevtx index of this job's first chunk's first record: the records
 * of the chunks before it, by their headers (first and last record number),
 * read only when a fallback needs it. */
static void index_base(evtx_ctx *x)
{
    if (x->base_known)
        return;
    x->base_known = true;
    uint64_t n = 0;
    uint8_t h[64];
    for (uint64_t c = 0; c < x->first_chunk; c++) {
        uint64_t off = TM_EVTX_FILE_HEADER + c * TM_EVTX_CHUNK;
        if (tm_source_pread(x->src, off, h, sizeof h) != (ssize_t)sizeof h || memcmp(h, "ElfChnk", 8) != 0)
            continue;
        uint64_t first = rd64(h + 8), last = rd64(h + 16);
        if (last >= first && last - first < TM_EVTX_CHUNK)
            n += last - first + 1;
    }
    x->index_base += n;
}

/* A record toolmark's decoder cannot read, through libevtx: the record at
 * its index there (checked by identifier, a few neighbours tried when the
 * chunk counts misled). */
static bool lib_record(evtx_ctx *x, uint64_t index, uint64_t want_id, char *msg, size_t mn)
{
    libevtx_file_t *f = lib(x);
    if (!f) {
        snprintf(msg, mn, "libevtx cannot open the file either");
        return false;
    }
    index_base(x);
    index += x->index_base;
    for (int d = 0; d < 7; d++) {
        int64_t i = (int64_t)index + (d % 2 ? (d + 1) / 2 : -(d / 2));
        libevtx_record_t *rec = NULL;
        libevtx_error_t *err = NULL;
        if (i < 0 || i > INT32_MAX || libevtx_file_get_record_by_index(f, (int)i, &rec, &err) != 1) {
            evtx_errmsg(&err, msg, mn);
            continue;
        }
        uint64_t id = 0;
        if (libevtx_record_get_identifier(rec, &id, NULL) != 1 || id != want_id) {
            libevtx_record_free(&rec, NULL);
            continue;
        }
        uint32_t eid = 0;
        bool has_eid = libevtx_record_get_event_identifier(rec, &eid, NULL) == 1;
        size_t len;
        char *xml = record_xml(rec, &len);
        char channel[256] = "";
        if (!xml || !xml_channel(xml, channel, sizeof channel))
            snprintf(channel, sizeof channel, "%s", x->fallback);
        if (x->job->all || (has_eid && tm_evtx_wanted(x->wants, eid, channel))) {
            emit_record(rec, x->out, false, id, x->fallback, xml, "libevtx");
            x->st->records++;
        } else {
            x->st->filtered++;
        }
        if (!x->st->label[0] && channel[0])
            snprintf(x->st->label, sizeof x->st->label, "%.127s", channel);
        free(xml);
        libevtx_record_free(&rec, NULL);
        return true;
    }
    if (!msg[0])
        snprintf(msg, mn, "not found in libevtx's index");
    return false;
}

/* What a contained fallback sends back to the reader it was forked from. */
typedef struct {
    bool ok;
    uint64_t records, filtered;
    char label[128];
    char msg[256];
} fallback_result;

/* A child that faults ends by its signal, quietly: the fault is the
 * library's, said by the parent as a problem on that record. */
static void contain_faults(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
    alarm(60); /* a fallback that hangs costs its record, not the worker */
}

/* lib_record in a child process. libfwevt (inside libevtx 20181227) faults
 * on some damaged records that toolmark's decoder gave up on: run in the
 * worker itself, the fault ended the worker and lost every later record of
 * the log. A child costs a fork per such record (damaged records only);
 * its fault costs that record, reported. The child shares the worker's
 * source (its reads, local or over the worker's socket, are its own while
 * the worker waits) and sends what it read through the same sink, flushed
 * before and after so that no frame is sent twice. */
static bool g_contain = true;

void tm_evtx_contain_fallback(bool on)
{
    g_contain = on;
}

static bool lib_record_contained(evtx_ctx *x, uint64_t index, uint64_t want_id, char *msg, size_t mn)
{
    if (!g_contain)
        return lib_record(x, index, want_id, msg, mn);
    if (!lib(x)) {
        snprintf(msg, mn, "libevtx cannot open the file either");
        return false;
    }
    index_base(x); /* in the parent: every child starts from it */
    tm_emit_flush(x->out);
    fflush(NULL);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return lib_record(x, index, want_id, msg, mn);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return lib_record(x, index, want_id, msg, mn);
    }
    if (pid == 0) {
        close(p[0]);
        contain_faults();
        if (getenv("TOOLMARK_TEST_FALLBACK_FAULT"))
            raise(SIGSEGV); /* tests: the library's fault, on purpose */
        fallback_result r = {0};
        uint64_t rec0 = x->st->records, filt0 = x->st->filtered;
        r.ok = lib_record(x, index, want_id, r.msg, sizeof r.msg);
        r.records = x->st->records - rec0;
        r.filtered = x->st->filtered - filt0;
        snprintf(r.label, sizeof r.label, "%s", x->st->label);
        tm_emit_flush(x->out);
        fflush(NULL);
        ssize_t w = write(p[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(p[1]);
    fallback_result r;
    ssize_t got;
    do
        got = read(p[0], &r, sizeof r);
    while (got < 0 && errno == EINTR);
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            snprintf(msg, mn, "libevtx ended in a fault reading it (%s)",
                     WTERMSIG(status) == SIGALRM ? "no answer in 60 s" : strsignal(WTERMSIG(status)));
        else
            snprintf(msg, mn, "libevtx ended abnormally reading it");
        return false;
    }
    x->st->records += r.records;
    x->st->filtered += r.filtered;
    if (!x->st->label[0] && r.label[0])
        snprintf(x->st->label, sizeof x->st->label, "%s", r.label);
    snprintf(msg, mn, "%s", r.msg);
    return r.ok;
}

/* Decodes one record of a chunk image; true when it was read (delivered
 * or not asked for). */
static bool decode(evtx_ctx *x, const uint8_t *chunk, uint64_t chunk_off, uint32_t off, bool recovered)
{
    uint64_t id;
    int64_t written;
    if (!tm_evtx_record_header(chunk, off, &id, &written))
        return false;
    tm_fields_enc *e = tm_emit_begin(x->out, TM_ART_EVTX, recovered ? TM_REC_RECOVERED : 0, id, written);
    uint32_t eid = 0;
    char channel[256];
    if (!tm_evtx_decode_record(chunk, off, chunk_off, e, &eid, channel, sizeof channel)) {
        tm_emit_abort(x->out);
        return false;
    }
    if (!recovered)
        note_record(x, id, written);
    if (!x->st->label[0] && channel[0] && !recovered)
        snprintf(x->st->label, sizeof x->st->label, "%.127s", channel);
    if (!channel[0]) {
        tm_fenc_str(e, "channel", x->fallback);
        tm_fenc_bool(e, "channel_from_file_name", true);
    }
    if (!x->job->all && !tm_evtx_wanted(x->wants, eid, channel[0] ? channel : x->fallback)) {
        tm_emit_abort(x->out);
        x->st->filtered++;
        return true;
    }
    tm_emit_end(x->out);
    x->st->records++;
    x->st->recovered += recovered;
    return true;
}

/* The file header: the dirty flag. A damaged header is reported; the
 * chunks are read all the same. */
static void file_header(evtx_ctx *x)
{
    uint8_t h[128];
    if (tm_source_pread(x->src, 0, h, sizeof h) != (ssize_t)sizeof h || memcmp(h, "ElfFile", 8) != 0) {
        tm_emit_problem(x->out, TM_POS_NONE, 0, false, "no valid EVTX file header: reading the chunks that are there");
        return;
    }
    uint32_t flags = (uint32_t)h[120] | (uint32_t)h[121] << 8 | (uint32_t)h[122] << 16 | (uint32_t)h[123] << 24;
    x->st->dirty = (flags & 1) != 0;
    x->declared_chunks = (uint64_t)h[0x2A] | (uint64_t)h[0x2B] << 8;
}

/* One chunk's records: the live ones in a row from the chunk's start, then
 * the rest of it searched for records. Records found before the chunk's
 * free-space offset are live records past a damaged one; after it, slack of
 * older records. The chunk header's first and last record identifiers say
 * how many live records there are: those not found are reported. */
static void read_chunk(evtx_ctx *x, const uint8_t *chunk, uint64_t off, bool cut, uint64_t *live)
{
    uint32_t *rec, slack_from;
    size_t n = tm_evtx_chunk_records(chunk, &rec, &slack_from);
    uint64_t found = 0;
    for (size_t k = 0; k < n; k++) {
        (*live)++;
        found++;
        if (decode(x, chunk, off, rec[k], false))
            continue;
        uint64_t id;
        int64_t written;
        tm_evtx_record_header(chunk, rec[k], &id, &written);
        char msg[256] = "";
        if (!lib_record_contained(x, k, id, msg, sizeof msg)) {
            tm_emit_problem(x->out, TM_POS_RECORD_ID, id, false, "record %llu unreadable (neither toolmark's decoder nor libevtx: %s)",
                            (unsigned long long)id, msg);
            x->st->skipped++;
        }
    }
    x->index_base += n;
    free(rec);
    uint32_t free_off = rd32(chunk + 48);
    if (free_off > TM_EVTX_CHUNK || free_off < 0x200)
        free_off = TM_EVTX_CHUNK;
    uint64_t first_id = rd64(chunk + 24), last_id = rd64(chunk + 32);
    bool counted = tm_evtx_is_chunk(chunk) && last_id >= first_id && last_id - first_id < TM_EVTX_CHUNK / 24;
    uint32_t *sl;
    size_t ns = tm_evtx_chunk_slack(chunk, slack_from, &sl);
    for (size_t k = 0; k < ns; k++) {
        uint64_t id;
        int64_t written;
        bool live_past_damage = sl[k] < free_off && tm_evtx_record_header(chunk, sl[k], &id, &written) && counted &&
                                id >= first_id && id <= last_id;
        if (live_past_damage) {
            (*live)++;
            found++;
            if (!decode(x, chunk, off, sl[k], false)) {
                tm_emit_problem(x->out, TM_POS_RECORD_ID, id, false, "record %llu unreadable", (unsigned long long)id);
                x->st->skipped++;
            }
        } else if (!decode(x, chunk, off, sl[k], true)) {
            x->st->fragments++; /* a record partly overwritten: what log reuse leaves, not damage */
        }
    }
    free(sl);
    if (counted && found < last_id - first_id + 1) {
        uint64_t lost = last_id - first_id + 1 - found;
        tm_emit_problem(x->out, TM_POS_OFFSET, off, false, "chunk at offset %llu lists records %llu-%llu, %llu of them %s",
                        (unsigned long long)off, (unsigned long long)first_id, (unsigned long long)last_id,
                        (unsigned long long)lost, cut ? "lie past the end of the file" : "cannot be found (damaged chunk)");
        x->st->skipped += lost;
        *live += lost;
    }
}

/* Every record through libevtx alone, in its index order (the tests compare
 * the two decoders with it). */
static int libevtx_only(evtx_ctx *x)
{
    libevtx_file_t *f = lib(x);
    if (!f) {
        tm_emit_problem(x->out, TM_POS_NONE, 0, true, "libevtx cannot open the file");
        return -1;
    }
    int n = 0;
    libevtx_file_get_number_of_records(f, &n, NULL);
    for (int i = 0; i < n; i++) {
        libevtx_record_t *rec = NULL;
        char msg[256];
        libevtx_error_t *err = NULL;
        if (libevtx_file_get_record_by_index(f, i, &rec, &err) != 1) {
            evtx_errmsg(&err, msg, sizeof msg);
            tm_emit_problem(x->out, TM_POS_RECORD_INDEX, (uint64_t)i, false, "record #%d (index) unreadable: %s", i, msg);
            x->st->skipped++;
            continue;
        }
        size_t len;
        char *xml = record_xml(rec, &len);
        emit_record(rec, x->out, false, (uint64_t)i, x->fallback, xml, NULL);
        x->st->records++;
        free(xml);
        libevtx_record_free(&rec, NULL);
    }
    x->st->total = (uint64_t)n;
    return 0;
}

int tm_read_evtx(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    evtx_ctx x = {.job = job, .src = src, .out = out, .st = st};
    channel_from_name(job->name ? job->name : job->path, x.fallback, sizeof x.fallback);
    x.wants = job->all ? NULL : tm_evtx_want_parse(job->want);
    if (src->size < TM_EVTX_FILE_HEADER + TM_EVTX_CHUNK) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a readable EVTX file: %s",
                        src->size < TM_EVTX_FILE_HEADER ? "shorter than its header" : "no chunk");
        tm_evtx_want_free(x.wants);
        return -1;
    }
    if (job->libevtx_only) {
        int rc = libevtx_only(&x);
        if (x.lib) {
            libevtx_file_close(x.lib, NULL);
            libevtx_file_free(&x.lib, NULL);
        }
        if (x.bfio)
            tm_bfio_free(&x.bfio);
        tm_evtx_want_free(x.wants);
        return rc;
    }
    file_header(&x);
    /* A job reads a range of chunks (large logs are split across workers);
     * the one that reads the last chunk also reads a partial chunk at the
     * end, if any. */
    uint64_t nch = (src->size - TM_EVTX_FILE_HEADER) / TM_EVTX_CHUNK, first = 0, last = nch;
    if (job->parts > 1) {
        first = nch * job->part / job->parts;
        last = nch * (job->part + 1) / job->parts;
    }
    x.first_chunk = first;
    uint8_t *chunk = tm_xmalloc(TM_EVTX_CHUNK);
    uint64_t seen = 0, live = 0, bad_sums = 0, no_header = 0;
    /* the job that reads the last chunk also reads what is left of a chunk
     * cut off by the end of the file */
    uint64_t tail = (src->size - TM_EVTX_FILE_HEADER) % TM_EVTX_CHUNK;
    bool read_tail = last == nch && tail >= 0x200;
    for (uint64_t c = first; c < last + read_tail; c++) {
        uint64_t off = TM_EVTX_FILE_HEADER + c * TM_EVTX_CHUNK;
        size_t want = c < nch ? TM_EVTX_CHUNK : (size_t)tail;
        memset(chunk, 0, TM_EVTX_CHUNK);
        if (tm_source_pread(src, off, chunk, want) != (ssize_t)want) {
            tm_emit_problem(out, TM_POS_OFFSET, off, false, "chunk at offset %llu cannot be read: %s", (unsigned long long)off,
                            src->err[0] ? src->err : "short read");
            continue;
        }
        if (c == nch)
            tm_emit_problem(out, TM_POS_OFFSET, off, false,
                            "the file ends inside the chunk at offset %llu (%zu of its 65536 bytes): records past the "
                            "cut are lost",
                            (unsigned long long)off, want);
        if (!tm_evtx_is_chunk(chunk)) {
            bool empty = true;
            for (size_t i = 0; i < TM_EVTX_CHUNK && empty; i++)
                empty = chunk[i] == 0;
            no_header += !empty; /* an unused chunk is all zeros */
        } else if (c < nch && !tm_evtx_chunk_checksums_ok(chunk)) {
            bad_sums++;
        }
        read_chunk(&x, chunk, off, c == nch, &live);
        if ((++seen) % 16 == 0)
            tm_emit_progress(out, live);
    }
    if (bad_sums)
        tm_emit_problem(out, TM_POS_NONE, 0, false, "%llu chunks fail their checksums: their records are read as they are",
                        (unsigned long long)bad_sums);
    if (no_header)
        tm_emit_problem(out, TM_POS_NONE, 0, false, "%llu chunks have no valid header: only the records found in them are read",
                        (unsigned long long)no_header);
    if (last == nch && x.declared_chunks > nch + read_tail)
        tm_emit_problem(out, TM_POS_OFFSET, src->size, false,
                        "the file is cut short: its header lists %llu chunks, %llu are in it (records of the rest lost)",
                        (unsigned long long)x.declared_chunks, (unsigned long long)(nch + read_tail));
    st->total = live;
    free(chunk);
    if (x.lib) {
        libevtx_file_close(x.lib, NULL);
        libevtx_file_free(&x.lib, NULL);
    }
    if (x.bfio)
        tm_bfio_free(&x.bfio);
    tm_evtx_want_free(x.wants);
    return 0;
}
