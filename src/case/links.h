/* Links between the hosts of a case: a trace on one host that names
 * another (the peer of a source-side trace: `PsExec \\srv01`, `net use`,
 * `wmic /node:`, a 4648's target, an RDP client's server) joined to the
 * trace on that other host's image that shows the same act arriving (its
 * destination side), within a clock-skew tolerance, with the offset seen
 * between the two clocks. A peer that is no host of the case is an open
 * end: the host to acquire next. Pure: no I/O (src/case/merge.c feeds it). */
#ifndef TM_CASE_LINKS_H
#define TM_CASE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One host of the case: its image's identity. */
typedef struct {
    const char *id;       /* the input's id (its folder) */
    const char *computer; /* NULL when unknown */
    const char *domain;
    const char *const *addresses;
    size_t naddresses;
} tm_case_host;

/* What linking needs of a trace. */
typedef struct {
    size_t host;  /* index into the hosts */
    int64_t time; /* TM_TIME_NONE: cannot be linked */
    bool source;  /* role source (else destination) */
    const char *tool, *activity, *user, *peer, *message;
    const char *const *candidates;
    size_t ncand;
    const char *evidence; /* the record it rests on first, "evtx:vol/path#id" */
} tm_case_trace;

typedef enum {
    TM_LINK_BOTH,        /* both ends seen: source and destination traces */
    TM_LINK_SOURCE_ONLY, /* the destination is in the case, but no trace of it arriving was found */
    TM_LINK_DEST_ONLY,   /* the destination saw a host of the case arrive; the source side was not seen */
} tm_link_kind;

typedef struct {
    tm_link_kind kind;
    size_t from, to;          /* hosts */
    const tm_case_trace *src; /* NULL for DEST_ONLY */
    const tm_case_trace *dst; /* NULL for SOURCE_ONLY */
    bool has_offset;
    int64_t offset_us; /* destination's clock minus the source's, for this act */
} tm_link;

/* A peer named by a host's traces that is no host of the case. */
typedef struct {
    size_t host;       /* the host whose traces name it */
    const char *peer;  /* as the traces say it */
    bool outgoing;     /* the host acted on it (else it came from there) */
    size_t traces;
    int64_t first, last;
    const char *example; /* the first trace's tool or activity */
} tm_open_end;

typedef struct {
    tm_link *links;
    size_t nlinks;
    tm_open_end *open;
    size_t nopen;
} tm_case_links;

/* Which host a peer names ("\\srv01", "SRV01.corp.example", "10.0.0.50"),
 * or SIZE_MAX. */
size_t tm_case_resolve(const tm_case_host *hosts, size_t nhosts, const char *peer);

/* Links traces (sorted in any order) of the hosts; skew_us is the clock-skew
 * tolerance. Cost: a sort and, per source trace, a binary search in the
 * destination's time-ordered traces. */
void tm_case_link(const tm_case_host *hosts, size_t nhosts, const tm_case_trace *traces, size_t n, int64_t skew_us,
                  tm_case_links *out);
void tm_case_links_free(tm_case_links *l);

#endif
