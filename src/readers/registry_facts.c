/* Host facts from registry hives: what the plugins and the coverage verdict
 * need to know about a host (name, time zone, addresses, services, tasks,
 * audit and logging policy, Sysmon, Prefetch, event-log sizes, per-user
 * traces of Sysinternals tools and RDP clients). One record per fact, with
 * "fact" naming it and the key's path and last-written time. docs/readers.md
 * lists them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers/registry_int.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"
#include "util/utf16.h"

typedef struct {
    const char *hive; /* hive subtype this applies to */
    const char *fact;
    const char *key;  /* ends in "\\*" for each sub key, "\\**" for every key below */
    const char *values[16]; /* NULL-terminated; empty = all values */
} fact_rule;

static const fact_rule rules[] = {
    {"SYSTEM", "computer_name", "CurrentControlSet\\Control\\ComputerName\\ComputerName", {"ComputerName"}},
    {"SYSTEM", "tcpip", "CurrentControlSet\\Services\\Tcpip\\Parameters", {"Hostname", "NV Hostname", "Domain", "NV Domain"}},
    {"SYSTEM", "time_zone", "CurrentControlSet\\Control\\TimeZoneInformation",
     {"TimeZoneKeyName", "StandardName", "DaylightName", "Bias", "ActiveTimeBias", "StandardBias", "DaylightBias",
      "StandardStart", "DaylightStart", "DynamicDaylightTimeDisabled"}},
    {"SYSTEM", "interface", "CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\*",
     {"EnableDHCP", "IPAddress", "SubnetMask", "DefaultGateway", "DhcpIPAddress", "DhcpSubnetMask", "DhcpServer",
      "DhcpDefaultGateway", "NameServer", "DhcpNameServer", "Domain", "DhcpDomain", "LeaseObtainedTime"}},
    {"SYSTEM", "service", "CurrentControlSet\\Services\\*",
     {"ImagePath", "Start", "Type", "DisplayName", "ObjectName", "Description"}},
    {"SYSTEM", "service_dll", "CurrentControlSet\\Services\\*\\Parameters", {"ServiceDll"}},
    {"SYSTEM", "prefetcher", "CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters",
     {"EnablePrefetcher", "EnableSuperfetch"}},
    {"SYSTEM", "eventlog", "CurrentControlSet\\Services\\EventLog\\*", {"MaxSize", "Retention", "AutoBackupLogFiles", "File"}},
    {"SYSTEM", "sysmon_driver", "CurrentControlSet\\Services\\SysmonDrv\\Parameters", {"Options", "HashingAlgorithm"}},
    {"SYSTEM", "wdigest", "CurrentControlSet\\Control\\SecurityProviders\\WDigest", {"UseLogonCredential", "Negotiate"}},
    {"SYSTEM", "lsa", "CurrentControlSet\\Control\\Lsa",
     {"RunAsPPL", "LmCompatibilityLevel", "DisableRestrictedAdmin", "DisableRestrictedAdminOutboundCreds",
      "auditbaseobjects", "crashonauditfail", "SCENoApplyLegacyAuditPolicy"}},
    {"SYSTEM", "terminal_server", "CurrentControlSet\\Control\\Terminal Server", {"fDenyTSConnections"}},
    {"SYSTEM", "shutdown", "CurrentControlSet\\Control\\Windows", {"ShutdownTime"}},
    {"SOFTWARE", "os", "Microsoft\\Windows NT\\CurrentVersion",
     {"ProductName", "EditionID", "CurrentVersion", "CurrentBuild", "CurrentBuildNumber", "ReleaseId",
      "DisplayVersion", "InstallDate", "RegisteredOwner", "SystemRoot"}},
    {"SOFTWARE", "process_cmdline_audit", "Microsoft\\Windows\\CurrentVersion\\Policies\\System\\Audit",
     {"ProcessCreationIncludeCmdLine_Enabled"}},
    {"SOFTWARE", "powershell_scriptblock_logging", "Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging",
     {"EnableScriptBlockLogging", "EnableScriptBlockInvocationLogging"}},
    {"SOFTWARE", "powershell_module_logging", "Policies\\Microsoft\\Windows\\PowerShell\\ModuleLogging",
     {"EnableModuleLogging"}},
    {"SOFTWARE", "powershell_transcription", "Policies\\Microsoft\\Windows\\PowerShell\\Transcription",
     {"EnableTranscripting", "OutputDirectory", "EnableInvocationHeader"}},
    {"SOFTWARE", "eventlog_policy", "Policies\\Microsoft\\Windows\\EventLog\\*", {"MaxSize", "Retention", "AutoBackupLogFiles"}},
    {"SOFTWARE", "evt_channel", "Microsoft\\Windows\\CurrentVersion\\WINEVT\\Channels\\*", {"Enabled", "MaxSize", "Type"}},
    {"SOFTWARE", "task_tree", "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\**", {"Id", "Index"}},
    {"SOFTWARE", "appcompat_custom", "Microsoft\\Windows NT\\CurrentVersion\\AppCompatFlags\\Custom\\*", {NULL}},
    {"SOFTWARE", "appcompat_installed_sdb", "Microsoft\\Windows NT\\CurrentVersion\\AppCompatFlags\\InstalledSDB\\*",
     {"DatabasePath", "DatabaseDescription", "DatabaseType", "DatabaseInstallTimeStamp"}},
    {"SOFTWARE", "winrm_service_policy", "Policies\\Microsoft\\Windows\\WinRM\\Service", {"AllowAutoConfig", "IPv4Filter"}},
    {"NTUSER", "sysinternals_eula", "Software\\Sysinternals\\*", {"EulaAccepted"}},
    {"NTUSER", "rdp_server", "Software\\Microsoft\\Terminal Server Client\\Servers\\*", {"UsernameHint"}},
    {"NTUSER", "rdp_mru", "Software\\Microsoft\\Terminal Server Client\\Default", {NULL}},
    {"NTUSER", "run_mru", "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RunMRU", {NULL}},
    {"NTUSER", "map_network_drive_mru", "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Map Network Drive MRU", {NULL}},
    {"NTUSER", "mountpoints2", "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\MountPoints2\\*", {"_LabelFromReg"}},
};

