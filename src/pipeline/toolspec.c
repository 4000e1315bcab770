#include "pipeline/toolspec.h"

#include "util/strmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cmdline.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

static const char *base_of(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

bool tm_access_of(const tm_record *r, char *source, size_t sn, const char **target, const char **access)
{
    source[0] = 0;
    *target = *access = "";
    if (r->kind != TM_ART_EVTX)
        return false;
    uint32_t id = tm_event_id(r);
    const char *ch = tm_channel(r);
    if (strcasecmp(ch, SYSMON) == 0 && (id == 10 || id == 8)) {
        tm_program_name_of(tm_data(r, "SourceImage"), source, sn);
        *target = tm_data(r, "TargetImage");
        *access = id == 10 ? tm_data(r, "GrantedAccess") : "CreateRemoteThread";
        return true;
    }
    if (strcasecmp(ch, "Security") == 0 && (id == 4656 || id == 4663)) {
        tm_program_name_of(tm_data(r, "ProcessName"), source, sn);
        *target = tm_data(r, "ObjectName");
        *access = *tm_data(r, "AccessList") ? tm_data(r, "AccessList") : tm_data(r, "AccessMask");
        return true;
    }
    return false;
}

static bool any_in(const char *text, const char *const *needles)
{
    for (size_t i = 0; needles && needles[i]; i++)
        if (tm_icontains(text, needles[i]))
            return true;
    return false;
}

static bool any_glob(const char *name, const char *const *globs)
{
    for (size_t i = 0; globs && globs[i]; i++)
        if (tm_iglob(globs[i], name))
            return true;
    return false;
}

static bool candidate(const tm_tool_spec *s, const tm_exec *e)
{
    const char *cl = e->command_line ? e->command_line : "";
    if (s->programs && !any_glob(e->name, s->programs))
        return false;
    if (s->args && !any_in(cl, s->args)) {
        /* exits and Prefetch carry no command line: they join a matching
         * start by program name, so let them through when programs are given */
        if (!(s->programs && (e->kind == TM_EXEC_EXIT || e->kind == TM_EXEC_PREFETCH)))
            return false;
    }
    if (s->args_not && any_in(cl, s->args_not))
        return false;
    return true;
}

/* A file record of the tool: name and the writing program ("" unknown). */
static bool file_of(const tm_tool_spec *s, const tm_record *r, const char **name, char *writer, size_t wn)
{
    writer[0] = 0;
    if (!s->files)
        return false;
    if (r->kind == TM_ART_USN) {
        *name = tm_str(r, "file_name");
        return any_glob(*name, s->files);
    }
    if (r->kind != TM_ART_EVTX)
        return false;
    uint32_t id = tm_event_id(r);
    const char *path = NULL;
    if (id == 11 && strcasecmp(tm_channel(r), SYSMON) == 0) {
        path = tm_data(r, "TargetFilename");
        tm_program_name_of(tm_data(r, "Image"), writer, wn);
    } else if ((id == 4663 || id == 4656) && strcasecmp(tm_channel(r), "Security") == 0 &&
               strcasecmp(tm_data(r, "ObjectType"), "File") == 0) {
        path = tm_data(r, "ObjectName");
        tm_program_name_of(tm_data(r, "ProcessName"), writer, wn);
    }
    if (!path)
        return false;
    *name = base_of(path);
    return any_glob(*name, s->files);
}

static bool targets(const char *target, const char *want)
{
    char prog[48];
    tm_program_name_of(target, prog, sizeof prog);
    return strcasecmp(prog, want) == 0;
}

/* What a spec's trace rests on: its records name the tool (`how`), or -
 * for a program shared by several of the sheet's tools - only the program,
 * and the tools it could be are the candidates. */
static void spec_attribution(tm_trace *t, const tm_tool_spec *s, tm_attribution how, const char *activity)
{
    tm_trace_set(&t->activity, activity);
    if (s->candidates) {
        tm_trace_unattribute(t, s->candidates);
        return;
    }
    if (!t->attribution)
        t->attribution = how;
    for (size_t e = 0; e < t->nev; e++)
        t->ev[e].attributes = true;
}

size_t tm_tool_traces(const tm_view *v, tm_traces *out, const tm_tool_spec *s)
{
    const tm_exec **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    const tm_record *last_r = NULL;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *e = v->items[i].exec;
        if (!e || !candidate(s, e))
            continue;
        if (s->one_per_record && e->r == last_r)
            continue;
        /* the same record may reach the view twice (two subscriptions) */
        bool dup = false;
        for (size_t k = n; k-- > 0 && !dup && k + 8 > n;)
            dup = sel[k] == e;
        if (dup)
            continue;
        sel[n++] = e;
        last_r = e->r;
    }
    tm_runs runs;
    memset(&runs, 0, sizeof runs);
    runs.spill = tm_view_spill(v);
    if (s->one_per_record) {
        /* A script block is one run, whatever it calls; records whose first
         * match is the same text within a minute are one run too (a script
         * in a shell's command line and in its child's, in 4103 and 400). */
        size_t *group = tm_xmalloc((n ? n : 1) * sizeof *group);
        int64_t *last = tm_xmalloc((n ? n : 1) * sizeof *last);
        tm_strmap by_text;
        tm_strmap_init(&by_text, false);
        for (size_t i = 0; i < n; i++) {
            const char *text = sel[i]->command_line ? sel[i]->command_line : "";
            size_t g = tm_strmap_get(&by_text, text);
            if (g != TM_STRMAP_NONE && sel[i]->time != TM_TIME_NONE && last[g] != TM_TIME_NONE &&
                sel[i]->time - last[g] <= 60 * TM_SEC) {
                group[i] = g;
            } else {
                group[i] = i;
                tm_strmap_put(&by_text, text, i);
            }
            last[group[i]] = sel[i]->time;
        }
        tm_strmap_free(&by_text);
        /* members of each group chained in order: next[k], tail[g] */
        size_t *next = tm_xmalloc((n ? n : 1) * sizeof *next), *tail = tm_xmalloc((n ? n : 1) * sizeof *tail);
        for (size_t i = 0; i < n; i++) {
            next[i] = SIZE_MAX;
            if (group[i] == i)
                tail[i] = i;
            else {
                next[tail[group[i]]] = i;
                tail[group[i]] = i;
            }
        }
        const tm_exec **members = tm_xmalloc((n ? n : 1) * sizeof *members);
        for (size_t i = 0; i < n; i++) {
            if (group[i] != i)
                continue;
            size_t m = 0;
            for (size_t k = i; k != SIZE_MAX; k = next[k])
                members[m++] = sel[k];
            tm_runs one;
            tm_runs_build(&one, NULL, members, m); /* a group's few runs: the heap */
            tm_runs_take(&runs, &one);
        }
        free(members);
        free(next);
        free(tail);
        free(last);
        free(group);
    } else {
        tm_runs_build(&runs, runs.spill, sel, n);
    }
    tm_view_free(v, sel);
    bool *used = tm_view_alloc(v, v->n, sizeof *used);
    /* The records a run of the tool can leave: its access to the target
     * process and its files, listed once (view order is time order), then
     * taken per run from a time window. */
    size_t *cand = NULL, ncand = 0;
    if (runs.n && (s->access_target || s->files))
        for (size_t k = 0; tm_view_has(v, k); k++) {
            const tm_item *it = &v->items[k];
            if (it->exec || it->r->time == TM_TIME_NONE)
                continue;
            char src[48], writer[48];
            const char *target, *access, *fname;
            if ((s->access_target && tm_access_of(it->r, src, sizeof src, &target, &access) &&
                 targets(target, s->access_target)) ||
                file_of(s, it->r, &fname, writer, sizeof writer)) {
                TM_GROW(cand, ncand);
                cand[ncand++] = k;
            }
        }
    size_t made = 0;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        tm_trace *t = tm_trace_for_run(out, v, run, s->tool, s->category, s->role);
        if (!s->programs) /* chosen by its own syntax, whatever the program is called */
            t->attribution = TM_ATTR_BEHAVIOUR;
        made++;
        int64_t start = run->time, end = run->time;
        bool script = false;
        for (size_t k = 0; k < run->n; k++) {
            if (run->e[k]->time != TM_TIME_NONE && run->e[k]->time > end)
                end = run->e[k]->time;
            script |= run->e[k]->kind == TM_EXEC_SCRIPT;
        }
        bool accessed = false, wrote = false;
        /* first candidate at or after start - 1 s */
        size_t lo = 0, hi = start == TM_TIME_NONE ? 0 : ncand;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (v->items[cand[mid]].r->time < start - TM_SEC)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t c = lo; start != TM_TIME_NONE && c < ncand && v->items[cand[c]].r->time <= end + 10 * TM_MIN;
             c++) {
            size_t k = cand[c];
            const tm_item *it = &v->items[k];
            char src[48];
            const char *target, *access, *fname;
            if (s->access_target && tm_access_of(it->r, src, sizeof src, &target, &access) &&
                strcasecmp(src, run->name) == 0 && targets(target, s->access_target)) {
                tm_cite(t, it->r, it->art, "%s opened %s (access %s)", src, target, access);
                accessed = true;
                used[k] = true;
                continue;
            }
            char writer[48];
            if (file_of(s, it->r, &fname, writer, sizeof writer) && (!writer[0] || strcasecmp(writer, run->name) == 0 ||
                                                                     it->r->kind == TM_ART_USN)) {
                if (it->r->kind == TM_ART_USN)
                    tm_cite(t, it->r, it->art, "%s: %s", fname, tm_str(it->r, "reasons"));
                else
                    tm_cite(t, it->r, it->art, "%s wrote %s", writer[0] ? writer : "?", fname);
                used[k] = true;
                wrote = true;
            }
        }
        bool ok = false;
        switch (s->ok) {
        case TM_OK_NONE: break;
        case TM_OK_EXIT0: ok = tm_run_succeeded(run); break;
        case TM_OK_ACCESS: ok = accessed; break;
        case TM_OK_FILE: ok = wrote; break;
        case TM_OK_SCRIPT: ok = script; break;
        }
        if (ok)
            tm_confirm(t, true, "%s", s->ok_reason ? s->ok_reason : "the sheet's success evidence is present");
        else
            tm_confirm(t, false, "%s", s->no_ok_reason ? s->no_ok_reason : "execution seen; no success evidence");
        if (run->exit && run->exit->has_status && !t->outcome)
            tm_trace_setf(&t->outcome, "exit status 0x%x", run->exit->status);
        tm_trace_setf(&t->message, "%s ran%s%s%s%s", s->candidates ? run->name : s->tool,
                      t->peer ? " against " : "", t->peer ? t->peer : "", t->command_line ? ": " : "",
                      t->command_line ? t->command_line : "");
        spec_attribution(t, s, tm_run_renamed(run) ? TM_ATTR_RENAMED : TM_ATTR_NAMED,
                         accessed ? "process memory read" : "program run");
    }
    tm_runs_free(&runs);
    free(cand);
    /* Its files without a run on record (the tool was renamed, or its
     * process records are gone). */
    if (s->files_alone && s->files) {
        const tm_item **rest = tm_view_alloc(v, v->n, sizeof *rest);
        size_t nr = 0;
        for (size_t k = 0; tm_view_has(v, k); k++) {
            const char *fname;
            char writer[48];
            if (!used[k] && !v->items[k].exec && file_of(s, v->items[k].r, &fname, writer, sizeof writer))
                rest[nr++] = &v->items[k];
        }
        tm_cluster *cl;
        size_t ncl = tm_clusters(rest, nr, 30 * TM_MIN, &cl);
        for (size_t c = 0; c < ncl; c++) {
            tm_trace *t = tm_trace_add(out, s->tool, s->category, s->role, cl[c].first, "File of the tool written");
            tm_trace_set(&t->host, v->host);
            for (size_t i = 0; i < cl[c].n; i++) {
                const tm_record *r = cl[c].it[i]->r;
                const char *fname;
                char writer[48];
                file_of(s, r, &fname, writer, sizeof writer);
                if (r->kind == TM_ART_USN)
                    tm_cite(t, r, cl[c].it[i]->art, "%s: %s", fname, tm_str(r, "reasons"));
                else
                    tm_cite(t, r, cl[c].it[i]->art, "%s wrote %s", writer[0] ? writer : "?", fname);
            }
            bool ok = s->ok == TM_OK_FILE;
            tm_confirm(t, ok, "%s", ok ? (s->ok_reason ? s->ok_reason : "its file was written")
                                       : "only its files are on record, not its execution");
            tm_trace_setf(&t->message, "Files of %s written", s->tool);
            spec_attribution(t, s, TM_ATTR_BEHAVIOUR, "tool file written");
            made++;
        }
        tm_clusters_free(cl, ncl);
        tm_view_free(v, rest);
    }
    /* Its access to the target process without a run on record (the
     * process records are missing, the audit policy logged only object
     * access): by the accessing program's name. */
    if (s->access_target && s->programs) {
        const tm_item **rest = tm_view_alloc(v, v->n, sizeof *rest);
        size_t nr = 0;
        for (size_t k = 0; tm_view_has(v, k); k++) {
            char src[48];
            const char *target, *access;
            if (!used[k] && !v->items[k].exec && tm_access_of(v->items[k].r, src, sizeof src, &target, &access) &&
                any_glob(src, s->programs) && targets(target, s->access_target))
                rest[nr++] = &v->items[k];
        }
        tm_cluster *cl;
        size_t ncl = tm_clusters(rest, nr, 10 * TM_MIN, &cl);
        for (size_t c = 0; c < ncl; c++) {
            tm_trace *t = tm_trace_add(out, s->tool, s->category, s->role, cl[c].first, "Process opened (access record)");
            tm_trace_set(&t->host, v->host);
            for (size_t i = 0; i < cl[c].n; i++) {
                const tm_record *r = cl[c].it[i]->r;
                char src[48];
                const char *target, *access;
                tm_access_of(r, src, sizeof src, &target, &access);
                tm_cite(t, r, cl[c].it[i]->art, "%s opened %s (access %s)", src, target, access);
                if (!t->command_line)
                    tm_trace_set(&t->command_line, strcasecmp(tm_channel(r), "Security") == 0 ? tm_data(r, "ProcessName")
                                                                                             : tm_data(r, "SourceImage"));
                if (!t->user) {
                    char acct[256];
                    tm_account(r, "Subject", acct, sizeof acct);
                    if (acct[0])
                        tm_trace_set(&t->user, acct);
                }
            }
            bool ok = s->ok == TM_OK_ACCESS;
            tm_confirm(t, ok, "%s", ok ? (s->ok_reason ? s->ok_reason : "it opened the process")
                                       : "its access to the process is on record, not its execution");
            tm_trace_setf(&t->message, "%s opened %s", s->tool, s->access_target);
            spec_attribution(t, s, TM_ATTR_NAMED, "process memory read");
            made++;
        }
        tm_clusters_free(cl, ncl);
        tm_view_free(v, rest);
    }
    tm_view_free(v, used);
    return made;
}

