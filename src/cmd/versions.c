/* The versions of toolmark and of every library it runs on: the
 * coordinator's own (image layer, rules, hashes) and, asked of
 * toolmark-parse, the parsers' (--version, summary.json "run"). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libewf.h>
#include <tsk/libtsk.h>
#include <yaml.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cmd/cmd.h"
#include "worker/pool.h"

/* toolmark-parse --versions, or a line saying why not. */
static void parser_versions(tm_buf *out)
{
    char *path = tm_worker_path();
    int fd[2];
    pid_t pid = -1;
    if (pipe(fd) == 0) {
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            dup2(fd[1], 1);
            close(fd[0]);
            close(fd[1]);
            execl(path, "toolmark-parse", "--versions", (char *)NULL);
            _exit(127);
        }
        close(fd[1]);
        size_t before = out->len;
        char b[512];
        ssize_t n;
        while (pid > 0 && out->len - before < 4096) {
            n = read(fd[0], b, sizeof b);
            if (n < 0 && errno == EINTR)
                continue; /* a signal (the child's end) is not the end of its output */
            if (n <= 0)
                break;
            tm_buf_put(out, b, (size_t)n);
        }
        close(fd[0]);
        int st = 0;
        if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            out->len = before;
            pid = -1;
        }
    }
    if (pid <= 0)
        tm_buf_printf(out, "toolmark-parse not found or not working (%s): parser libraries unknown\n", path);
    free(path);
}

static void own_library_versions(tm_buf *out)
{
    char pcre[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    tm_buf_printf(out, "libtsk %s\nlibewf %s\nlibyaml %s\npcre2 %.*s\nopenssl %s\n", tsk_version_get_str(),
                  libewf_get_version(), yaml_get_version_string(), (int)strcspn(pcre, " "), pcre,
                  OpenSSL_version(OPENSSL_VERSION_STRING));
}

void tm_library_versions(tm_buf *out)
{
    own_library_versions(out);
    parser_versions(out);
}