/* True when the key has at least one of the rule's values. */
static bool has_any(libregf_key_t *k, const fact_rule *r)
{
    for (size_t i = 0; i < 16 && r->values[i]; i++) {
        libregf_value_t *v = tm_reg_value(k, r->values[i]);
        if (v) {
            libregf_value_free(&v, NULL);
            return true;
        }
    }
    return false;
}

static void emit_fact(tm_hive *h, const fact_rule *r, libregf_key_t *k, const char *path, const char *name)
{
    tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, tm_reg_key_offset(k), tm_reg_key_time(k));
    tm_fenc_str(e, "fact", r->fact);
    tm_fenc_str(e, "key", path);
    if (name)
        tm_fenc_str(e, "name", name);
    libregf_error_t *err = NULL;
    if (r->values[0]) {
        for (size_t i = 0; i < 16 && r->values[i]; i++) {
            libregf_value_t *v = NULL;
            if ((v = tm_reg_value(k, r->values[i])) != NULL) {
                /* Time-zone biases are signed minutes stored as DWORDs. */
                size_t nl = strlen(r->values[i]);
                uint32_t type = 0, x = 0;
                if (nl >= 4 && strcmp(r->values[i] + nl - 4, "Bias") == 0 &&
                    libregf_value_get_value_type(v, &type, NULL) == 1 && type == LIBREGF_VALUE_TYPE_INTEGER_32BIT_LITTLE_ENDIAN &&
                    libregf_value_get_value_32bit(v, &x, NULL) == 1)
                    tm_fenc_int(e, r->values[i], (int32_t)x);
                else
                    tm_reg_put_value(e, r->values[i], v);
            }
            libregf_error_free(&err);
            libregf_value_free(&v, NULL);
        }
    } else {
        int nv = 0;
        if (libregf_key_get_number_of_values(k, &nv, &err) != 1)
            nv = 0;
        libregf_error_free(&err);
        for (int i = 0; i < nv && i < 1024; i++) {
            libregf_value_t *v = NULL;
            char vn[256];
            if (libregf_key_get_value(k, i, &v, &err) == 1 && tm_reg_value_name(v, vn, sizeof vn))
                tm_reg_put_value(e, vn[0] ? vn : "(default)", v);
            libregf_error_free(&err);
            libregf_value_free(&v, NULL);
        }
    }
    tm_emit_end(h->out);
    h->st->records++;
}