/* ---- subscriptions implied by specs ---- */

/* A record one of the plugin's specs can cite: its access to the target
 * process, or one of its files (ctx: the plugin's specs). */
static bool spec_record(const tm_record *r, const void *ctx)
{
    for (const tm_tool_spec *s = ctx; s && s->tool; s++) {
        char src[48], writer[48];
        const char *target, *access, *fname;
        if (s->access_target && tm_access_of(r, src, sizeof src, &target, &access) && targets(target, s->access_target))
            return true;
        if (file_of(s, r, &fname, writer, sizeof writer))
            return true;
    }
    return false;
}

static void add_sub(tm_sub **subs, size_t *n, tm_sub_type type, const char *a, uint32_t id, const tm_tool_spec *specs)
{
    for (size_t i = 0; i < *n; i++)
        if ((*subs)[i].type == type && (*subs)[i].id == id && strcmp((*subs)[i].a, a) == 0)
            return;
    TM_GROW(*subs, *n);
    /* the events are kept only when a spec can cite them */
    (*subs)[(*n)++] = type == TM_SUB_EVTX ? (tm_sub){type, a, id, spec_record, specs} : (tm_sub){type, a, id, NULL, NULL};
}

tm_sub *tm_plugin_subs(const tm_plugin *p, size_t *count)
{
    tm_sub *subs = NULL;
    size_t n = 0;
    for (size_t k = 0; p->subs && p->subs[k].a; k++) {
        TM_GROW(subs, n);
        subs[n++] = p->subs[k]; /* the plugin's own, as they are: it knows them by index */
    }
    for (const tm_tool_spec *s = p->specs; s && s->tool; s++) {
        if (s->programs)
            for (size_t i = 0; s->programs[i]; i++)
                add_sub(&subs, &n, TM_SUB_EXEC, s->programs[i], 0, NULL);
        else
            add_sub(&subs, &n, TM_SUB_EXEC, "*", 0, NULL);
        if (s->access_target) {
            add_sub(&subs, &n, TM_SUB_EVTX, SYSMON, 10, p->specs);
            add_sub(&subs, &n, TM_SUB_EVTX, SYSMON, 8, p->specs);
            add_sub(&subs, &n, TM_SUB_EVTX, "Security", 4656, p->specs);
            add_sub(&subs, &n, TM_SUB_EVTX, "Security", 4663, p->specs);
        }
        if (s->files) {
            for (size_t i = 0; s->files[i]; i++)
                add_sub(&subs, &n, TM_SUB_USN, s->files[i], 0, NULL);
            add_sub(&subs, &n, TM_SUB_EVTX, SYSMON, 11, p->specs);
            add_sub(&subs, &n, TM_SUB_EVTX, "Security", 4656, p->specs);
            add_sub(&subs, &n, TM_SUB_EVTX, "Security", 4663, p->specs);
        }
    }
    TM_GROW(subs, n);
    subs[n] = (tm_sub)TM_SUB_END;
    *count = n;
    return subs;
}
