#include "pipeline/cmdline.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/record.h"
#include "util/buf.h"
#include "util/utf16.h"

#define MAX_DEPTH 4

void tm_cmds_init(tm_cmds *cs)
{
    memset(cs, 0, sizeof *cs);
}

void tm_cmds_free(tm_cmds *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->c[i].text);
        free(cs->c[i].args);
        free(cs->c[i].redirect);
    }
    free(cs->c);
    free(cs->decoded);
    tm_cmds_init(cs);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void tm_program_name(const char *path, size_t len, char *out, size_t n)
{
    /* Strip quotes and the directory. */
    size_t b = 0, e = len;
    while (b < e && (path[b] == '"' || path[b] == '\'' || is_space(path[b])))
        b++;
    while (e > b && (path[e - 1] == '"' || path[e - 1] == '\'' || is_space(path[e - 1])))
        e--;
    for (size_t i = b; i < e; i++)
        if (path[i] == '\\' || path[i] == '/')
            b = i + 1;
    size_t k = 0;
    for (size_t i = b; i < e && k + 1 < n; i++)
        out[k++] = (char)tolower((unsigned char)path[i]);
    out[k] = 0;
    static const char *const exts[] = {".exe", ".com"};
    for (size_t i = 0; i < 2; i++) {
        size_t el = strlen(exts[i]);
        if (k > el && strcmp(out + k - el, exts[i]) == 0)
            out[k - el] = 0;
    }
    /* Service image paths and scripts name the shell by its variable. */
    if ((strcmp(out, "%comspec%") == 0 || strcmp(out, "%%comspec%%") == 0) && n > 3)
        snprintf(out, n, "cmd");
}

/* One word starting at *p (quotes grouped and removed); returns false at the end. */
static bool next_word(const char **p, const char *end, char *out, size_t n, const char **wstart)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    if (s >= end)
        return false;
    if (wstart)
        *wstart = s;
    size_t k = 0;
    bool q = false;
    for (; s < end; s++) {
        if (*s == '"') {
            q = !q;
            continue;
        }
        if (!q && is_space(*s))
            break;
        if (k + 1 < n)
            out[k++] = *s;
    }
    out[k] = 0;
    *p = s;
    return true;
}

static tm_cmd *add_cmd(tm_cmds *out)
{
    if (out->n >= TM_CMDS_MAX)
        return NULL;
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 8;
        out->c = tm_xrealloc(out->c, out->cap * sizeof *out->c);
    }
    tm_cmd *c = &out->c[out->n++];
    memset(c, 0, sizeof *c);
    return c;
}

static void split_cmd(const char *s, size_t len, tm_cmds *out, int depth, bool enc);
static void split_script(const char *s, size_t len, tm_cmds *out, int depth, bool enc);

/* Base64 (standard alphabet; whitespace ignored) to bytes. */
static size_t b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=' || is_space(c) || c == '"' || c == '\'')
            continue;
        else
            return 0; /* not base64 */
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (k < cap)
                out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k;
}

static bool prefix_of(const char *opt, const char *full, size_t min)
{
    size_t n = strlen(opt);
    return n >= min && n <= strlen(full) && strncasecmp(opt, full, n) == 0;
}

/* powershell arguments: -EncodedCommand (any unambiguous prefix: -e, -ec,
 * -enc ...) or -Command (-c ...) payloads. */
static void powershell_payload(const char *args, size_t len, tm_cmds *out, int depth)
{
    const char *p = args, *end = args + len, *ws;
    char w[64];
    while (next_word(&p, end, w, sizeof w, &ws)) {
        if (w[0] != '-' && w[0] != '/')
            continue;
        const char *opt = w + 1;
        if (strcasecmp(opt, "ec") == 0 || prefix_of(opt, "encodedcommand", 1)) {
            const char *q = p;
            while (q < end && is_space(*q))
                q++;
            const char *e = q;
            while (e < end && !is_space(*e))
                e++;
            size_t cap = (size_t)(e - q) * 3 / 4 + 4;
            uint8_t *raw = tm_xmalloc(cap);
            size_t n = b64_decode(q, (size_t)(e - q), raw, cap);
            if (n >= 2) {
                size_t olen = n / 2 * 3 + 1;
                char *text = tm_xmalloc(olen);
                tm_utf16le_to_utf8(raw, n / 2, text, olen);
                if (!out->decoded)
                    out->decoded = tm_xstrdup(text);
                split_script(text, strlen(text), out, depth + 1, true);
                free(text);
            }
            free(raw);
            return;
        }
        if (prefix_of(opt, "command", 1)) {
            const char *q = p;
            while (q < end && is_space(*q))
                q++;
            size_t n = (size_t)(end - q);
            if (n >= 2 && q[0] == '"' && q[n - 1] == '"') {
                q++;
                n -= 2;
            }
            split_script(q, n, out, depth + 1, false);
            return;
        }
    }
}