/* Calls emit_fact for key and, with deep, every key below it. */
static void each_below(tm_hive *h, const fact_rule *r, libregf_key_t *k, char *path, size_t plen, int depth)
{
    if (depth > 64)
        return;
    libregf_error_t *err = NULL;
    int ns = 0;
    if (libregf_key_get_number_of_sub_keys(k, &ns, &err) != 1)
        ns = 0;
    libregf_error_free(&err);
    for (int i = 0; i < ns && i < 100000; i++) {
        libregf_key_t *sub = NULL;
        char name[512];
        if (libregf_key_get_sub_key(k, i, &sub, &err) != 1 || !tm_reg_key_name(sub, name, sizeof name)) {
            libregf_error_free(&err);
            libregf_key_free(&sub, NULL);
            h->keys_unreadable++;
            continue;
        }
        size_t nl = strlen(name);
        if (plen + nl + 2 < 4096) {
            path[plen] = '\\';
            memcpy(path + plen + 1, name, nl + 1);
            emit_fact(h, r, sub, path, name);
            if (depth >= 0)
                each_below(h, r, sub, path, plen + 1 + nl, depth + 1);
            path[plen] = '\0';
        }
        libregf_key_free(&sub, NULL);
    }
}

static void run_rule(tm_hive *h, const fact_rule *r)
{
    size_t kl = strlen(r->key);
    bool deep = kl > 3 && strcmp(r->key + kl - 3, "\\**") == 0;
    bool each = !deep && kl > 2 && strcmp(r->key + kl - 2, "\\*") == 0;
    char *base = tm_xstrndup(r->key, deep ? kl - 3 : each ? kl - 2 : kl);
    /* A '*' inside the path (Services\*\Parameters): expand the first one. */
    char *star = strstr(base, "\\*\\");
    if (star) {
        *star = '\0';
        const char *rest = star + 3;
        libregf_key_t *parent = tm_reg_key(h, base);
        libregf_error_t *err = NULL;
        int ns = 0;
        if (parent && libregf_key_get_number_of_sub_keys(parent, &ns, &err) != 1)
            ns = 0;
        libregf_error_free(&err);
        for (int i = 0; i < ns && i < 100000; i++) {
            libregf_key_t *sub = NULL;
            char name[512];
            if (libregf_key_get_sub_key(parent, i, &sub, &err) != 1 || !tm_reg_key_name(sub, name, sizeof name)) {
                libregf_error_free(&err);
                libregf_key_free(&sub, NULL);
                continue;
            }
            libregf_key_t *target = sub;
            char *copy = tm_xstrdup(rest);
            char *save = NULL;
            for (char *t = strtok_r(copy, "\\", &save); t && target; t = strtok_r(NULL, "\\", &save)) {
                libregf_key_t *next = tm_reg_child(target, t);
                if (target != sub)
                    libregf_key_free(&target, NULL);
                target = next;
            }
            free(copy);
            /* Keys under a wildcard count only when they hold the values. */
            if (target && has_any(target, r)) {
                const char *shown = base;
                char cs[256];
                if (h->control_set[0] && tm_istarts_with(base, "CurrentControlSet")) {
                    snprintf(cs, sizeof cs, "%s%s", h->control_set, base + strlen("CurrentControlSet"));
                    shown = cs;
                }
                char *path = tm_xasprintf("%s\\%s\\%s", shown, name, rest);
                emit_fact(h, r, target, path, name);
                free(path);
            }
            if (target && target != sub)
                libregf_key_free(&target, NULL);
            libregf_key_free(&sub, NULL);
        }
        libregf_key_free(&parent, NULL);
        free(base);
        return;
    }
    libregf_key_t *k = tm_reg_key(h, base);
    if (k) {
        /* Report CurrentControlSet as the set it is. */
        char *path = tm_xcalloc(1, 4096);
        if (h->control_set[0] && tm_istarts_with(base, "CurrentControlSet"))
            snprintf(path, 4096, "%s%s", h->control_set, base + strlen("CurrentControlSet"));
        else
            snprintf(path, 4096, "%s", base);
        if (each || deep)
            each_below(h, r, k, path, strlen(path), deep ? 0 : -1);
        else
            emit_fact(h, r, k, path, NULL);
        free(path);
        libregf_key_free(&k, NULL);
    }
    free(base);
}

