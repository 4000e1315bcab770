/* klist purge: the current logon session's Kerberos tickets deleted.
 * klist.exe runs with "purge"; confirmed by 4689 with status 0x0 (the
 * sheet). Other klist uses (listing tickets) are left to the command
 * classifier. */
#include <string.h>

#include "pipeline/plugin.h"

#define CATEGORY "Deleting Evidence"

static const tm_sub subs[] = {{TM_SUB_EXEC, "klist", 0, NULL, NULL}, TM_SUB_END};
static const char *const tools[] = {"klist-purge", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"klist-purge", TM_ROLE_HOST,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"klist", "purge", NULL, "klist-purge"},
    {NULL, NULL, NULL, NULL},
};
static const char *const names[] = {"klist", NULL};

static bool purges(const tm_run *run)
{
    return run->best && strcmp(run->best->verb, "purge") == 0;
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule r = {.tool = "klist-purge", .category = CATEGORY, .role = TM_ROLE_HOST, .role_local = TM_ROLE_HOST,
                      .names = names, .filter = purges, .confirm_by_exit = true};
    tm_exec_traces(v, out, &r);
}

const tm_plugin tm_plugin_klist = {
    .name = "klist",
    .tools = tools,
    .category = CATEGORY,
    .summary = "klist purge runs (Kerberos tickets deleted)",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