/* One simple command: program, arguments, redirection; wrappers recurse. */
static void add_simple(const char *s, size_t len, tm_cmds *out, int depth, bool enc, bool ps)
{
    for (bool again = true; again;) {
        again = false;
        while (len && (is_space(*s) || *s == '@' || *s == '(' || *s == '{')) {
            s++;
            len--;
        }
        /* PowerShell's call operator and dot-sourcing: "& {...}", ". .\x.ps1" */
        if (len >= 2 && (s[0] == '&' || s[0] == '.') && is_space(s[1])) {
            s += 2;
            len -= 2;
            again = true;
        }
    }
    while (len && (is_space(s[len - 1]) || s[len - 1] == ')' || s[len - 1] == '}'))
        len--;
    if (!len)
        return;
    /* "$cmd = Invoke-Mimikatz ...": the command is the assigned value */
    if (ps && len > 1 && s[0] == '$') {
        size_t k = 1;
        while (k < len && (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == ':'))
            k++;
        size_t eq = k;
        while (eq < len && is_space(s[eq]))
            eq++;
        if (eq < len && s[eq] == '=' && (eq + 1 >= len || s[eq + 1] != '=')) {
            add_simple(s + eq + 1, len - eq - 1, out, depth, enc, ps);
            return;
        }
    }
    const char *p = s, *end = s + len, *ws;
    char word[512];
    if (!next_word(&p, end, word, sizeof word, &ws))
        return;
    tm_cmd *c = add_cmd(out);
    if (!c)
        return;
    tm_program_name(word, strlen(word), c->name, sizeof c->name);
    /* "dir>out.txt", "echo>x": the program name ends at a redirection. */
    char *gt = strpbrk(c->name, "<>");
    if (gt)
        *gt = 0;
    const char *a = p;
    while (a < end && is_space(*a))
        a++;
    c->text = tm_xstrndup(s, len);
    c->args = tm_xstrndup(a, (size_t)(end - a));
    c->from_encoded = enc;
    c->in_powershell = ps;
    c->depth = depth;
    const char *vp = a;
    char verb[64];
    if (next_word(&vp, end, verb, sizeof verb, NULL)) {
        size_t k = 0;
        for (; verb[k] && k + 1 < sizeof c->verb; k++)
            c->verb[k] = (char)tolower((unsigned char)verb[k]);
        c->verb[k] = 0;
    }
    /* Redirection outside quotes: "> file", ">> file", "1> file" (not 2>&1). */
    bool q = false;
    for (const char *r = s; r < end; r++) {
        if (*r == '"')
            q = !q;
        if (q || *r != '>')
            continue;
        const char *t = r + 1;
        if (t < end && *t == '>')
            t++;
        if (t < end && *t == '&')
            continue;
        const char *tp = t;
        char target[512];
        if (next_word(&tp, end, target, sizeof target, NULL)) {
            free(c->redirect);
            c->redirect = tm_xstrdup(target);
        }
        r = tp - 1;
    }
    if (depth >= MAX_DEPTH)
        return;
    size_t alen = (size_t)(end - a);
    if (strcmp(c->name, "start") == 0) {
        /* start ["title"] [/b /min /wait /d dir ...] command: the command runs */
        const char *wp = a, *w0 = a;
        char w[64];
        bool title_done = false;
        while (next_word(&wp, end, w, sizeof w, &w0)) {
            if (!title_done && *w0 == '"') {
                title_done = true;
                continue;
            }
            title_done = true;
            if (w[0] != '/')
                break;
            if (strcasecmp(w, "/d") == 0 || strcasecmp(w, "/node") == 0 || strcasecmp(w, "/affinity") == 0)
                next_word(&wp, end, w, sizeof w, NULL);
            w0 = wp;
        }
        if (w0 < end)
            add_simple(w0, (size_t)(end - w0), out, depth + 1, enc, false);
    } else if (strcmp(c->name, "cmd") == 0) {
        /* Everything after /c, /k or /r is the payload; cmd strips one pair of
         * surrounding quotes. */
        const char *wp = a, *w0;
        char w[16];
        while (next_word(&wp, end, w, sizeof w, &w0)) {
            if (w[0] == '/' && (w[1] == 'c' || w[1] == 'C' || w[1] == 'k' || w[1] == 'K' || w[1] == 'r' ||
                                w[1] == 'R')) {
                const char *pl = w0 + 2;
                while (pl < end && is_space(*pl))
                    pl++;
                size_t n = (size_t)(end - pl);
                if (n >= 2 && pl[0] == '"' && pl[n - 1] == '"') {
                    pl++;
                    n -= 2;
                }
                split_cmd(pl, n, out, depth + 1, enc);
                return;
            }
            if (w[0] != '/')
                return;
        }
    } else if (strcmp(c->name, "powershell") == 0 || strcmp(c->name, "pwsh") == 0) {
        powershell_payload(a, alen, out, depth);
    } else if (ps && (strcmp(c->name, "iex") == 0 || strcmp(c->name, "invoke-expression") == 0) && alen &&
               *a != '(' && *a != '$') {
        /* IEX "net view": the string is a script (a computed one is not known) */
        size_t n = alen;
        const char *str = a;
        if (n >= 2 && (str[0] == '"' || str[0] == '\'') && str[n - 1] == str[0]) {
            str++;
            n -= 2;
        }
        split_script(str, n, out, depth + 1, enc);
    }
}

