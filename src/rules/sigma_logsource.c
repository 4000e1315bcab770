/* Sigma log sources to Windows channels and event ids: the taxonomy appendix
 * (../shared/sigma/spec/specification/sigma-appendix-taxonomy.md, v2.1.0)
 * as a table, and the field names of Security 4688 mapped to Sysmon 1's
 * (process_creation is both). */
#include <string.h>
#include <strings.h>

#include "rules/sigma_int.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_OP "Microsoft-Windows-PowerShell/Operational"
#define PS_CORE "PowerShellCore/Operational"
#define PS_CLASSIC "Windows PowerShell"

/* Windows services: one to four channels each (every event of them). */
static const struct {
    const char *service;
    const char *channel[4];
} services[] = {
    {"application", {"Application"}},
    {"application-experience",
     {"Microsoft-Windows-Application-Experience/Program-Telemetry",
      "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant"}},
    {"applocker",
     {"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
      "Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution"}},
    {"appmodel-runtime", {"Microsoft-Windows-AppModel-Runtime/Admin"}},
    {"appxdeployment-server", {"Microsoft-Windows-AppXDeploymentServer/Operational"}},
    {"appxpackaging-om", {"Microsoft-Windows-AppxPackaging/Operational"}},
    {"bitlocker", {"Microsoft-Windows-BitLocker/BitLocker Management"}},
    {"bits-client", {"Microsoft-Windows-Bits-Client/Operational"}},
    {"capi2", {"Microsoft-Windows-CAPI2/Operational"}},
    {"certificateservicesclient-lifecycle-system",
     {"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"}},
    {"codeintegrity-operational", {"Microsoft-Windows-CodeIntegrity/Operational"}},
    {"dhcp", {"Microsoft-Windows-DHCP-Server/Operational"}},
    {"diagnosis-scripted", {"Microsoft-Windows-Diagnosis-Scripted/Operational"}},
    {"dns-client", {"Microsoft-Windows-DNS Client Events/Operational"}},
    {"dns-server", {"DNS Server"}},
    {"dns-server-analytic", {"Microsoft-Windows-DNS-Server/Analytical"}},
    {"dns-server-audit", {"Microsoft-Windows-DNS-Server/Audit"}},
    {"driver-framework", {"Microsoft-Windows-DriverFrameworks-UserMode/Operational"}},
    {"firewall-as", {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"}},
    {"hyper-v-worker", {"Microsoft-Windows-Hyper-V-Worker"}},
    {"iis-configuration", {"Microsoft-IIS-Configuration/Operational"}},
    {"kernel-event-tracing", {"Microsoft-Windows-Kernel-EventTracing"}},
    /* the appendix writes the second as "WinEventLog:Microsoft-...": the
     * prefix is a Splunk source name, not part of the channel */
    {"kernel-shimengine",
     {"Microsoft-Windows-Kernel-ShimEngine/Operational", "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"}},
    {"ldap", {"Microsoft-Windows-LDAP-Client/Debug"}},
    {"lsa-server", {"Microsoft-Windows-LSA/Operational"}},
    {"msexchange-management", {"MSExchange Management"}},
    {"ntfs", {"Microsoft-Windows-Ntfs/Operational"}},
    {"ntlm", {"Microsoft-Windows-NTLM/Operational"}},
    {"openssh", {"OpenSSH/Operational"}},
    {"powershell", {PS_OP}},
    {"powershell-classic", {PS_CLASSIC}},
    {"printservice-admin", {"Microsoft-Windows-PrintService/Admin"}},
    {"printservice-operational", {"Microsoft-Windows-PrintService/Operational"}},
    {"security", {"Security"}},
    {"security-mitigations",
     {"Microsoft-Windows-Security-Mitigations/Kernel Mode", "Microsoft-Windows-Security-Mitigations/User Mode"}},
    {"sense", {"Microsoft-Windows-SENSE/Operational"}},
    {"servicebus-client", {"Microsoft-ServiceBus-Client/Operational", "Microsoft-ServiceBus-Client/Admin"}},
    {"shell-core", {"Microsoft-Windows-Shell-Core/Operational"}},
    {"smbclient-security", {"Microsoft-Windows-SmbClient/Security"}},
    {"sysmon", {SYSMON}},
    {"system", {"System"}},
    {"taskscheduler", {"Microsoft-Windows-TaskScheduler/Operational"}},
    {"terminalservices-localsessionmanager", {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"}},
    {"vhdmp", {"Microsoft-Windows-VHDMP/Operational"}},
    {"windefend", {"Microsoft-Windows-Windows Defender/Operational"}},
    {"wmi", {"Microsoft-Windows-WMI-Activity/Operational"}},
    /* Not in the appendix, used by SigmaHQ rules (channels as Windows
     * names them). */
    {"microsoft-servicebus-client", {"Microsoft-ServiceBus-Client/Operational", "Microsoft-ServiceBus-Client/Admin"}},
    {"smbclient-connectivity", {"Microsoft-Windows-SmbClient/Connectivity"}},
    {"smbserver-connectivity", {"Microsoft-Windows-SMBServer/Connectivity"}},
};

/* Windows categories: (channel, event id) pairs. A category with no pair
 * (file_access, file_rename: ETW provider Microsoft-Windows-Kernel-File,
 * no event log channel) is not a source toolmark reads. */
static const struct {
    const char *category;
    tm_sigma_source src[4];
} categories[] = {
    /* Sysmon 1, and the Security log's own process creation event (its
     * field names mapped below) */
    {"process_creation", {{SYSMON, 1}, {"Security", 4688}}},
    {"file_change", {{SYSMON, 2}}},
    {"network_connection", {{SYSMON, 3}}},
    {"sysmon_status", {{SYSMON, 4}, {SYSMON, 16}}},
    {"process_termination", {{SYSMON, 5}}},
    {"driver_load", {{SYSMON, 6}}},
    {"image_load", {{SYSMON, 7}}},
    {"create_remote_thread", {{SYSMON, 8}}},
    {"raw_access_thread", {{SYSMON, 9}}},
    {"process_access", {{SYSMON, 10}}},
    {"file_event", {{SYSMON, 11}}},
    {"registry_event", {{SYSMON, 12}, {SYSMON, 13}, {SYSMON, 14}}},
    {"registry_add", {{SYSMON, 12}}},
    {"registry_delete", {{SYSMON, 12}}},
    {"registry_set", {{SYSMON, 13}}},
    {"registry_rename", {{SYSMON, 14}}},
    {"create_stream_hash", {{SYSMON, 15}}},
    {"pipe_created", {{SYSMON, 17}, {SYSMON, 18}}},
    {"wmi_event", {{SYSMON, 19}, {SYSMON, 20}, {SYSMON, 21}}},
    {"dns_query", {{SYSMON, 22}}},
    /* 23 FileDelete (archived); 26 FileDeleteDetected is the same event
     * with the same fields when the file is not archived */
    {"file_delete", {{SYSMON, 23}, {SYSMON, 26}}},
    {"clipboard_capture", {{SYSMON, 24}}},
    {"process_tampering", {{SYSMON, 25}}},
    {"file_delete_detected", {{SYSMON, 26}}},
    {"file_block_executable", {{SYSMON, 27}}},
    {"file_block_shredding", {{SYSMON, 28}}},
    {"file_executable_detected", {{SYSMON, 29}}},
    {"sysmon_error", {{SYSMON, 255}}},
    {"ps_classic_start", {{PS_CLASSIC, 400}}},
    {"ps_classic_provider_start", {{PS_CLASSIC, 600}}},
    {"ps_classic_script", {{PS_CLASSIC, 800}}},
    {"ps_module", {{PS_OP, 4103}, {PS_CORE, 4103}}},
    {"ps_script", {{PS_OP, 4104}, {PS_CORE, 4104}}},
};

size_t tm_sigma_logsource(const char *product, const char *service, const char *category, tm_sigma_source *out,
                          size_t max)
{
    if (product && strcmp(product, "windows") != 0)
        return 0;
    const char *const *svc = NULL;
    if (service) {
        for (size_t i = 0; i < sizeof services / sizeof *services; i++)
            if (strcmp(services[i].service, service) == 0)
                svc = services[i].channel;
        if (!svc)
            return 0;
    }
    const tm_sigma_source *cat = NULL;
    if (category) {
        for (size_t i = 0; i < sizeof categories / sizeof *categories; i++)
            if (strcmp(categories[i].category, category) == 0)
                cat = categories[i].src;
        if (!cat)
            return 0;
    }
    size_t n = 0;
    if (cat) {
        /* with a service too, the category's pairs in the service's channels */
        for (int pass = 0; pass < 2 && n == 0; pass++)
            for (size_t i = 0; i < 4 && cat[i].channel && n < max; i++) {
                bool keep = !svc || pass == 1;
                for (size_t k = 0; !keep && k < 4 && svc[k]; k++)
                    keep = strcmp(svc[k], cat[i].channel) == 0;
                if (keep)
                    out[n++] = cat[i];
            }
        return n;
    }
    if (svc) {
        for (size_t k = 0; k < 4 && svc[k] && n < max; k++)
            out[n++] = (tm_sigma_source){svc[k], 0};
        return n;
    }
    if (product && max > 0) { /* product: windows alone: every channel */
        out[n++] = (tm_sigma_source){TM_SIGMA_ANY_CHANNEL, 0};
        return n;
    }
    return 0;
}

/* Security 4688's EventData names and the Sysmon 1 names process_creation
 * rules use. SubjectUserName is the account that created the process (4688
 * has no "DOMAIN\user" field; TargetUserName, when filled, is the new
 * process's account on Windows 10 and later but is "-" in most records),
 * so User holds the creator's name without its domain. MandatoryLabel is a
 * SID (S-1-16-12288) where Sysmon writes "High". OriginalFileName, Hashes,
 * ParentCommandLine, CurrentDirectory and the GUIDs have no 4688 field and
 * are absent. */
static const struct {
    const char *record, *sigma;
} map4688[] = {
    {"NewProcessName", "Image"},
    {"ParentProcessName", "ParentImage"},
    {"NewProcessId", "ProcessId"},
    {"ProcessId", "ParentProcessId"},
    {"SubjectUserName", "User"},
    {"SubjectLogonId", "LogonId"},
    {"MandatoryLabel", "IntegrityLevel"},
};

static bool is4688(const char *channel, uint32_t event_id)
{
    return event_id == 4688 && channel && strcasecmp(channel, "Security") == 0;
}

const char *tm_sigma_field_name(const char *channel, uint32_t event_id, const char *record_field)
{
    if (record_field && is4688(channel, event_id))
        for (size_t i = 0; i < sizeof map4688 / sizeof *map4688; i++)
            if (strcmp(map4688[i].record, record_field) == 0)
                return map4688[i].sigma;
    return record_field;
}

const char *tm_sigma_record_field(const char *channel, uint32_t event_id, const char *sigma)
{
    if (sigma && is4688(channel, event_id))
        for (size_t i = 0; i < sizeof map4688 / sizeof *map4688; i++)
            if (strcmp(map4688[i].sigma, sigma) == 0)
                return map4688[i].record;
    return sigma;
}
