/* Domain-admin capture with Kerberos: MS14-068, Mimikatz_GoldenTicket,
 * Mimikatz_SilverTicket. These are indicators, never proof: a forged
 * ticket is built to look genuine.
 *
 * Source: the tools' runs by their commands (mimikatz kerberos::golden with
 * /krbtgt: is a golden ticket, with /service: a silver one; ms14-068*,
 * goldenPac, kekeo), and MS14-068's ticket cache (TGT_<user>@<domain>.ccache)
 * in the journal.
 * Domain controller / target: logons (4624) and ticket requests (4769)
 * whose account domain is not one of the domain's names (the sheet: "an
 * account with a bogus domain name"; mimikatz fills it with what the
 * attacker typed): the domain's names are learned from the records
 * themselves (the majority of 4768/4769/4624 account domains, and the
 * TargetDomainName of the host's own logons). A 4769 for an account with
 * no TGT request (4768) in a log that reaches back ten hours is a golden
 * ticket indicator too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"
#include "util/timeutil.h"

#define CAT_DA "Capturing the Domain Administrator Privilege and Account Credentials"
#define CAT_ADMIN "Capturing Administrator Rights/Account"

/* What the bogus-domain check reads; the specs' subscriptions are derived
 * from them. */
enum { S_4624, S_4768, S_4769, S_4672 };
static const tm_sub subs[] = {
    [S_4624] = {TM_SUB_EVTX, "Security", 4624},
    [S_4768] = {TM_SUB_EVTX, "Security", 4768},
    [S_4769] = {TM_SUB_EVTX, "Security", 4769},
    [S_4672] = {TM_SUB_EVTX, "Security", 4672},
    TM_SUB_END,
};
static const char *const tools[] = {"MS14-068", "Mimikatz_GoldenTicket", "Mimikatz_SilverTicket", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"MS14-068", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"Mimikatz_GoldenTicket", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_CMDLINE, TM_COV_SYSMON)},
    {"Mimikatz_GoldenTicket", TM_ROLE_DC, TM_NEEDS(TM_COV_KERBEROS, TM_COV_LOGON)},
    {"Mimikatz_SilverTicket", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_CMDLINE, TM_COV_SYSMON)},
    {"Mimikatz_SilverTicket", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_LOGON)},
    {NULL, 0, NULL},
};

static const tm_tool_spec specs[] = {
    {.tool = "Mimikatz_GoldenTicket", .category = CAT_ADMIN, .role = TM_ROLE_SOURCE,
     .args = TM_NAMES("/krbtgt:"), .ok = TM_OK_NONE,
     .no_ok_reason = "kerberos::golden with /krbtgt (a forged TGT); its use shows on the DC"},
    {.tool = "Mimikatz_SilverTicket", .category = CAT_ADMIN, .role = TM_ROLE_SOURCE, .args = TM_NAMES("kerberos::golden"),
     .args_not = TM_NAMES("/krbtgt:"), .ok = TM_OK_NONE,
     .no_ok_reason = "kerberos::golden with /service (a forged service ticket); its use shows on the target"},
    {.tool = "MS14-068", .category = CAT_DA, .role = TM_ROLE_SOURCE, .programs = TM_NAMES("ms14-068*", "ms14068*", "goldenpac*", "kekeo*"),
     .files = TM_NAMES("TGT_*.ccache"), .ok = TM_OK_NONE, .files_alone = true,
     .no_ok_reason = "MS14-068 exploit traces; the sheet's success evidence (special privileges for a standard user, "
                     "4672) is on the DC"},
    {.tool = NULL},
};

typedef struct {
    char name[128];
    size_t n;
} count;

static void add_count(count **c, size_t *n, const char *name)
{
    if (!*name || strcmp(name, "-") == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp((*c)[i].name, name) == 0) {
            (*c)[i].n++;
            return;
        }
    *c = tm_xrealloc(*c, (*n + 1) * sizeof **c);
    snprintf((*c)[*n].name, sizeof (*c)[*n].name, "%s", name);
    (*c)[*n].n = 1;
    (*n)++;
}

static const char *account_domain(const tm_item *it)
{
    return tm_data(it->r, "TargetDomainName");
}

/* A domain name the records vouch for: seen in TGT requests (4768, which a
 * forged ticket skips), or the most common name overall. */
static bool known_domain(const count *c, size_t n, const count *tgt, size_t ntgt, const char *d)
{
    for (size_t i = 0; i < ntgt; i++)
        if (strcasecmp(tgt[i].name, d) == 0)
            return true;
    size_t best = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].n > best)
            best = c[i].n;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(c[i].name, d) == 0)
            return c[i].n * 4 >= best || c[i].n >= 20; /* common enough to be real */
    return false;
}

static bool has_lower(const char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            return true;
    return false;
}

static bool builtin_domain(const char *d)
{
    static const char *const b[] = {"NT AUTHORITY", "NT Service", "Window Manager", "Font Driver Host", "BUILTIN", ""};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        if (strcasecmp(d, b[i]) == 0)
            return true;
    return false;
}

