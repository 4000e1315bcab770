/* Internals shared by the registry reader (registry.c) and its host-facts
 * extraction (registry_facts.c). */
#ifndef TM_REGISTRY_INT_H
#define TM_REGISTRY_INT_H

#include <libregf.h>

#include "readers/reader.h"

#define TM_REG_MAX_DEPTH 512

typedef struct {
    libregf_file_t *file;
    libregf_key_t *root; /* NULL when the hive has no readable root key */
    const char *subtype; /* SYSTEM, SOFTWARE, SAM, SECURITY, NTUSER, USRCLASS, AMCACHE or NULL */
    char control_set[32]; /* "ControlSet001" (SYSTEM), else "" */
    tm_emit *out;
    tm_read_stats *st;
    uint64_t keys_unreadable;
} tm_hive;

/* Key name (UTF-8) into buf; false when unreadable. */
bool tm_reg_key_name(libregf_key_t *k, char *buf, size_t n);
int64_t tm_reg_key_time(libregf_key_t *k);
uint64_t tm_reg_key_offset(libregf_key_t *k);
/* Value name ("" for the default value) into buf. */
bool tm_reg_value_name(libregf_value_t *v, char *buf, size_t n);
/* Adds the value as a typed field called name. */
void tm_reg_put_value(tm_fields_enc *e, const char *name, libregf_value_t *v);
/* Value by name ("" = the default value), case-insensitive; NULL when absent. */
libregf_value_t *tm_reg_value(libregf_key_t *k, const char *name);
/* Sub key by name, case-insensitive; NULL when absent. */
libregf_key_t *tm_reg_child(libregf_key_t *k, const char *name);
/* Key by '\\'-separated path below the root; "CurrentControlSet" is
 * resolved to the hive's control set. */
libregf_key_t *tm_reg_key(tm_hive *h, const char *path);

/* Decodes SECURITY\Policy\PolAdtEv (Vista+) into "Category/Subcategory"
 * fields; returns the number decoded, -1 when the layout is not that. */
int tm_reg_decode_poladtev(const uint8_t *d, size_t n, tm_fields_enc *e);

/* Decodes a TaskCache Actions blob into exec.N.* / com.N.* fields. */
bool tm_reg_task_actions(const uint8_t *d, size_t n, tm_fields_enc *e);

/* Emits the host facts for this hive (registry_facts.c). */
void tm_reg_facts(tm_hive *h);

#endif
