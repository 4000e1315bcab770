/* libFuzzer target: sanitising evidence path names for extraction. Asserts
 * the promises of tm_path_sanitize: relative, no "." or ".." component, no
 * control characters, no reserved characters, valid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/text.h"
#include "util/pathsafe.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    tm_buf b;
    tm_buf_init(&b);
    if (tm_path_sanitize(s, &b)) {
        const char *o = tm_buf_cstr(&b);
        if (o[0] == '/')
            abort();
        const char *c = o;
        while (*c) {
            const char *e = strchr(c, '/');
            size_t n = e ? (size_t)(e - c) : strlen(c);
            if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') || n > 200)
                abort();
            c += n + (e ? 1 : 0);
        }
        for (const unsigned char *p = (const unsigned char *)o; *p; p++)
            if (*p < 0x20 || *p == 0x7F || strchr("\\<>:\"|?*", *p))
                abort();
        for (size_t i = 0; i < b.len;) {
            size_t l = tm_utf8_seq_len((const unsigned char *)o + i, b.len - i);
            if (l == 0)
                abort();
            i += l;
        }
    }
    tm_buf_reset(&b);
    tm_json_quote(&b, s, size);
    tm_buf_free(&b);
    free(s);
    return 0;
}
