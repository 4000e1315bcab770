/* The table of plugins: one per tool family, one file each. Order is the
 * order `toolmark plugins` lists them and the coverage verdict names their
 * tools in; traces are sorted afterwards, so it does not change them. */
#include "pipeline/plugin.h"

extern const tm_plugin tm_plugin_psexec, tm_plugin_wmi, tm_plugin_tasks, tm_plugin_winrm, tm_plugin_beginx,
    tm_plugin_bits, tm_plugin_rdp, tm_plugin_pth, tm_plugin_netuse, tm_plugin_netuser, tm_plugin_wevtutil,
    tm_plugin_klist, tm_plugin_sdelete, tm_plugin_timestomp, tm_plugin_commands, tm_plugin_pwdump, tm_plugin_mimikatz,
    tm_plugin_powersploit, tm_plugin_relay, tm_plugin_escalation, tm_plugin_kerberos, tm_plugin_addb, tm_plugin_adrecon, tm_plugin_logons;

const tm_plugin *const tm_plugins[] = {
    /* remote command execution */
    &tm_plugin_psexec, &tm_plugin_wmi, &tm_plugin_tasks, &tm_plugin_beginx, &tm_plugin_winrm, &tm_plugin_bits,
    /* remote login */
    &tm_plugin_rdp, &tm_plugin_pth, &tm_plugin_logons,
    /* shares and accounts */
    &tm_plugin_netuse, &tm_plugin_netuser,
    /* deleting evidence */
    &tm_plugin_wevtutil, &tm_plugin_klist, &tm_plugin_sdelete, &tm_plugin_timestomp,
    /* password and hash dump */
    &tm_plugin_pwdump, &tm_plugin_mimikatz, &tm_plugin_powersploit,
    /* relays, escalation, domain admin */
    &tm_plugin_relay, &tm_plugin_escalation, &tm_plugin_kerberos,
    /* AD database and reconnaissance */
    &tm_plugin_addb, &tm_plugin_adrecon,
    /* every other command, by phase */
    &tm_plugin_commands,
};
const size_t tm_plugin_count = sizeof tm_plugins / sizeof tm_plugins[0];
