/* A case: the inputs of one incident scanned into one folder. Each input
 * is self-contained (one input in, CASEDIR/<id>/ out), so they can be
 * scanned on one machine or many and merged afterwards; CASEDIR/case/ holds
 * what joins them: the merged, time-sorted timelines, the links between
 * hosts, the case summary and report (docs/case.md). */
#ifndef TM_CASE_H
#define TM_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --manifest FILE: one input per line, "PATH" or "PATH<TAB>LABEL" (the label
 * names the input's folder); blank lines and lines starting with '#' are
 * skipped. False, with why (file and line), when it cannot be read. */
typedef struct {
    char **paths;
    char **labels; /* NULL entries where no label was given */
    size_t n;
} tm_manifest;
bool tm_manifest_read(const char *file, tm_manifest *m, char *err, size_t errn);
void tm_manifest_free(tm_manifest *m);

/* CASEDIR holds results of an earlier run (an input folder with a
 * summary.json, or case/). */
bool tm_case_has_results(const char *casedir);

/* --resume: the outputs in dir are complete (summary.json, written last) and
 * were made from this input as it is now (path, size and modification time
 * of its file, and for an E01 its stored hash as read now by stored_md5's
 * caller, or NULL). False with why otherwise. */
bool tm_case_input_done(const char *dir, const char *path, const char *stored_md5, char *why, size_t n);

/* The input's summary.json in CASEDIR/<id>/ counts errors (an input kept
 * by --resume keeps the exit status its run had). */
bool tm_case_input_had_errors(const char *casedir, const char *id);

/* Removes what a run killed while writing dir left: its temporary files
 * (".NAME.tmp-PID-N") and, when summary.json is missing, every output (the
 * input is read again in full). */
void tm_case_clean_input(const char *dir);

/* How one input of the run ended, for the case's record (CASEDIR/inputs.tsv,
 * which `toolmark merge` reads too). */
typedef enum { TM_CASE_DONE, TM_CASE_KEPT, TM_CASE_NOT_READ, TM_CASE_FAILED } tm_case_status;
const char *tm_case_status_name(tm_case_status s);
/* Writes CASEDIR/inputs.tsv: id, status, path per input. */
int tm_case_write_inputs(const char *casedir, char *const *ids, char *const *paths, const tm_case_status *st,
                         size_t n);

typedef struct {
    int64_t skew_us; /* clock-skew tolerance for links (default 5 minutes) */
} tm_case_opts;
#define TM_CASE_DEFAULT_SKEW_US (300LL * 1000000)

/* Builds CASEDIR/case/ from the input folders of CASEDIR: returns 0, 1 when
 * an input's outputs could not all be read (said; the others are merged),
 * or -1 when the case's outputs could not be written. */
int tm_case_merge(const char *casedir, const tm_case_opts *o);

#endif
