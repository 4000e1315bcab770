/* The table of plugins: one per tool family, one file each. Order is the
 * order `toolmark plugins` lists them and the order they run (their traces
 * are sorted afterwards, so it does not change the output). */
#include "pipeline/plugin.h"

extern const tm_plugin tm_plugin_psexec;

const tm_plugin *const tm_plugins[] = {
    &tm_plugin_psexec,
};
const size_t tm_plugin_count = sizeof tm_plugins / sizeof tm_plugins[0];
