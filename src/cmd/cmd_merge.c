/* toolmark merge CASEDIR: rebuilds CASEDIR/case/ from the input folders, so
 * that inputs scanned one by one (on one machine or many, by a cluster
 * scheduler) become one case afterwards (docs/case.md). */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "case/case.h"
#include "cmd/cmd.h"
#include "util/msg.h"
#include "util/zone.h"

static const char usage[] =
    "Usage: toolmark merge [--manifest FILE] [--clock-skew SEC] [--tz ZONE] CASEDIR\n"
    "\n"
    "Build CASEDIR/case/ from the input folders of CASEDIR (each written by\n"
    "toolmark scan -o CASEDIR, here or elsewhere): the timelines of all inputs\n"
    "merged by time, the links between hosts (lateral-movement.csv, hosts.dot),\n"
    "summary.json and report.html (docs/case.md).\n"
    "\n"
    "  --manifest FILE       the case's inputs, as given to scan --only (one a line:\n"
    "                        PATH or PATH<TAB>LABEL): each is named, read or not\n"
    "  --clock-skew SEC      how far apart the two ends of a link may be (default 300)\n"
    "  --tz ZONE             show times in ZONE in the report (default UTC)\n"
    "  -q, --quiet           say nothing but problems\n"
    "  -h, --help            this help\n";

int cmd_merge(int argc, char **argv)
{
    static const struct option lopts[] = {{"clock-skew", required_argument, NULL, 'k'},
                                          {"tz", required_argument, NULL, 'Z'},
                                          {"manifest", required_argument, NULL, 'm'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    int skew = (int)(TM_CASE_DEFAULT_SKEW_US / 1000000), c;
    const char *manifest = NULL;
    optind = 1;
    while ((c = tm_getopt("merge", argc, argv, "hq", lopts)) != -1) {
        switch (c) {
        case 'k':
            if (!tm_opt_int("merge", "--clock-skew", optarg, 0, 86400, &skew))
                return TM_EXIT_USAGE;
            break;
        case 'Z': {
            char why[200];
            if (!tm_zone_set(optarg, why, sizeof why)) {
                tm_usage_error("merge", "%s", why);
                return TM_EXIT_USAGE;
            }
            break;
        }
        case 'q': tm_verbosity = 0; break;
        case 'm': manifest = optarg; break;
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    if (argc - optind != 1) {
        tm_usage_error("merge", "give one CASEDIR");
        return TM_EXIT_USAGE;
    }
    const char *dir = argv[optind];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        tm_usage_error("merge", "%s is not a folder", dir);
        return TM_EXIT_USAGE;
    }
    if (manifest) {
        /* the inputs by the manifest, with the ids scan --only gave them: a
         * folder with a summary.json is done, one without failed, none at
         * all not read */
        tm_manifest m;
        char why[600];
        if (!tm_manifest_read(manifest, &m, why, sizeof why)) {
            tm_usage_error("merge", "%s", why);
            return TM_EXIT_USAGE;
        }
        char **ids = tm_input_ids_labelled(m.paths, m.labels, m.n);
        tm_case_status *how = tm_xcalloc(m.n, sizeof *how);
        for (size_t i = 0; i < m.n; i++) {
            char *d = tm_xasprintf("%s/%s", dir, ids[i]), *s = tm_xasprintf("%s/summary.json", d);
            struct stat x;
            how[i] = stat(s, &x) == 0 ? TM_CASE_DONE : stat(d, &x) == 0 ? TM_CASE_FAILED : TM_CASE_NOT_READ;
            free(d);
            free(s);
        }
        int wrc = tm_case_write_inputs(dir, ids, m.paths, how, m.n);
        for (size_t i = 0; i < m.n; i++)
            free(ids[i]);
        free(ids);
        free(how);
        tm_manifest_free(&m);
        if (wrc != 0) {
            tm_msg("cannot write %s/inputs.tsv: %s", dir, strerror(errno));
            return TM_EXIT_PARTIAL;
        }
    }
    tm_case_opts o = {(int64_t)skew * 1000000};
    int rc = tm_case_merge(dir, &o);
    if (rc >= 0 && tm_verbosity >= 1) {
        tm_buf line;
        tm_buf_init(&line);
        tm_buf_term_line(&line, "case: merged timelines, links and report in %s/case/\n", dir);
        tm_flush_stdout(&line);
        tm_buf_free(&line);
    }
    return rc == 0 ? TM_EXIT_OK : TM_EXIT_PARTIAL;
}
