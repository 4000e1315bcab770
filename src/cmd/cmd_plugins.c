/* toolmark plugins: the plugin table, with what each consumes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pipeline/cmdline.h"
#include "pipeline/plugin.h"
#include "util/json.h"

static const char usage[] = "Usage: toolmark plugins [--json | --commands]\n"
                            "\n"
                            "List the plugins: tool ids, category, and what each consumes.\n"
                            "  --json      one JSON object per plugin\n"
                            "  --commands  the command table the classifier uses, as JSON lines\n";

static int print_commands(void)
{
    tm_buf b;
    tm_buf_init(&b);
    for (size_t i = 0; i < tm_command_count; i++) {
        const tm_command_info *c = &tm_commands[i];
        tm_json j;
        tm_json_init(&j, &b);
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "command", c->command);
        tm_json_kstr(&j, "phase", c->phase);
        tm_json_key(&j, "rank");
        tm_json_int(&j, c->rank);
        tm_json_key(&j, "count");
        tm_json_int(&j, c->count);
        tm_json_kstr(&j, "tool_sheet", tm_command_sheet_tool(c->command));
        tm_json_obj_end(&j);
        tm_buf_putc(&b, '\n');
    }
    tm_flush_stdout(&b);
    tm_buf_free(&b);
    return TM_EXIT_OK;
}

static const char *sub_type(tm_sub_type t)
{
    switch (t) {
    case TM_SUB_EVTX: return "event";
    case TM_SUB_EXEC: return "program";
    case TM_SUB_USN: return "usn";
    case TM_SUB_FACT: return "registry-fact";
    case TM_SUB_REGKEY: return "registry-key";
    case TM_SUB_KIND: return "kind";
    }
    return "?";
}

static void sub_text(const tm_sub *s, char *out, size_t n)
{
    if (s->type == TM_SUB_EVTX && s->id)
        snprintf(out, n, "%s:%u", s->a, s->id);
    else
        snprintf(out, n, "%s", s->a);
}

int cmd_plugins(int argc, char **argv)
{
    static const struct option lopts[] = {{"json", no_argument, NULL, 'J'},
                                          {"commands", no_argument, NULL, 'C'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    bool json = false, commands = false;
    int c;
    optind = 1;
    while ((c = tm_getopt("plugins", argc, argv, "h", lopts)) != -1) {
        switch (c) {
        case 'J': json = true; break;
        case 'C': commands = true; break;
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    if (optind < argc) {
        tm_usage_error("plugins", "unexpected argument '%s'", argv[optind]);
        return TM_EXIT_USAGE;
    }
    if (commands)
        return print_commands();
    tm_buf b;
    tm_buf_init(&b);
    size_t ntools = 0;
    for (size_t i = 0; i < tm_plugin_count; i++) {
        const tm_plugin *p = tm_plugins[i];
        size_t nsubs;
        tm_sub *subs = tm_plugin_subs(p, &nsubs);
        for (size_t k = 0; p->tools[k]; k++)
            ntools++;
        if (json) {
            tm_json j;
            tm_json_init(&j, &b);
            tm_json_obj_begin(&j);
            tm_json_kstr(&j, "plugin", p->name);
            tm_json_kstr(&j, "category", p->category);
            tm_json_kstr(&j, "summary", p->summary);
            tm_json_key(&j, "tools");
            tm_json_arr_begin(&j);
            for (size_t k = 0; p->tools[k]; k++)
                tm_json_str(&j, p->tools[k]);
            tm_json_arr_end(&j);
            tm_json_key(&j, "consumes");
            tm_json_arr_begin(&j);
            for (size_t k = 0; k < nsubs; k++) {
                char s[256];
                sub_text(&subs[k], s, sizeof s);
                tm_json_obj_begin(&j);
                tm_json_kstr(&j, "type", sub_type(subs[k].type));
                tm_json_kstr(&j, "match", s);
                tm_json_obj_end(&j);
            }
            tm_json_arr_end(&j);
            tm_json_obj_end(&j);
            tm_buf_putc(&b, '\n');
            free(subs);
            continue;
        }
        tm_buf_printf(&b, "%s  [%s]\n  %s\n  tools:", p->name, p->category, p->summary);
        for (size_t k = 0; p->tools[k]; k++)
            tm_buf_printf(&b, " %s", p->tools[k]);
        tm_buf_puts(&b, "\n  consumes:");
        for (size_t k = 0; k < nsubs; k++) {
            char s[256];
            sub_text(&subs[k], s, sizeof s);
            tm_buf_printf(&b, "%s %s=%s", k ? "," : "", sub_type(subs[k].type), s);
        }
        tm_buf_puts(&b, "\n\n");
        free(subs);
    }
    if (!json) {
        /* tool ids of the sheet: those of the tool plugins, less the commands
         * the table has without a sheet entry (at) */
        size_t sheet = 0, ncommands = 0;
        for (size_t i = 0; i < tm_plugin_count; i++)
            for (size_t k = 0; tm_plugins[i]->tools[k]; k++) {
                const char *id = tm_plugins[i]->tools[k];
                bool cmd_only = false;
                for (size_t ci = 0; ci < tm_command_count; ci++)
                    if (strcmp(tm_commands[ci].command, id) == 0 && !tm_command_sheet_tool(id))
                        cmd_only = true;
                if (strcmp(tm_plugins[i]->name, "commands") == 0 || cmd_only)
                    ncommands++;
                else
                    sheet++;
            }
        tm_buf_printf(&b, "%zu plugins: %zu of the sheet's 49 tools, %zu Windows commands (%zu tool ids)\n",
                      tm_plugin_count, sheet, ncommands, ntools);
    }
    tm_flush_stdout(&b);
    tm_buf_free(&b);
    return TM_EXIT_OK;
}
