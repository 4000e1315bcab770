#include "util/yal_message.h"

#include <stdio.h>
#include <string.h>

void tm_yal_message(char *msg, size_t n)
{
    if (n == 0)
        return;
    msg[n - 1] = '\0';
    msg[strcspn(msg, "\r\n")] = '\0';
    /* "libfwevt_xml_document_read_element: invalid binary XML token."
     * -> "invalid binary XML token" */
    size_t id = strspn(msg, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (id > 0 && memchr(msg, '_', id) && msg[id] == ':' && msg[id + 1] == ' ')
        memmove(msg, msg + id + 2, strlen(msg + id + 2) + 1);
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '.' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    if (len == 0)
        snprintf(msg, n, "the library gave no reason");
}
