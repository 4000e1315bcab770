#include "image/artifact.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/pathsafe.h"

static const char *const kind_names[TM_ART__COUNT] = {
    [TM_ART_EVTX] = "evtx",         [TM_ART_REGISTRY] = "registry", [TM_ART_REGISTRY_LOG] = "registry-log",
    [TM_ART_USN] = "usn",           [TM_ART_ATJOB] = "atjob",       [TM_ART_TASK] = "task",
    [TM_ART_PSREADLINE] = "psreadline", [TM_ART_PREFETCH] = "prefetch",
};

const char *tm_art_kind_name(tm_art_kind k)
{
    return (unsigned)k < TM_ART__COUNT ? kind_names[k] : "unknown";
}

int tm_art_kind_from_name(const char *name)
{
    for (int k = 0; k < TM_ART__COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

#define HIVE(sub, dir, name)                                                                                           \
    {TM_ART_REGISTRY, sub, dir, name, false, NULL, -1}, { TM_ART_REGISTRY_LOG, sub, dir, name ".LOG*", false, NULL, -1 }
#define USER_HIVE(sub, dir, name)                                                                                      \
    {TM_ART_REGISTRY, sub, dir, name, false, NULL, 1}, { TM_ART_REGISTRY_LOG, sub, dir, name ".LOG*", false, NULL, 1 }

const tm_path_rule tm_path_rules[] = {
    {TM_ART_EVTX, NULL, "Windows/System32/winevt/Logs", "*.evtx", false, NULL, -1},
    HIVE("SYSTEM", "Windows/System32/config", "SYSTEM"),
    HIVE("SOFTWARE", "Windows/System32/config", "SOFTWARE"),
    HIVE("SAM", "Windows/System32/config", "SAM"),
    HIVE("SECURITY", "Windows/System32/config", "SECURITY"),
    USER_HIVE("NTUSER", "Users/*", "NTUSER.DAT"),
    USER_HIVE("NTUSER", "Documents and Settings/*", "NTUSER.DAT"),
    USER_HIVE("USRCLASS", "Users/*/AppData/Local/Microsoft/Windows", "UsrClass.dat"),
    HIVE("AMCACHE", "Windows/AppCompat/Programs", "Amcache.hve"),
    {TM_ART_PSREADLINE, NULL, "Users/*/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine", "*_history.txt", false,
     NULL, 1},
    {TM_ART_USN, NULL, "$Extend", "$UsnJrnl", false, "$J", -1},
    {TM_ART_ATJOB, NULL, "Windows/Tasks", "*.job", false, NULL, -1},
    {TM_ART_TASK, NULL, "Windows/System32/Tasks", "*", true, NULL, -1},
    {TM_ART_PREFETCH, NULL, "Windows/Prefetch", "*.pf", false, NULL, -1},
};
const size_t tm_path_rules_count = sizeof tm_path_rules / sizeof tm_path_rules[0];

/* Splits s on '/' into at most max components (pointers into a copy). */
static size_t split_path(char *s, char **parts, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
        parts[n++] = t;
    return n;
}

const tm_path_rule *tm_classify_win_path(const char *win_path, char **user)
{
    enum { MAXC = 64 };
    *user = NULL;
    char *copy = tm_xstrdup(win_path);
    char *parts[MAXC];
    size_t np = split_path(copy, parts, MAXC);
    const tm_path_rule *found = NULL;
    for (size_t r = 0; r < tm_path_rules_count && !found; r++) {
        const tm_path_rule *rule = &tm_path_rules[r];
        char *dcopy = tm_xstrdup(rule->dir);
        char *dparts[MAXC];
        size_t nd = split_path(dcopy, dparts, MAXC);
        bool ok = np > nd && (rule->recursive || np == nd + 1);
        for (size_t i = 0; ok && i < nd; i++)
            ok = tm_iglob(dparts[i], parts[i]);
        if (ok)
            ok = tm_iglob(rule->name, parts[np - 1]);
        if (ok) {
            found = rule;
            if (rule->user_component >= 0 && (size_t)rule->user_component < np)
                *user = tm_xstrdup(parts[rule->user_component]);
        }
        free(dcopy);
    }
    free(copy);
    return found;
}

void tm_input_add_problem(tm_input *in, const char *scope, const char *where, const char *fmt, ...)
{
    in->problems = tm_xrealloc(in->problems, (in->nproblems + 1) * sizeof *in->problems);
    tm_problem *p = &in->problems[in->nproblems++];
    p->scope = tm_xstrdup(scope);
    p->where = tm_xstrdup(where ? where : "");
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    p->message = tm_xstrdup(tmp);
}

tm_artifact *tm_input_add_artifact(tm_input *in)
{
    in->arts = tm_xrealloc(in->arts, (in->narts + 1) * sizeof *in->arts);
    tm_artifact *a = &in->arts[in->narts++];
    memset(a, 0, sizeof *a);
    a->times.crtime = a->times.mtime = a->times.atime = a->times.ctime = INT64_MIN;
    a->times.fn_crtime = a->times.fn_mtime = a->times.fn_atime = a->times.fn_ctime = INT64_MIN;
    return a;
}

tm_volume *tm_input_add_volume(tm_input *in)
{
    in->vols = tm_xrealloc(in->vols, (in->nvols + 1) * sizeof *in->vols);
    tm_volume *v = &in->vols[in->nvols++];
    memset(v, 0, sizeof *v);
    v->index = -1;
    return v;
}

void tm_artifact_free(tm_artifact *a)
{
    free(a->subtype);
    free(a->path);
    free(a->win_path);
    free(a->stream);
    free(a->user);
}

void tm_artifact_inode_str(const tm_artifact *a, char *out, size_t n)
{
    if (!a->has_inode) {
        if (n)
            out[0] = '\0';
        return;
    }
    snprintf(out, n, "%" PRIu64 "-%" PRIu32 "-%u", a->inode, a->attr_type, (unsigned)a->attr_id);
}