/* ---- special facts ----------------------------------------------------------- */

static const char *const audit_categories[] = {"System", "Logon/Logoff", "Object Access", "Privilege Use",
                                               "Detailed Tracking", "Policy Change", "Account Management",
                                               "DS Access", "Account Logon"};
static const char *const *const audit_subcategories[] = {
    (const char *const[]){"Security State Change", "Security System Extension", "System Integrity", "IPsec Driver",
                          "Other System Events", NULL},
    (const char *const[]){"Logon", "Logoff", "Account Lockout", "IPsec Main Mode", "Special Logon", "IPsec Quick Mode",
                          "IPsec Extended Mode", "Other Logon/Logoff Events", "Network Policy Server",
                          "User/Device Claims", "Group Membership", NULL},
    (const char *const[]){"File System", "Registry", "Kernel Object", "SAM", "Other Object Access Events",
                          "Certification Services", "Application Generated", "Handle Manipulation", "File Share",
                          "Filtering Platform Packet Drop", "Filtering Platform Connection", "Detailed File Share",
                          "Removable Storage", "Central Policy Staging", NULL},
    (const char *const[]){"Sensitive Privilege Use", "Non Sensitive Privilege Use", "Other Privilege Use Events", NULL},
    (const char *const[]){"Process Creation", "Process Termination", "DPAPI Activity", "RPC Events",
                          "Plug and Play Events", "Token Right Adjusted Events", NULL},
    (const char *const[]){"Audit Policy Change", "Authentication Policy Change", "Authorization Policy Change",
                          "MPSSVC Rule-Level Policy Change", "Filtering Platform Policy Change",
                          "Other Policy Change Events", NULL},
    (const char *const[]){"User Account Management", "Computer Account Management", "Security Group Management",
                          "Distribution Group Management", "Application Group Management",
                          "Other Account Management Events", NULL},
    (const char *const[]){"Directory Service Access", "Directory Service Changes", "Directory Service Replication",
                          "Detailed Directory Service Replication", NULL},
    (const char *const[]){"Credential Validation", "Kerberos Service Ticket Operations", "Other Account Logon Events",
                          "Kerberos Authentication Service", NULL},
};

static const char *audit_setting(unsigned v)
{
    switch (v & 3) {
    case 0: return "No Auditing";
    case 1: return "Success";
    case 2: return "Failure";
    default: return "Success and Failure";
    }
}

/* SECURITY\Policy\PolAdtEv, Vista and later: a 12-byte header (category
 * count at 4, offset of the per-category subcategory counts at 8), then one
 * u16 setting per subcategory, category by category. */
int tm_reg_decode_poladtev(const uint8_t *d, size_t n, tm_fields_enc *e)
{
    if (n < 12)
        return -1;
    unsigned ncat = (unsigned)(d[4] | d[5] << 8), foot = (unsigned)(d[8] | d[9] << 8);
    if (ncat == 0 || ncat > 9 || foot < 12 || foot + 2 * ncat > n)
        return -1;
    size_t at = 12;
    int decoded = 0;
    for (unsigned c = 0; c < ncat; c++) {
        unsigned cnt = (unsigned)(d[foot + 2 * c] | d[foot + 2 * c + 1] << 8);
        if (cnt > 64 || at + 2 * cnt > foot)
            return -1;
        unsigned known = 0;
        while (audit_subcategories[c][known])
            known++;
        for (unsigned s = 0; s < cnt; s++) {
            unsigned v = (unsigned)(d[at] | d[at + 1] << 8);
            char key[128];
            if (s < known)
                snprintf(key, sizeof key, "%s/%s", audit_categories[c], audit_subcategories[c][s]);
            else
                snprintf(key, sizeof key, "%s/#%u", audit_categories[c], s + 1);
            tm_fenc_str(e, key, audit_setting(v));
            at += 2;
            decoded++;
        }
    }
    return decoded;
}

