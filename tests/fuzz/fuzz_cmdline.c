/* libFuzzer target: the command-line splitter (cmd and PowerShell rules,
 * powershell -enc and character-code decoding, one program's own line),
 * the command table lookup, the peer extraction and a task XML's action,
 * on attacker-controlled command lines. Asserts the splitter's
 * bounds: at most TM_CMDS_MAX commands, names within their buffers. */
#include <stdlib.h>
#include <string.h>

#include "pipeline/cmdline.h"
#include "pipeline/plugin.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check(const tm_cmds *cs)
{
    if (cs->n > TM_CMDS_MAX)
        abort();
    for (size_t i = 0; i < cs->n; i++) {
        if (strnlen(cs->c[i].name, sizeof cs->c[i].name) >= sizeof cs->c[i].name ||
            strnlen(cs->c[i].verb, sizeof cs->c[i].verb) >= sizeof cs->c[i].verb || !cs->c[i].text || !cs->c[i].args)
            abort();
        tm_command_lookup(&cs->c[i]);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    tm_cmds cs;
    tm_cmds_init(&cs);
    tm_cmdline_split(s, &cs);
    check(&cs);
    tm_cmds_free(&cs);
    tm_script_split(s, &cs);
    check(&cs);
    tm_cmds_free(&cs);
    tm_cmdline_split_one(s, &cs);
    check(&cs);
    tm_cmds_free(&cs);
    char action[512];
    if (tm_task_xml_action(s, action, sizeof action) && strnlen(action, sizeof action) >= sizeof action)
        abort();
    char peer[256];
    tm_peer_from_cmdline(s, peer, sizeof peer);
    if (strnlen(peer, sizeof peer) >= sizeof peer)
        abort();
    char prog[48];
    tm_program_name_of(s, prog, sizeof prog);
    tm_benign_task(s, s);
    free(s);
    return 0;
}
