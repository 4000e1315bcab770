/* Command lines into the commands they run, and the table of Windows
 * commands attackers use (../shared/evidence/commands.json: JPCERT/CC's
 * counts by phase).
 *
 * A command line such as
 *   cmd.exe /c "net use \\srv01\c$ /user:corp\admin & copy a.exe \\srv01\c$\ && del a.exe"
 * runs three commands: net use, copy, del. The splitter follows cmd's rules
 * closely enough for classification: `cmd /c|/k|/r` wrappers, `&`, `&&`,
 * `||`, `|`, `^` escapes, double quotes, full paths and `.exe`, `@` echo-off
 * prefixes, redirections, `%COMSPEC%`, and `powershell -enc` (base64 of
 * UTF-16LE, decoded and split on `;`, `|` and newlines); a script written
 * as character codes is decoded and split as well. It never reads outside its input and
 * bounds its output; hostile text gives odd commands, never a crash. */
#ifndef TM_CMDLINE_H
#define TM_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char name[48];  /* program, lowercase, no path, no ".exe": "net", "psexec", "dir" */
    char verb[24];  /* first argument, lowercase, for commands classified by it ("use" for net) */
    char *text;     /* this command as written (after unescaping ^), owned */
    char *args;     /* the text after the program, owned */
    char *redirect; /* target of "> file" / ">> file", owned, or NULL */
    bool from_encoded; /* came out of a powershell -enc payload or character codes */
    bool in_powershell; /* a PowerShell statement, where echo, dir, del ... are aliases of cmdlets */
    int depth;         /* wrappers it was found inside (cmd /c, powershell) */
} tm_cmd;

typedef struct {
    tm_cmd *c;
    size_t n, cap;
    char *decoded; /* the decoded powershell payload, when there was one */
} tm_cmds;

/* At most this many commands are taken from one line. */
#define TM_CMDS_MAX 256

void tm_cmds_init(tm_cmds *cs);
void tm_cmds_free(tm_cmds *cs);
/* Splits line; shell wrappers (cmd /c, powershell -command/-enc) are kept as
 * commands too and their payload split after them. */
void tm_cmdline_split(const char *line, tm_cmds *out);
/* A process' own command line as its program received it (PowerShell's
 * HostApplication): one command, cmd's separators are not special. */
void tm_cmdline_split_one(const char *line, tm_cmds *out);
/* PowerShell script text (PSReadLine, script blocks): split on ;, |, newlines
 * and the same cmd rules for native commands. */
void tm_script_split(const char *text, tm_cmds *out);

/* Program name of a path or command word: lowercase, no directory, no
 * quotes, no ".exe"/".com". */
void tm_program_name(const char *path, size_t len, char *out, size_t n);

/* ---- the command table ---- */
typedef struct {
    const char *command;    /* "net use", "tasklist" */
    const char *phase;      /* "initial investigation", "reconnaissance", "spread of infection", "deleting evidence" */
    int rank;               /* within the phase */
    int count;              /* times seen in the study (0 = not given) */
} tm_command_info;

extern const tm_command_info tm_commands[];
extern const size_t tm_command_count;

/* The table entry for a command (by name, and verb for net/net1), or NULL. */
const tm_command_info *tm_command_lookup(const tm_cmd *c);

#endif
