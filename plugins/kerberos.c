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
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CAT_DA "Capturing the Domain Administrator Privilege and Account Credentials"
#define CAT_ADMIN "Capturing Administrator Rights/Account"

/* What the bogus-domain check reads; the specs' subscriptions are derived
 * from them. */
enum { S_4624, S_4768, S_4769, S_4672, S_4771 };
static const tm_sub subs[] = {
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    [S_4768] = {TM_SUB_EVTX, "Security", 4768, NULL, NULL},
    [S_4769] = {TM_SUB_EVTX, "Security", 4769, NULL, NULL},
    [S_4672] = {TM_SUB_EVTX, "Security", 4672, NULL, NULL},
    [S_4771] = {TM_SUB_EVTX, "Security", 4771, NULL, NULL},
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

/* Names counted case-insensitively, in order of first appearance. */
typedef struct {
    char name[128];
    size_t n;
} count;

typedef struct {
    count *c;
    size_t n, best; /* best: the largest count */
    tm_strmap ix;
} tally;

static void tally_init(tally *t)
{
    memset(t, 0, sizeof *t);
    tm_strmap_init(&t->ix, true);
}

static void tally_free(tally *t)
{
    free(t->c);
    tm_strmap_free(&t->ix);
}

static size_t tally_of(const tally *t, const char *name)
{
    size_t i = tm_strmap_get(&t->ix, name);
    return i == TM_STRMAP_NONE ? 0 : t->c[i].n;
}

static void add_count(tally *t, const char *name)
{
    if (!*name || strcmp(name, "-") == 0)
        return;
    size_t i = tm_strmap_get(&t->ix, name);
    if (i == TM_STRMAP_NONE) {
        TM_GROW(t->c, t->n);
        snprintf(t->c[t->n].name, sizeof t->c[t->n].name, "%s", name);
        t->c[t->n].n = 0;
        tm_strmap_put(&t->ix, name, t->n);
        i = t->n++;
    }
    if (++t->c[i].n > t->best)
        t->best = t->c[i].n;
}

static const char *account_domain(const tm_item *it)
{
    return tm_data(it->r, "TargetDomainName");
}

/* A domain name the records vouch for: seen in TGT requests (4768, which a
 * forged ticket skips), or the most common name overall. */
static bool known_domain(const tally *c, const tally *tgt, const char *d)
{
    if (tally_of(tgt, d))
        return true;
    size_t n = tally_of(c, d);
    return n && (n * 4 >= c->best || n >= 20); /* common enough to be real */
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
    tally c, tgt;
    tally_init(&c);
    tally_init(&tgt);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_4768)
            add_count(&tgt, tm_data(it->r, "TargetDomainName"));
        if (it->sub == S_4768 || it->sub == S_4769 || it->sub == S_4624)
            add_count(&c, account_domain(it));
    }
    size_t n = c.n;
    /* the host's own names: computer accounts' domains are real */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const char *u = tm_data(it->r, "TargetUserName");
        size_t ul = strlen(u);
        if (it->sub == S_4624 && ul && u[ul - 1] == '$')
            add_count(&tgt, tm_data(it->r, "TargetDomainName"));
    }
    /* the realm as Windows writes it: TGT requests and computer accounts'
     * service tickets */
    tally realm;
    tally_init(&realm);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const char *u = tm_data(it->r, "TargetUserName");
        bool computer = strchr(u, '$') != NULL;
        if (it->sub == S_4768 || (it->sub == S_4769 && computer))
            if (!has_lower(tm_data(it->r, "TargetDomainName")))
                add_count(&realm, tm_data(it->r, "TargetDomainName"));
    }
    /* bogus domains used in ticket requests: a golden ticket at work, and
     * the logons with them are its use */
    tally golden;
    tally_init(&golden);
    for (size_t i = 0; n >= 1 && tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const char *d = account_domain(it);
        if (it->sub == S_4769 && !builtin_domain(d) && strcmp(d, "-") != 0 && !known_domain(&c, &tgt, d))
            add_count(&golden, d);
    }
    /* the traces made here by tool and client, for joining a ticket's uses */
    tm_strmap by_client;
    tm_strmap_init(&by_client, false);
    size_t **bucket = NULL, *nbucket = NULL, nbuckets = 0;
    if (n >= 1) {
        for (size_t i = 0; tm_view_has(v, i); i++) {
            const tm_item *it = &v->items[i];
            if (it->sub != S_4624 && it->sub != S_4769)
                continue;
            const char *d = account_domain(it);
            if (builtin_domain(d) || strcmp(d, "-") == 0)
                continue;
            bool case_differs = false;
            if (known_domain(&c, &tgt, d)) {
                /* Windows writes the realm of a ticket request in upper
                 * case; a forged ticket carries the domain as typed */
                if (it->sub != S_4769 || !has_lower(d))
                    continue;
                size_t r = tm_strmap_get(&realm.ix, d);
                case_differs = r != TM_STRMAP_NONE && strcmp(realm.c[r].name, d) != 0;
                if (!case_differs)
                    continue;
            }
            if (it->sub == S_4624 && strcmp(tm_data(it->r, "LogonType"), "3") != 0)
                continue;
            bool tgs = it->sub == S_4769, gold = tgs || tally_of(&golden, d) > 0;
            char acct[256];
            tm_account(it->r, "Target", acct, sizeof acct);
            const char *ip = tm_data(it->r, "IpAddress");
            if (strncasecmp(ip, "::ffff:", 7) == 0) /* IPv4-mapped */
                ip += 7;
            const char *tool = gold ? "Mimikatz_GoldenTicket" : "Mimikatz_SilverTicket";
            /* one trace per forged ticket's use: same tool, account domain
             * and client within an hour of the last record */
            char key[320];
            snprintf(key, sizeof key, "%s\t%s", tool, ip);
            size_t b = tm_strmap_get(&by_client, key);
            tm_trace *t = NULL;
            for (size_t k = b == TM_STRMAP_NONE ? 0 : nbucket[b]; k-- > 0 && !t;) {
                tm_trace *o = &out->t[bucket[b][k]];
                if (o->phase == NULL && o->nev && o->ev[o->nev - 1].time != TM_TIME_NONE &&
                    tm_time_gap(it->r->time, o->ev[o->nev - 1].time) < 3600 * TM_SEC && o->reason && strstr(o->reason, d))
                    t = o;
            }
            bool fresh = t == NULL;
            if (fresh) {
                t = tm_trace_for_record(out, v, it, tool, CAT_ADMIN, gold ? TM_ROLE_DC : TM_ROLE_DESTINATION,
                                        tgs ? "Service ticket requested (Security 4769)" : "Logon (Security 4624)");
                tm_trace_set(&t->user, acct);
                tm_trace_set(&t->peer, ip);
                if (b == TM_STRMAP_NONE) {
                    TM_GROW(bucket, nbuckets);
                    TM_GROW(nbucket, nbuckets);
                    bucket[nbuckets] = NULL;
                    nbucket[nbuckets] = 0;
                    tm_strmap_put(&by_client, key, nbuckets);
                    b = nbuckets++;
                }
                TM_GROW(bucket[b], nbucket[b]);
                bucket[b][nbucket[b]++] = (size_t)(t - out->t);
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
            /* A forged ticket is built to look genuine: its records name no
             * tool (mimikatz, Rubeus, Impacket's ticketer all forge them). */
            static const char *const fits_gold[] = {"Mimikatz_GoldenTicket", "MS14-068", NULL};
            static const char *const fits_silver[] = {"Mimikatz_SilverTicket", NULL};
            tm_trace_unattribute(t, gold ? fits_gold : fits_silver);
            tm_trace_set(&t->activity, "forged kerberos ticket");
            tm_trace_setf(&t->message, "Possible forged Kerberos ticket: %s with domain '%s'", acct, d);
        }
    }
    for (size_t b = 0; b < nbuckets; b++)
        free(bucket[b]);
    free(bucket);
    free(nbucket);
    tm_strmap_free(&by_client);
    tally_free(&c);
    tally_free(&tgt);
    tally_free(&golden);
    tally_free(&realm);
}