static void bogus_domains(const tm_view *v, tm_traces *out)
{
    size_t first = out->n;
    count *c = NULL, *tgt = NULL;
    size_t n = 0, ntgt = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_4768)
            add_count(&tgt, &ntgt, tm_data(it->r, "TargetDomainName"));
        if (it->sub == S_4768 || it->sub == S_4769 || it->sub == S_4624)
            add_count(&c, &n, account_domain(it));
    }
    /* the host's own names: computer accounts' domains are real */
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        const char *u = tm_data(it->r, "TargetUserName");
        size_t ul = strlen(u);
        if (it->sub == S_4624 && ul && u[ul - 1] == '$')
            add_count(&tgt, &ntgt, tm_data(it->r, "TargetDomainName"));
    }
    /* the realm as Windows writes it: TGT requests and computer accounts'
     * service tickets */
    count *realm = NULL;
    size_t nrealm = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        const char *u = tm_data(it->r, "TargetUserName");
        bool computer = strchr(u, '$') != NULL;
        if (it->sub == S_4768 || (it->sub == S_4769 && computer))
            if (!has_lower(tm_data(it->r, "TargetDomainName")))
                add_count(&realm, &nrealm, tm_data(it->r, "TargetDomainName"));
    }
    /* bogus domains used in ticket requests: a golden ticket at work, and
     * the logons with them are its use */
    count *golden = NULL;
    size_t ngolden = 0;
    for (size_t i = 0; n >= 1 && i < v->n; i++) {
        const tm_item *it = &v->items[i];
        const char *d = account_domain(it);
        if (it->sub == S_4769 && !builtin_domain(d) && strcmp(d, "-") != 0 && !known_domain(c, n, tgt, ntgt, d))
            add_count(&golden, &ngolden, d);
    }
    if (n >= 1) {
        for (size_t i = 0; i < v->n; i++) {
            const tm_item *it = &v->items[i];
            if (it->sub != S_4624 && it->sub != S_4769)
                continue;
            const char *d = account_domain(it);
            if (builtin_domain(d) || strcmp(d, "-") == 0)
                continue;
            bool case_differs = false;
            if (known_domain(c, n, tgt, ntgt, d)) {
                /* Windows writes the realm of a ticket request in upper
                 * case; a forged ticket carries the domain as typed */
                if (it->sub != S_4769 || !has_lower(d))
                    continue;
                for (size_t r = 0; r < nrealm && !case_differs; r++)
                    case_differs = strcasecmp(realm[r].name, d) == 0 && strcmp(realm[r].name, d) != 0;
                if (!case_differs)
                    continue;
            }
            if (it->sub == S_4624 && strcmp(tm_data(it->r, "LogonType"), "3") != 0)
                continue;
            bool tgs = it->sub == S_4769, gold = tgs;
            for (size_t g = 0; g < ngolden && !gold; g++)
                gold = strcasecmp(golden[g].name, d) == 0;
            char acct[256];
            tm_account(it->r, "Target", acct, sizeof acct);
            const char *ip = tm_data(it->r, "IpAddress");
            if (strncasecmp(ip, "::ffff:", 7) == 0) /* IPv4-mapped */
                ip += 7;
            const char *tool = gold ? "Mimikatz_GoldenTicket" : "Mimikatz_SilverTicket";
            /* one trace per forged ticket's use: same tool, account domain
             * and client within an hour of the last record */
            tm_trace *t = NULL;
            for (size_t k = out->n; k-- > first && !t;) {
                tm_trace *o = &out->t[k];
                if (strcmp(o->tool, tool) == 0 && o->peer && strcmp(o->peer, ip) == 0 && o->phase == NULL &&
                    o->nev && o->ev[o->nev - 1].time != TM_TIME_NONE && it->r->time - o->ev[o->nev - 1].time < 3600 * TM_SEC &&
                    o->reason && strstr(o->reason, d))
                    t = o;
            }
            bool fresh = t == NULL;
            if (fresh) {
                t = tm_trace_for_record(out, v, it, tool, CAT_ADMIN, gold ? TM_ROLE_DC : TM_ROLE_DESTINATION,
                                        tgs ? "Service ticket requested (Security 4769)" : "Logon (Security 4624)");
                tm_trace_set(&t->user, acct);
                tm_trace_set(&t->peer, ip);
            }
            tm_cite(t, it->r, it->art, "%s for %s from %s with account domain '%s'%s%s",
                    tgs ? "ticket request" : "network logon", acct, ip, d, tgs ? ", service " : "",
                    tgs ? tm_data(it->r, "ServiceName") : "");
            if (!fresh)
                continue;
            if (case_differs)
                tm_confirm(t, false, "the ticket's realm '%s' is written in lower case where this domain's own "
                                     "requests have it in upper case: a forged (golden) ticket carries the domain as "
                                     "typed",
                           d);
            else
                tm_confirm(t, false, "the account's domain name '%s' is not one this domain uses: mimikatz fills it "
                                     "with what the forger typed (a %s ticket)",
                           d, gold ? "golden" : "silver");
            tm_trace_setf(&t->message, "Possible forged Kerberos ticket: %s with domain '%s'", acct, d);
        }
    }
    free(c);
    free(tgt);
    free(golden);
    free(realm);
}

const tm_plugin tm_plugin_kerberos = {
    .name = "kerberos",
    .tools = tools,
    .category = CAT_ADMIN,
    .summary = "Forged Kerberos tickets (golden, silver) and MS14-068: tool runs, ticket caches, logons and ticket "
               "requests with bogus account domains",
    .subs = subs,
    .specs = specs,
    .needs = needs,
    .run = bogus_domains,
};