/* cmd's separators: &, &&, ||, | outside double quotes; ^ escapes. */
static void split_cmd(const char *s, size_t len, tm_cmds *out, int depth, bool enc)
{
    tm_buf seg;
    tm_buf_init(&seg);
    bool q = false;
    for (size_t i = 0; i <= len; i++) {
        char ch = i < len ? s[i] : 0;
        if (i < len && ch == '^' && !q && i + 1 < len) {
            tm_buf_putc(&seg, s[++i]);
            continue;
        }
        if (i < len && ch == '"')
            q = !q;
        bool sep = i == len || (!q && (ch == '&' || ch == '|'));
        /* "2>&1" and ">&2" are redirections, not separators. */
        if (i < len && ch == '&' && i > 0 && s[i - 1] == '>')
            sep = false;
        if (!sep) {
            tm_buf_putc(&seg, ch);
            continue;
        }
        if (seg.len)
            add_simple(seg.data, seg.len, out, depth, enc, false);
        tm_buf_reset(&seg);
        if (i + 1 < len && (s[i + 1] == ch))
            i++; /* && or || */
    }
    tm_buf_free(&seg);
}

/* Character-code obfuscation (Invoke-Obfuscation's ASCII encoding, as
 * CrackMapExec sends its payloads): a script written as its characters'
 * decimal codes, "(91,78,101,116 ...)" or "'91A78H101@116...'.Split(...)",
 * turned back into text when the run is long enough to be a script and
 * every code is a printable character. Returns the decoded text, owned, or
 * NULL. */
#define CHARCODE_MIN 24
static char *charcode_decode(const char *s, size_t len)
{
    tm_buf best, cur;
    tm_buf_init(&best);
    tm_buf_init(&cur);
    size_t i = 0;
    while (i <= len) {
        /* one code: 1 to 3 digits not glued to other digits or word characters' hex */
        size_t j = i;
        unsigned v = 0;
        while (j < len && j - i < 4 && s[j] >= '0' && s[j] <= '9')
            v = v * 10 + (unsigned)(s[j++] - '0');
        bool code = j > i && j - i <= 3 && (j == len || s[j] < '0' || s[j] > '9') &&
                    (v == 9 || v == 10 || v == 13 || (v >= 32 && v <= 126));
        if (code) {
            tm_buf_putc(&cur, (char)v);
            /* a separator of 1 to 3 characters that are not digits ends the code */
            size_t k = j;
            while (k < len && k - j < 3 && !(s[k] >= '0' && s[k] <= '9') && s[k] != '\n' && s[k] != '\'')
                k++;
            if (k < len && k > j && s[k] >= '0' && s[k] <= '9') {
                i = k;
                continue;
            }
            i = j;
        } else {
            i = j > i ? j : i + 1;
        }
        /* the run ends here */
        if (cur.len > best.len) {
            tm_buf_reset(&best);
            tm_buf_put(&best, cur.data, cur.len);
        }
        tm_buf_reset(&cur);
        if (i >= len)
            break;
    }
    tm_buf_free(&cur);
    /* text, not a list of numbers: mostly letters and spaces */
    /* script text, not a list of numbers: mostly letters, with spaces and
     * a script's punctuation (a port list 80,81,82... decodes to "PQRS...") */
    size_t words = 0, spaces = 0, punct = 0;
    for (size_t k = 0; k < best.len; k++) {
        char ch = best.data[k];
        words += isalpha((unsigned char)ch) || ch == ' ';
        spaces += ch == ' ';
        punct += strchr("()$-'\".;=[]{}|", ch) != NULL && ch;
    }
    if (best.len < CHARCODE_MIN || words * 2 < best.len || !spaces || !punct) {
        tm_buf_free(&best);
        return NULL;
    }
    char *text = tm_xstrndup(best.data, best.len);
    tm_buf_free(&best);
    return text;
}