/* Kerberos requests attackers make on the domain controller, whatever the
 * tool (Rubeus, Impacket, kerbrute, PowerShell): each a kind of request,
 * one trace per client address and kind per burst (10 minutes), with the
 * number of accounts asked for. */
typedef enum { K_NONE, K_GUESS, K_ENUM, K_ASREP, K_ROAST } kerberos_kind;
static const char *const kind_activity[] = {
    [K_GUESS] = "kerberos password guessing",   /* 4771 pre-authentication failed (0x18) */
    [K_ENUM] = "kerberos user enumeration",     /* 4768 for principals that do not exist (0x6) */
    [K_ASREP] = "as-rep roasting",              /* 4768 issued without pre-authentication */
    [K_ROAST] = "kerberoasting",                /* 4769 for a user's SPN with RC4 */
};
static const char *const kind_what[] = {
    [K_GUESS] = "pre-authentication failed", [K_ENUM] = "TGT asked for an unknown account",
    [K_ASREP] = "TGT issued without pre-authentication", [K_ROAST] = "service ticket with RC4 for a user's SPN"};

static bool rc4(const char *enc)
{
    unsigned long v = strtoul(enc, NULL, 0);
    return v == 0x17 || v == 0x18;
}

static kerberos_kind kind_of(const tm_item *it)
{
    const tm_record *r = it->r;
    unsigned long st = strtoul(tm_data(r, "Status"), NULL, 0);
    if (it->sub == S_4771)
        return st == 0x18 ? K_GUESS : K_NONE;
    if (it->sub == S_4768) {
        if (st == 0x6)
            return K_ENUM;
        if (st == 0 && strcmp(tm_data(r, "PreAuthType"), "0") == 0)
            return K_ASREP;
        return K_NONE;
    }
    if (it->sub == S_4769 && st == 0 && rc4(tm_data(r, "TicketEncryptionType"))) {
        const char *svc = tm_data(r, "ServiceName");
        size_t n = strlen(svc);
        if (n && svc[n - 1] != '$' && strcasecmp(svc, "krbtgt") != 0)
            return K_ROAST;
    }
    return K_NONE;
}

