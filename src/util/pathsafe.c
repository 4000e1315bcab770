#include "util/pathsafe.h"

#include <stdint.h>
#include <string.h>

#include "util/text.h"

#define MAX_COMPONENT 200

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool tm_ieqn(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
        if (a[i] == '\0')
            return true;
    }
    return true;
}

bool tm_ieq(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
    return *a == *b;
}

bool tm_iends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && tm_ieqn(s + n - m, suffix, m);
}

bool tm_istarts_with(const char *s, const char *prefix)
{
    size_t m = strlen(prefix);
    return strlen(s) >= m && tm_ieqn(s, prefix, m);
}

bool tm_iglob(const char *p, const char *s)
{
    /* Iterative matcher with single backtrack point: linear in practice and
     * never recursive, so hostile names cannot blow the stack. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || (*p && lower((unsigned char)*p) == lower((unsigned char)*s))) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static bool is_device_name(const char *s, size_t n)
{
    /* Windows reserves these names with any extension. */
    size_t stem = 0;
    while (stem < n && s[stem] != '.')
        stem++;
    static const char *const names3[] = {"CON", "PRN", "AUX", "NUL"};
    if (stem == 3) {
        for (size_t i = 0; i < 4; i++)
            if (tm_ieqn(s, names3[i], 3))
                return true;
    }
    if (stem == 4 && (tm_ieqn(s, "COM", 3) || tm_ieqn(s, "LPT", 3)) && s[3] >= '0' && s[3] <= '9')
        return true;
    if (stem == 6 && (tm_ieqn(s, "CONIN$", 6)))
        return true;
    if (stem == 7 && (tm_ieqn(s, "CONOUT$", 7)))
        return true;
    return false;
}

static void put_pct(tm_buf *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    tm_buf_put(out, e, 3);
}

void tm_path_sanitize_component(const char *name, size_t n, tm_buf *out)
{
    size_t start = out->len;
    if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.')) {
        for (size_t i = 0; i < n; i++)
            put_pct(out, '.');
        return;
    }
    if (is_device_name(name, n))
        tm_buf_putc(out, '_');
    /* Trailing dots and spaces are silently stripped by Windows and confuse
     * tools; encode them. */
    size_t keep = n;
    while (keep > 0 && (name[keep - 1] == '.' || name[keep - 1] == ' '))
        keep--;
    const unsigned char *p = (const unsigned char *)name;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (i >= keep || c < 0x20 || c == 0x7F || c == '%' || c == '/' || c == '\\' || c == '<' || c == '>' ||
            c == ':' || c == '"' || c == '|' || c == '?' || c == '*') {
            put_pct(out, (unsigned char)c);
            i++;
            continue;
        }
        if (c < 0x80) {
            tm_buf_putc(out, (char)c);
            i++;
            continue;
        }
        size_t len = tm_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            put_pct(out, (unsigned char)c);
            i++;
        } else {
            tm_buf_put(out, name + i, len);
            i += len;
        }
    }
    if (out->len - start == 0) {
        tm_buf_puts(out, "%00");
        return;
    }
    if (out->len - start > MAX_COMPONENT) {
        /* FNV-1a of the original name keeps shortened names distinct. */
        uint32_t h = 2166136261u;
        for (size_t k = 0; k < n; k++)
            h = (h ^ p[k]) * 16777619u;
        size_t cut = start + MAX_COMPONENT - 10;
        /* Do not split a UTF-8 sequence or a %XX escape. */
        while (cut > start && (((unsigned char)out->data[cut] & 0xC0) == 0x80))
            cut--;
        if (cut >= start + 2 && out->data[cut - 2] == '%')
            cut -= 2;
        else if (cut >= start + 1 && out->data[cut - 1] == '%')
            cut -= 1;
        out->len = cut;
        tm_buf_printf(out, "~%08x", h);
    }
}

bool tm_path_sanitize(const char *path, tm_buf *out)
{
    size_t start = out->len;
    const char *p = path;
    /* '/' separates (artifact paths use it); a '\\' is part of a name (a
     * folder input's file may hold one) and is written as %5C */
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        if (out->len > start)
            tm_buf_putc(out, '/');
        tm_path_sanitize_component(p, (size_t)(e - p), out);
        p = e;
    }
    return out->len > start;
}