/* PowerShell: ;, |, newlines, && and || outside quotes; ` escapes. Native
 * commands inside are split by cmd's rules when they are cmd wrappers. */
static void split_script(const char *s, size_t len, tm_cmds *out, int depth, bool enc)
{
    if (depth < MAX_DEPTH) {
        char *plain = charcode_decode(s, len);
        if (plain) {
            if (!out->decoded)
                out->decoded = tm_xstrdup(plain);
            split_script(plain, strlen(plain), out, depth + 1, true);
            free(plain);
        }
    }
    tm_buf seg;
    tm_buf_init(&seg);
    char q = 0;
    int brace = 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = i < len ? s[i] : 0;
        if (i < len && ch == '`' && i + 1 < len) {
            tm_buf_putc(&seg, ch);
            tm_buf_putc(&seg, s[++i]);
            continue;
        }
        if (i < len && (ch == '"' || ch == '\'')) {
            if (!q)
                q = ch;
            else if (q == ch)
                q = 0;
        }
        if (i < len && !q && ch == '{')
            brace++;
        if (i < len && !q && ch == '}' && brace > 0)
            brace--;
        bool sep = i == len || (!q && (ch == ';' || ch == '\n' || ch == '\r' ||
                                      (brace == 0 && (ch == '|' || (ch == '&' && i + 1 < len && s[i + 1] == '&')))));
        if (!sep) {
            tm_buf_putc(&seg, ch);
            continue;
        }
        if (seg.len)
            add_simple(seg.data, seg.len, out, depth, enc, true);
        tm_buf_reset(&seg);
        if (i + 1 < len && ((ch == '|' && s[i + 1] == '|') || ch == '&'))
            i++;
    }
    tm_buf_free(&seg);
}

/* A NUL inside evidence text reaches the plugins as U+2400 (model/record.c
 * tm_record_store); between words it separates them as a space would, so
 * "net view <NUL>\\\\10.0.0.9" still names its peer. */
static char *nul_marks_as_spaces(const char *s, size_t *len)
{
    *len = strlen(s);
    if (!strstr(s, TM_NUL_MARK))
        return NULL;
    char *c = tm_xstrdup(s);
    for (char *p = c; (p = strstr(p, TM_NUL_MARK)) != NULL; p += 3)
        memset(p, ' ', 3);
    return c;
}

void tm_cmdline_split(const char *line, tm_cmds *out)
{
    if (!line)
        return;
    size_t len;
    char *copy = nul_marks_as_spaces(line, &len);
    split_cmd(copy ? copy : line, len, out, 0, false);
    free(copy);
}

void tm_cmdline_split_one(const char *line, tm_cmds *out)
{
    if (!line)
        return;
    size_t len;
    char *copy = nul_marks_as_spaces(line, &len);
    add_simple(copy ? copy : line, len, out, 0, false, false);
    free(copy);
}

void tm_script_split(const char *text, tm_cmds *out)
{
    if (!text)
        return;
    size_t len;
    char *copy = nul_marks_as_spaces(text, &len);
    split_script(copy ? copy : text, len, out, 0, false);
    free(copy);
}

