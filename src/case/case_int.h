/* What the case's merge and its writers share (not for outside src/case). */
#ifndef TM_CASE_INT_H
#define TM_CASE_INT_H

#include "case/case.h"
#include "case/links.h"
#include "util/buf.h"

/* A tally of one input's summary.json: per tool (or activity) and role. */
typedef struct {
    char *tool, *activity, *role;
    size_t traces, confirmed;
    int64_t first, last;
} case_tally;

/* One input of the case, as its folder says. */
typedef struct {
    char *id, *path;
    tm_case_status status;
    bool complete;     /* its summary.json was read */
    char *problem;     /* why its outputs could not all be read, or NULL */
    char *computer, *domain;
    char **addresses;
    size_t naddresses;   /* its own (registry) first, then those other hosts' logons saw it with */
    size_t nown;         /* how many of them are its own */
    size_t traces, attributed, confirmed, errors;
    int64_t first, last; /* of its traces */
    case_tally *tallies;
    size_t ntallies;
} case_input;

/* A name and the address it logged on from, in some host's logons. */
typedef struct {
    char *name, *address;
    size_t seen_by; /* the input whose logs say it */
} case_seen;

typedef struct {
    const char *casedir;
    int64_t skew_us;
    case_input *in;
    size_t nin;
    tm_case_host *hosts; /* one per complete input, in input order */
    size_t *host_input;  /* host -> input */
    size_t nhosts;
    tm_case_trace *traces; /* what linking needs of the traces */
    size_t ntraces;
    tm_case_links links;
    size_t total, attributed, confirmed;
    case_seen *seen;
    size_t nseen;
} case_state;

/* The name other hosts' logons saw an address with, or NULL. */
const char *case_name_seen_with(const case_state *c, const char *address);

/* The host's name in the case's outputs: its computer name, else its id. */
const char *case_host_name(const case_state *c, size_t host);

/* The case's outputs (src/case/case_report.c). */
void case_write_summary(tm_buf *b, const case_state *c);
void case_write_links_csv(tm_buf *b, const case_state *c);
void case_write_dot(tm_buf *b, const case_state *c);
void case_write_html(tm_buf *b, const case_state *c);

#endif
