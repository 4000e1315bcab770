/* toolmark: finds the traces attackers' lateral-movement tools leave in
 * Windows disk images. Command dispatch only; see docs/architecture.md. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/msg.h"

#ifndef TM_VERSION
#define TM_VERSION "0.0.0"
#endif

static const char usage[] =
    "Usage: toolmark COMMAND [OPTIONS] INPUT...\n"
    "\n"
    "Finds, in Windows disk images (E01, raw, split raw, VHD, VMDK) and folders of\n"
    "collected files, the artifacts that attackers' tools leave.\n"
    "\n"
    "Commands:\n"
    "  scan        find the traces of attacker tools: OUT/<input>/traces.jsonl\n"
    "  plugins     list the plugins, the tools they cover and what they consume\n"
    "  artifacts   list the artifacts found in each input\n"
    "  extract     copy the artifacts out, with a manifest of hashes and times\n"
    "  dump        parse the artifacts and print their records as JSON lines\n"
    "  rules       check Sigma rule files: what loads, what is skipped and why\n"
    "  merge       join the input folders of a case: timelines, links, report\n"
    "\n"
    "Options:\n"
    "  -h, --help     this help ('toolmark COMMAND --help' for a command)\n"
    "  -V, --version  version of toolmark and of the libraries it uses\n"
    "\n"
    "Exit status: 0 all inputs read; 1 some input, volume or artifact could not be\n"
    "read (see the messages); 2 usage error.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return TM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return TM_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        tm_buf v;
        tm_buf_init(&v);
        tm_buf_printf(&v, "toolmark %s\n", TM_VERSION);
        tm_library_versions(&v);
        fwrite(v.data, 1, v.len, stdout);
        tm_buf_free(&v);
        return TM_EXIT_OK;
    }
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(argc - 1, argv + 1);
    if (strcmp(cmd, "plugins") == 0)
        return cmd_plugins(argc - 1, argv + 1);
    if (strcmp(cmd, "rules") == 0)
        return cmd_rules(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "artifacts") == 0)
        return cmd_artifacts(argc - 1, argv + 1);
    if (strcmp(cmd, "extract") == 0)
        return cmd_extract(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    tm_msg("unknown command '%s'", cmd);
    tm_msg_line("Try '%s --help'.", tm_prog);
    return TM_EXIT_USAGE;
}