static void audit_policy(tm_hive *h)
{
    libregf_key_t *k = tm_reg_key(h, "Policy\\PolAdtEv");
    if (!k)
        return;
    libregf_error_t *err = NULL;
    libregf_value_t *v = NULL;
    if ((v = tm_reg_value(k, "")) != NULL) {
        size_t sz = 0;
        if (libregf_value_get_value_data_size(v, &sz, &err) == 1 && sz > 0 && sz < 4096) {
            uint8_t *d = tm_xmalloc(sz);
            if (libregf_value_get_value_data(v, d, sz, &err) == 1) {
                tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, tm_reg_key_offset(k), tm_reg_key_time(k));
                tm_fenc_str(e, "fact", "audit_policy");
                tm_fenc_str(e, "key", "Policy\\PolAdtEv");
                if (tm_reg_decode_poladtev(d, sz, e) < 0) {
                    /* Pre-Vista layout or damaged: keep the bytes. */
                    tm_fenc_str(e, "decoded", "no");
                    tm_fenc_bytes(e, "PolAdtEv", d, sz);
                }
                tm_emit_end(h->out);
                h->st->records++;
            }
            free(d);
        }
    }
    libregf_error_free(&err);
    libregf_value_free(&v, NULL);
    libregf_key_free(&k, NULL);
}

/* SAM: Domains\Account\Users\Names\<user>; the default value's *type* is
 * the account's RID, and the key's last-written time its creation. */
static void sam_users(tm_hive *h)
{
    libregf_key_t *names = tm_reg_key(h, "SAM\\Domains\\Account\\Users\\Names");
    if (!names)
        return;
    libregf_error_t *err = NULL;
    int ns = 0;
    if (libregf_key_get_number_of_sub_keys(names, &ns, &err) != 1)
        ns = 0;
    libregf_error_free(&err);
    for (int i = 0; i < ns && i < 100000; i++) {
        libregf_key_t *u = NULL;
        char name[512];
        if (libregf_key_get_sub_key(names, i, &u, &err) != 1 || !tm_reg_key_name(u, name, sizeof name)) {
            libregf_error_free(&err);
            libregf_key_free(&u, NULL);
            continue;
        }
        tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, tm_reg_key_offset(u), tm_reg_key_time(u));
        tm_fenc_str(e, "fact", "sam_user");
        tm_fenc_str(e, "key", "SAM\\Domains\\Account\\Users\\Names");
        tm_fenc_str(e, "name", name);
        libregf_value_t *v = NULL;
        uint32_t type = 0;
        if ((v = tm_reg_value(u, "")) != NULL && libregf_value_get_value_type(v, &type, &err) == 1)
            tm_fenc_uint(e, "rid", type);
        libregf_error_free(&err);
        libregf_value_free(&v, NULL);
        tm_emit_end(h->out);
        h->st->records++;
        libregf_key_free(&u, NULL);
    }
    libregf_key_free(&names, NULL);
}

/* A length-prefixed UTF-16 string (u32 byte count) at *o; false when it does
 * not fit. */
static bool blob_string(const uint8_t *d, size_t n, size_t *o, char *out, size_t outlen)
{
    if (*o + 4 > n)
        return false;
    uint32_t len = (uint32_t)d[*o] | (uint32_t)d[*o + 1] << 8 | (uint32_t)d[*o + 2] << 16 | (uint32_t)d[*o + 3] << 24;
    *o += 4;
    if (len % 2 || len > n - *o)
        return false;
    tm_utf16le_to_utf8(d + *o, len / 2, out, outlen);
    *o += len;
    return true;
}

