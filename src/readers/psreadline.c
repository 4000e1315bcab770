/* PSReadLine history (ConsoleHost_history.txt): one command per line, a
 * multi-line command written as lines ending in a backtick. The file has no
 * per-command times: each record carries the file's creation and last-write
 * times as bounds, and the last command is marked (it ran shortly before the
 * last write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers/psreadline.h"
#include "readers/reader.h"
#include "util/timeutil.h"

#define CHUNK (256u << 10)

/* A line continues the command when it ends in a backtick: PSReadLine
 * writes each line break inside a command as "`" + newline and reads its
 * file back by that rule alone. (A brace or quote left open does not join
 * lines: PSReadLine wrote the backticks if the command went on, and a
 * hostile or cut line must not swallow the commands after it.) */
static bool ends_with_backtick(const char *s, size_t n)
{
    return n > 0 && s[n - 1] == '`';
}

void tm_psrl_init(tm_psrl *p)
{
    memset(p, 0, sizeof *p);
    tm_buf_init(&p->cmd);
}

void tm_psrl_free(tm_psrl *p)
{
    tm_buf_free(&p->cmd);
}

/* Adds a line (without its newline); returns true when a command is complete
 * in p->cmd (first line p->first_line, p->nlines lines). */
bool tm_psrl_line(tm_psrl *p, const char *s, size_t n, uint64_t lineno, bool cut)
{
    if (p->nlines == 0) {
        tm_buf_reset(&p->cmd);
        p->first_line = lineno;
        p->truncated = false;
    } else {
        tm_buf_putc(&p->cmd, '\n');
    }
    /* a line cut for length lost its end: it cannot say that the command goes on */
    bool cont = !cut && ends_with_backtick(s, n);
    size_t keep = cont ? n - 1 : n; /* the continuation backtick is not part of the command */
    if (p->cmd.len + keep <= TM_PSRL_MAX_COMMAND)
        tm_buf_put(&p->cmd, s, keep);
    else
        p->truncated = true;
    p->truncated |= cut;
    p->nlines++;
    return !cont || p->nlines >= TM_PSRL_MAX_LINES;
}

static void emit_command(const tm_job *job, tm_emit *out, tm_psrl *p, bool last, tm_read_stats *st)
{
    /* Skip blank commands. */
    size_t i = 0;
    while (i < p->cmd.len && (p->cmd.data[i] == ' ' || p->cmd.data[i] == '\t' || p->cmd.data[i] == '\n'))
        i++;
    if (i == p->cmd.len)
        return;
    st->records++;
    tm_fields_enc *e = tm_emit_begin(out, TM_ART_PSREADLINE, 0, p->first_line, TM_TIME_NONE);
    tm_fenc_uint(e, "line", p->first_line);
    tm_fenc_uint(e, "lines", p->nlines);
    tm_fenc_strn(e, "command", p->cmd.data, p->cmd.len);
    tm_fenc_str(e, "user", job->user);
    tm_fenc_time(e, "not_before", job->crtime);
    tm_fenc_time(e, "not_after", job->mtime);
    if (last)
        tm_fenc_bool(e, "last_command", true);
    if (p->truncated)
        tm_fenc_bool(e, "truncated", true);
    if (p->nlines >= TM_PSRL_MAX_LINES)
        tm_fenc_bool(e, "unterminated", true);
    tm_emit_end(out);
}

int tm_read_psreadline(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    tm_psrl p;
    tm_psrl_init(&p);
    tm_buf line;
    tm_buf_init(&line);
    char *buf = tm_xmalloc(CHUNK);
    uint64_t off = 0, lineno = 0;
    bool pending = false; /* a complete command waits: is it the last one? */
    tm_psrl heldp; /* the waiting command, to mark the file's last */
    tm_psrl_init(&heldp);
    int rc = 0;
    bool at_start = true, cut = false;
    for (;;) {
        ssize_t n = tm_source_pread(src, off, buf, CHUNK);
        if (n < 0) {
            tm_emit_problem(out, TM_POS_LINE, lineno, true, "read error at byte %llu: %s", (unsigned long long)off, src->err);
            rc = -1;
            break;
        }
        size_t i = 0;
        if (at_start && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            i = 3; /* UTF-8 BOM */
        at_start = false;
        bool eof = n == 0;
        for (; i < (size_t)n || (eof && line.len); i++) {
            bool nl = i < (size_t)n && buf[i] == '\n';
            if (i < (size_t)n && !nl) {
                if (line.len < TM_PSRL_MAX_LINE)
                    tm_buf_putc(&line, buf[i]);
                else
                    cut = true;
                continue;
            }
            size_t l = line.len;
            if (l > 0 && line.data[l - 1] == '\r')
                l--;
            lineno++;
            if (tm_psrl_line(&p, line.data ? line.data : "", l, lineno, cut)) {
                if (pending)
                    emit_command(job, out, &heldp, false, st);
                /* Hold the finished command until we know whether another follows. */
                tm_psrl tmp = heldp;
                heldp = p;
                p = tmp;
                p.nlines = 0;
                pending = true;
            }
            tm_buf_reset(&line);
            cut = false;
            if (i >= (size_t)n)
                break;
        }
        if (eof)
            break;
        off += (uint64_t)n;
    }
    if (p.nlines > 0) {
        /* An unterminated multi-line command at the end: deliver it. */
        if (pending)
            emit_command(job, out, &heldp, false, st);
        emit_command(job, out, &p, true, st);
        pending = false;
    }
    if (pending)
        emit_command(job, out, &heldp, true, st);
    st->total = st->records;
    free(buf);
    tm_buf_free(&line);
    tm_psrl_free(&p);
    tm_psrl_free(&heldp);
    return rc;
}
