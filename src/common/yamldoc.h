/*
 * yamldoc.h: a YAML file as a read-only tree with line numbers, and typed getters that
 * report every bad value with its key path ("sensors[1].scan_period_s") and line.
 *
 * Owns the libyaml document (yaml_parser_load) and nothing else: callers walk nodes with the
 * getters below. Shared by the site configuration, scenarios and tracker settings so that all
 * of them report errors alike. Internal to liblookout (not a public header).
 */
#ifndef LOOKOUT_YAMLDOC_H
#define LOOKOUT_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "lookout/diag.h"

typedef struct lo_ydoc lo_ydoc;
typedef struct lo_ynode lo_ynode;   /* opaque: a node of the document */

typedef enum lo_ykind { LO_Y_NONE = 0, LO_Y_SCALAR, LO_Y_SEQUENCE, LO_Y_MAPPING } lo_ykind;

/* Parse a whole file / string. On a syntax error reports it (with line and column) and
 * returns NULL. */
lo_ydoc *lo_ydoc_load_file(const char *path, lo_diag_sink *sink);
lo_ydoc *lo_ydoc_load_string(const char *text, size_t len, const char *source_name,
                             lo_diag_sink *sink);
void lo_ydoc_free(lo_ydoc *d);

const char *lo_ydoc_source(const lo_ydoc *d);
const lo_ynode *lo_ydoc_root(const lo_ydoc *d);  /* NULL for an empty document */

lo_ykind lo_ynode_kind(const lo_ydoc *d, const lo_ynode *n);
long lo_ynode_line(const lo_ydoc *d, const lo_ynode *n);   /* 1-based */
long lo_ynode_column(const lo_ydoc *d, const lo_ynode *n); /* 1-based */
const char *lo_ynode_scalar(const lo_ydoc *d, const lo_ynode *n); /* NULL if not a scalar */

/* Mapping access. */
const lo_ynode *lo_ymap_get(const lo_ydoc *d, const lo_ynode *map, const char *key);
size_t lo_ymap_size(const lo_ydoc *d, const lo_ynode *map);
const char *lo_ymap_key_at(const lo_ydoc *d, const lo_ynode *map, size_t i);
const lo_ynode *lo_ymap_value_at(const lo_ydoc *d, const lo_ynode *map, size_t i);
/* Sequence access. */
size_t lo_yseq_size(const lo_ydoc *d, const lo_ynode *seq);
const lo_ynode *lo_yseq_at(const lo_ydoc *d, const lo_ynode *seq, size_t i);

/* A reading context: where diagnostics go and how many errors were found. */
typedef struct lo_yctx {
    const lo_ydoc *doc;
    lo_diag_sink *sink;
    int errors;
} lo_yctx;

/* Report an error at a node: "file:line:col: error: <path>: <message>". */
void lo_yerror(lo_yctx *c, const lo_ynode *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Build "parent.key" or "parent[i]" into buf. */
const char *lo_ypath_key(char *buf, size_t len, const char *parent, const char *key);
const char *lo_ypath_index(char *buf, size_t len, const char *parent, size_t i);

/* Every key of `map` must be in the NULL-terminated `allowed` list; others are errors that
 * list what is accepted (this is how a wrong unit suffix gets caught). Returns false if any. */
bool lo_ycheck_keys(lo_yctx *c, const lo_ynode *map, const char *path,
                    const char *const *allowed);

/* Typed getters for `map[key]`. When the key is absent: required -> error, otherwise *out
 * keeps its value (the caller's default) and true is returned. A present value of the wrong
 * type or outside [min, max] is an error. Return false on error. */
bool lo_yget_double(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                    bool required, double min, double max, double *out);
bool lo_yget_int(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                 bool required, long min, long max, long *out);
bool lo_yget_bool(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                  bool required, bool *out);
/* Copies into buf (truncation is an error). */
bool lo_yget_string(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                    bool required, char *buf, size_t len);
/* A fixed-length list of numbers, e.g. [lat, lon]. */
bool lo_yget_double_list(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                         bool required, double *out, size_t n);
/* One of a set of names; *out gets its index. */
bool lo_yget_enum(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                  bool required, const char *const *names, int *out);

/* Parse a scalar as a number the strict way: the whole text, finite. */
bool lo_yparse_double(const char *s, double *out);

#endif