/* TaskCache Actions blob: u16 version, (version >= 2) a context string, then
 * actions by magic: 0x6666 Exec (id, command, arguments, working directory),
 * 0x7777 COM handler (id, CLSID, data). Adds exec.N.* / com.N.* fields and
 * command_line; returns false when the blob is not in this layout. */
bool tm_reg_task_actions(const uint8_t *d, size_t n, tm_fields_enc *e)
{
    if (n < 2)
        return false;
    unsigned version = (unsigned)(d[0] | d[1] << 8);
    size_t o = 2;
    char s[2048], key[48];
    if (version >= 2 && !blob_string(d, n, &o, s, sizeof s))
        return false;
    tm_buf cmdline;
    tm_buf_init(&cmdline);
    unsigned ne = 0, nc = 0;
    bool ok = true;
    while (ok && o + 2 <= n) {
        unsigned magic = (unsigned)(d[o] | d[o + 1] << 8);
        o += 2;
        if (magic == 0x6666) {
            char cmd[2048], args[2048], wd[2048];
            ok = blob_string(d, n, &o, s, sizeof s) && blob_string(d, n, &o, cmd, sizeof cmd) &&
                 blob_string(d, n, &o, args, sizeof args) && blob_string(d, n, &o, wd, sizeof wd);
            if (!ok)
                break;
            if (version >= 3 && o + 2 <= n)
                o += 2; /* flags */
            ne++;
            snprintf(key, sizeof key, "exec.%u.command", ne);
            tm_fenc_str(e, key, cmd);
            snprintf(key, sizeof key, "exec.%u.arguments", ne);
            tm_fenc_str(e, key, args);
            if (*wd) {
                snprintf(key, sizeof key, "exec.%u.working_directory", ne);
                tm_fenc_str(e, key, wd);
            }
            if (cmdline.len)
                tm_buf_puts(&cmdline, " ; ");
            tm_buf_puts(&cmdline, cmd);
            if (*args) {
                tm_buf_putc(&cmdline, ' ');
                tm_buf_puts(&cmdline, args);
            }
        } else if (magic == 0x7777) {
            ok = blob_string(d, n, &o, s, sizeof s) && o + 16 <= n;
            if (!ok)
                break;
            char clsid[48];
            const uint8_t *g = d + o;
            snprintf(clsid, sizeof clsid, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
                     (unsigned)(g[0] | g[1] << 8 | g[2] << 16 | (unsigned)g[3] << 24), (unsigned)(g[4] | g[5] << 8),
                     (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
            o += 16;
            ok = blob_string(d, n, &o, s, sizeof s);
            nc++;
            snprintf(key, sizeof key, "com.%u.class_id", nc);
            tm_fenc_str(e, key, clsid);
            if (ok && *s) {
                snprintf(key, sizeof key, "com.%u.data", nc);
                tm_fenc_str(e, key, s);
            }
        } else {
            /* E-mail and message actions (deprecated) end what we decode. */
            break;
        }
    }
    if (cmdline.len)
        tm_fenc_strn(e, "command_line", cmdline.data, cmdline.len);
    tm_buf_free(&cmdline);
    return ne + nc > 0;
}

/* TaskCache\Tasks\{GUID}: Path, URI, Author, Date, Description; Actions is
 * binary (UTF-16 strings inside are extracted); DynamicInfo holds the
 * creation and last-run FILETIMEs at offsets 4 and 12. */
static void taskcache_tasks(tm_hive *h)
{
    const char *base = "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks";
    libregf_key_t *tasks = tm_reg_key(h, base);
    if (!tasks)
        return;
    libregf_error_t *err = NULL;
    int ns = 0;
    if (libregf_key_get_number_of_sub_keys(tasks, &ns, &err) != 1)
        ns = 0;
    libregf_error_free(&err);
    static const char *const strs[] = {"Path", "URI", "Author", "Date", "Description", "Source"};
    for (int i = 0; i < ns && i < 100000; i++) {
        libregf_key_t *t = NULL;
        char name[512];
        if (libregf_key_get_sub_key(tasks, i, &t, &err) != 1 || !tm_reg_key_name(t, name, sizeof name)) {
            libregf_error_free(&err);
            libregf_key_free(&t, NULL);
            continue;
        }
        tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, tm_reg_key_offset(t), tm_reg_key_time(t));
        tm_fenc_str(e, "fact", "task_cache");
        tm_fenc_str(e, "key", base);
        tm_fenc_str(e, "name", name);
        for (size_t s = 0; s < sizeof strs / sizeof strs[0]; s++) {
            libregf_value_t *v = NULL;
            if ((v = tm_reg_value(t, strs[s])) != NULL)
                tm_reg_put_value(e, strs[s], v);
            libregf_error_free(&err);
            libregf_value_free(&v, NULL);
        }
        libregf_value_t *v = NULL;
        size_t sz = 0;
        if ((v = tm_reg_value(t, "Actions")) != NULL &&
            libregf_value_get_value_data_size(v, &sz, &err) == 1 && sz > 0 && sz < 65536) {
            uint8_t *d = tm_xmalloc(sz);
            if (libregf_value_get_value_data(v, d, sz, &err) == 1 && !tm_reg_task_actions(d, sz, e)) {
                /* Not the known layout: runs of printable UTF-16 of 2+ characters. */
                tm_buf b;
                tm_buf_init(&b);
                size_t run = 0;
                for (size_t o = 0; o + 1 < sz; o += 2) {
                    unsigned c = d[o] | (unsigned)d[o + 1] << 8;
                    bool pr = c >= 0x20 && c != 0x7F && c < 0xD800;
                    if (pr) {
                        run++;
                        continue;
                    }
                    if (run >= 2) {
                        char s[4096];
                        tm_utf16le_to_utf8(d + o - 2 * run, run, s, sizeof s);
                        if (b.len)
                            tm_buf_puts(&b, " ");
                        tm_buf_puts(&b, s);
                    }
                    run = 0;
                }
                if (b.len)
                    tm_fenc_strn(e, "actions_text", b.data, b.len);
                tm_buf_free(&b);
            }
            free(d);
        }
        libregf_error_free(&err);
        libregf_value_free(&v, NULL);
        v = NULL;
        if ((v = tm_reg_value(t, "DynamicInfo")) != NULL &&
            libregf_value_get_value_data_size(v, &sz, &err) == 1 && sz >= 20 && sz < 1024) {
            uint8_t d[1024];
            if (libregf_value_get_value_data(v, d, sz, &err) == 1) {
                uint64_t created = 0, lastrun = 0;
                for (int b = 7; b >= 0; b--) {
                    created = created << 8 | d[4 + b];
                    lastrun = lastrun << 8 | d[12 + b];
                }
                tm_fenc_time(e, "created", tm_time_from_filetime(created));
                tm_fenc_time(e, "last_run", tm_time_from_filetime(lastrun));
            }
        }
        libregf_error_free(&err);
        libregf_value_free(&v, NULL);
        tm_emit_end(h->out);
        h->st->records++;
        libregf_key_free(&t, NULL);
    }
    libregf_key_free(&tasks, NULL);
}

void tm_reg_facts(tm_hive *h)
{
    if (!h->subtype)
        return;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].hive, h->subtype) == 0)
            run_rule(h, &rules[i]);
    if (strcmp(h->subtype, "SECURITY") == 0)
        audit_policy(h);
    if (strcmp(h->subtype, "SAM") == 0)
        sam_users(h);
    if (strcmp(h->subtype, "SOFTWARE") == 0)
        taskcache_tasks(h);
    if (strcmp(h->subtype, "SYSTEM") == 0 && h->control_set[0]) {
        tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, 0, INT64_MIN);
        tm_fenc_str(e, "fact", "control_set");
        tm_fenc_str(e, "key", "Select");
        tm_fenc_str(e, "current", h->control_set);
        tm_emit_end(h->out);
        h->st->records++;
    }
}
