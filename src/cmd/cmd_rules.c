/* toolmark rules check PATH...: loads Sigma rule files or folders and says
 * how many rules loaded, how many were skipped for which reason, and which
 * files are broken (file and line). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "rules/sigma.h"
#include "util/msg.h"

static const char usage[] = "Usage: toolmark rules check [-v] PATH...\n"
                            "\n"
                            "Load Sigma rules (a .yml file, or every .yml/.yaml under a folder) and\n"
                            "report how many loaded, how many were skipped and why, and the errors.\n"
                            "  -v, --verbose  one line per skipped rule and per error (FILE:LINE: why)\n"
                            "\n"
                            "Exit status: 0 every rule loaded or was skipped for a documented reason;\n"
                            "1 some rule is broken or a path could not be read; 2 usage error.\n";

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            fputs(usage, stdout);
            return TM_EXIT_OK;
        }
        tm_msg("rules: the subcommand is 'check'");
        fputs(usage, stderr);
        return TM_EXIT_USAGE;
    }
    argc--;
    argv++;
    static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool verbose = false;
    int c;
    optind = 1;
    while ((c = tm_getopt("rules check", argc, argv, "vh", opts)) != -1) {
        if (c == 'v')
            verbose = true;
        else if (c == 'h') {
            fputs(usage, stdout);
            return TM_EXIT_OK;
        } else
            return TM_EXIT_USAGE;
    }
    if (optind >= argc) {
        tm_usage_error("rules check", "no PATH given");
        return TM_EXIT_USAGE;
    }
    tm_sigma_set *set = tm_sigma_set_new();
    tm_sigma_report rep;
    memset(&rep, 0, sizeof rep);
    int status = TM_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (!tm_sigma_load_path(set, argv[i], &rep)) {
            tm_msg("%s: cannot read", argv[i]);
            status = TM_EXIT_PARTIAL;
        }
    size_t skipped = 0;
    for (int s = 0; s < TM_SIGMA_SKIP_NKINDS; s++)
        skipped += rep.skipped[s];
    printf("%zu rule%s loaded, %zu skipped, %zu error%s\n", rep.loaded, rep.loaded == 1 ? "" : "s", skipped,
           rep.errors, rep.errors == 1 ? "" : "s");
    for (int s = 0; s < TM_SIGMA_SKIP_NKINDS; s++)
        if (rep.skipped[s])
            printf("  skipped, %s: %zu\n", tm_sigma_skip_name((tm_sigma_skip)s), rep.skipped[s]);
    if (rep.log && (verbose || rep.errors)) {
        /* errors always; skips with -v */
        for (char *line = rep.log, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            size_t len = next ? (size_t)(next - line) : strlen(line);
            if (next)
                next++;
            bool is_skip = memmem(line, len, ": skipped", 9) != NULL;
            if (verbose || !is_skip)
                printf("%.*s\n", (int)len, line);
        }
    }
    if (rep.errors)
        status = TM_EXIT_PARTIAL;
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(set);
    return status;
}