static void requests(const tm_view *v, tm_traces *out)
{
    tm_bursts bursts; /* by kind and client address */
    tm_bursts_init(&bursts, out, 10 * TM_MIN);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        kerberos_kind k = kind_of(it);
        if (k == K_NONE)
            continue;
        const tm_record *r = it->r;
        const char *ip = tm_data(r, "IpAddress");
        if (!strncmp(ip, "::ffff:", 7))
            ip += 7;
        char key[200];
        snprintf(key, sizeof key, "%d\t%s", (int)k, ip);
        tm_trace *t = tm_burst_find(&bursts, out, key, r->time);
        if (!t) {
            t = tm_trace_for_record(out, v, it, NULL, CAT_ADMIN, TM_ROLE_DC, "Kerberos request (Security 4768/4769/4771)");
            tm_burst_begin(&bursts, out, key);
            tm_trace_set(&t->activity, kind_activity[k]);
            tm_trace_unattribute(t, NULL);
            if (*ip && strcmp(ip, "-") != 0)
                tm_trace_set(&t->peer, ip);
            tm_confirm(t, false, "the domain controller answered these requests; the records do not say which tool made them");
        }
        tm_cite(t, r, it->art, "%s: %s@%s%s%s from %s", kind_what[k], tm_data(r, "TargetUserName"),
                tm_data(r, "TargetDomainName"), it->sub == S_4769 ? " for " : "",
                it->sub == S_4769 ? tm_data(r, "ServiceName") : "", ip);
        size_t c = tm_burst_count(&bursts, out, t);
        tm_trace_setf(&t->message, "%s from %s (%zu request%s)", kind_activity[k], *ip ? ip : "?", c, c == 1 ? "" : "s");
    }
    tm_bursts_free(&bursts);
}

static void run(const tm_view *v, tm_traces *out)
{
    bogus_domains(v, out);
    requests(v, out);
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
    .run = run,
};