/* ---- the command table --------------------------------------------------
 * From ../shared/evidence/commands.json (tests/e2e/plugins.sh checks that
 * the two agree when the file is present). Which tool of the sheet covers a
 * command is said by the plugin that claims it (tm_command_sheet_tool). */
#define II "initial investigation"
#define RC "reconnaissance"
#define SP "spread of infection"
#define DE "deleting evidence"
const tm_command_info tm_commands[] = {
    {"tasklist", II, 1, 327},
    {"ver", II, 2, 182},
    {"ipconfig", II, 3, 145},
    {"net time", II, 4, 133},
    {"systeminfo", II, 5, 75},
    {"netstat", II, 6, 42},
    {"whoami", II, 7, 37},
    {"nbtstat", II, 8, 36},
    {"net start", II, 9, 35},
    {"set", II, 10, 29},
    {"qprocess", II, 11, 27},
    {"nslookup", II, 12, 11},
    {"dir", RC, 1, 4466},
    {"ping", RC, 2, 2372},
    {"net view", RC, 3, 590},
    {"type", RC, 4, 543},
    {"net use", RC, 5, 541},
    {"echo", RC, 6, 496},
    {"net user", RC, 7, 442},
    {"net group", RC, 8, 172},
    {"net localgroup", RC, 9, 85},
    {"dsquery", RC, 10, 81},
    {"net config", RC, 11, 32},
    {"csvde", RC, 12, 21},
    {"net share", RC, 13, 19},
    {"quser", RC, 14, 18},
    {"net session", RC, 15, 17},
    {"query", RC, 16, 12},
    {"tracert", RC, 17, 9},
    {"cscript", RC, 18, 9},
    {"nltest", RC, 19, 5},
    {"dumpel", RC, 20, 5},
    {"tree", RC, 21, 3},
    {"LogParser", RC, 22, 2},
    {"net accounts", RC, 23, 2},
    {"route", RC, 24, 1},
    {"at", SP, 1, 445},
    {"move", SP, 2, 399},
    {"schtasks", SP, 3, 379},
    {"copy", SP, 4, 299},
    {"ren", SP, 5, 151},
    {"reg", SP, 6, 119},
    {"wmic", SP, 7, 40},
    {"powershell", SP, 8, 29},
    {"md", SP, 9, 16},
    {"runas", SP, 10, 7},
    {"sc", SP, 11, 6},
    {"netsh", SP, 12, 6},
    {"mofcomp", SP, 13, 0},
    {"del", DE, 1, 844},
    {"taskkill", DE, 2, 80},
    {"klist", DE, 3, 73},
    {"wevtutil", DE, 4, 23},
    {"rd", DE, 5, 15},
};
const size_t tm_command_count = sizeof tm_commands / sizeof tm_commands[0];

/* Spellings cmd accepts for the same command. */
static const char *canonical(const char *name)
{
    static const char *const alias[][2] = {
        {"erase", "del"}, {"mkdir", "md"},  {"rmdir", "rd"},   {"rename", "ren"},
        {"net1", "net"},  {"sc.exe", "sc"}, {"query", "query"}, {"logparser", "LogParser"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(name, alias[i][0]) == 0)
            return alias[i][1];
    return name;
}

const tm_command_info *tm_command_lookup(const tm_cmd *c)
{
    const char *name = canonical(c->name);
    char full[96];
    if (strcmp(name, "net") == 0) {
        if (!c->verb[0])
            return NULL;
        /* net accepts "net users", "net groups", "net shares" ... */
        char verb[24];
        snprintf(verb, sizeof verb, "%s", c->verb);
        size_t vl = strlen(verb);
        if (vl > 2 && verb[vl - 1] == 's' && strcmp(verb, "accounts") != 0 && strcmp(verb, "sessions") != 0)
            verb[vl - 1] = 0;
        if (strcmp(verb, "sessions") == 0 || strcmp(verb, "sess") == 0)
            snprintf(verb, sizeof verb, "session");
        snprintf(full, sizeof full, "net %s", verb);
        name = full;
    }
    /* "echo." and "echo:" print an empty line: still echo. */
    if (strncmp(name, "echo", 4) == 0 && (name[4] == '.' || name[4] == ':'))
        name = "echo";
    for (size_t i = 0; i < tm_command_count; i++)
        if (strcasecmp(tm_commands[i].command, name) == 0)
            return &tm_commands[i];
    return NULL;
}
