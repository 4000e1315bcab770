/* The case's inputs on disk: the manifest, whether a case folder holds
 * results, whether an input's outputs are complete and still match the
 * input (--resume), cleaning what a killed run left, and the record of how
 * each input ended. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "case/case.h"
#include "util/buf.h"
#include "util/fileout.h"

bool tm_manifest_read(const char *file, tm_manifest *m, char *err, size_t errn)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errn, "cannot read the manifest %s: %s", file, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    bool ok = true;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        const char *p = line;
        while (*p == ' ')
            p++;
        if (!*p || *p == '#')
            continue;
        if (strlen(p) != (size_t)(len - (p - line))) {
            snprintf(err, errn, "%s:%zu: a NUL byte in the line", file, lineno);
            ok = false;
            break;
        }
        const char *tab = strchr(p, '\t');
        char *path = tab ? tm_xstrndup(p, (size_t)(tab - p)) : tm_xstrdup(p);
        char *label = tab && tab[1] ? tm_xstrdup(tab + 1) : NULL;
        if (!*path) {
            snprintf(err, errn, "%s:%zu: no path before the label", file, lineno);
            free(path);
            free(label);
            ok = false;
            break;
        }
        TM_GROW(m->paths, m->n);
        m->labels = tm_xrealloc(m->labels, (m->n + 1) * sizeof *m->labels);
        m->paths[m->n] = path;
        m->labels[m->n] = label;
        m->n++;
    }
    free(line);
    fclose(f);
    if (ok && !m->n) {
        snprintf(err, errn, "the manifest %s names no input", file);
        ok = false;
    }
    if (!ok)
        tm_manifest_free(m);
    return ok;
}

void tm_manifest_free(tm_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->paths[i]);
        free(m->labels[i]);
    }
    free(m->paths);
    free(m->labels);
    memset(m, 0, sizeof *m);
}

static bool is_file(const char *dir, const char *name)
{
    char *p = tm_xasprintf("%s/%s", dir, name);
    struct stat st;
    bool yes = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return yes;
}

bool tm_case_has_results(const char *casedir)
{
    DIR *d = opendir(casedir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = tm_xasprintf("%s/%s", casedir, e->d_name);
        struct stat st;
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            found = strcmp(e->d_name, "case") == 0 || is_file(sub, "summary.json");
        free(sub);
    }
    closedir(d);
    return found;
}

bool tm_case_input_done(const char *dir, const char *path, const char *stored_md5, char *why, size_t n)
{
    char *sp = tm_xasprintf("%s/summary.json", dir);
    json_error_t jerr;
    json_t *s = json_load_file(sp, 0, &jerr);
    free(sp);
    if (!s) {
        snprintf(why, n, "its outputs are not complete");
        return false;
    }
    json_t *in = json_object_get(s, "input");
    json_t *fp = json_object_get(in, "fingerprint");
    const char *real = json_string_value(json_object_get(fp, "real_path"));
    json_int_t size = json_integer_value(json_object_get(fp, "file_size"));
    json_int_t mtime = json_integer_value(json_object_get(fp, "file_mtime_us"));
    const char *md5 = json_string_value(json_object_get(json_object_get(in, "stored_hashes"), "md5"));
    char *now_real = realpath(path, NULL);
    struct stat st;
    bool ok = false;
    if (!real || !fp)
        snprintf(why, n, "its summary.json has no fingerprint");
    else if (!now_real || stat(path, &st) != 0)
        snprintf(why, n, "it cannot be found now");
    else if (strcmp(real, now_real) != 0)
        snprintf(why, n, "it is another file now (%s, was %s)", now_real, real);
    else if ((json_int_t)st.st_size != size)
        snprintf(why, n, "its size changed");
    else if ((json_int_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000 != mtime)
        snprintf(why, n, "it was modified since");
    else if ((md5 || stored_md5) && (!md5 || !stored_md5 || strcasecmp(md5, stored_md5) != 0))
        snprintf(why, n, "the hash its E01 stores changed");
    else
        ok = true;
    free(now_real);
    json_decref(s);
    return ok;
}

bool tm_case_input_had_errors(const char *casedir, const char *id)
{
    char *p = tm_xasprintf("%s/%s/summary.json", casedir, id);
    json_error_t jerr;
    json_t *s = json_load_file(p, 0, &jerr);
    free(p);
    bool bad = !s || json_integer_value(json_object_get(s, "errors")) > 0;
    json_decref(s);
    return bad;
}

void tm_case_clean_input(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    bool complete = is_file(dir, "summary.json");
    struct dirent *e;
    while ((e = readdir(d))) {
        bool temp = e->d_name[0] == '.' && strstr(e->d_name, ".tmp-") != NULL;
        /* the outputs of an input whose run did not finish: written again */
        bool stale = !complete && e->d_name[0] != '.' &&
                     (strncmp(e->d_name, "traces.", 7) == 0 || !strcmp(e->d_name, "report.html") ||
                      !strcmp(e->d_name, "errors.jsonl") || !strcmp(e->d_name, "events.jsonl"));
        if (temp || stale) {
            char *p = tm_xasprintf("%s/%s", dir, e->d_name);
            unlink(p);
            free(p);
        }
    }
    closedir(d);
}

const char *tm_case_status_name(tm_case_status s)
{
    switch (s) {
    case TM_CASE_DONE: return "done";
    case TM_CASE_KEPT: return "kept";
    case TM_CASE_NOT_READ: return "not read";
    case TM_CASE_FAILED: return "failed";
    }
    return "?";
}

int tm_case_write_inputs(const char *casedir, char *const *ids, char *const *paths, const tm_case_status *st,
                         size_t n)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_buf_puts(&b, "# id\tstatus\tpath (written by toolmark scan; read by toolmark merge)\n");
    for (size_t i = 0; i < n; i++) {
        /* tabs and line breaks in a path would break the line: spaces instead */
        tm_buf_printf(&b, "%s\t%s\t", ids[i], tm_case_status_name(st[i]));
        for (const char *p = paths[i]; *p; p++)
            tm_buf_putc(&b, *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
        tm_buf_putc(&b, '\n');
    }
    char *p = tm_xasprintf("%s/inputs.tsv", casedir);
    tm_fileout f;
    int rc = tm_fileout_open(&f, p);
    if (rc == 0) {
        tm_fileout_write(&f, b.data, b.len);
        rc = tm_fileout_commit(&f);
    }
    free(p);
    tm_buf_free(&b);
    return rc;
}
