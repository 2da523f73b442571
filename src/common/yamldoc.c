/* A YAML file as a tree with line numbers, over libyaml's document loader (see yamldoc.h).
 * Node pointers handed out are libyaml's yaml_node_t, cast to the opaque lo_ynode. */
#include "common/yamldoc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

struct lo_ydoc {
    yaml_document_t doc;
    char *source;
};

static const yaml_node_t *Y(const lo_ynode *n) { return (const yaml_node_t *)n; }
static const lo_ynode *N(const yaml_node_t *n) { return (const lo_ynode *)n; }

static lo_ydoc *load(yaml_parser_t *parser, const char *source, lo_diag_sink *sink)
{
    lo_ydoc *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->source = strdup(source);
    if (!d->source || !yaml_parser_load(parser, &d->doc)) {
        lo_diag_report(sink, LO_DIAG_ERROR, source, (long)parser->problem_mark.line + 1,
                       (long)parser->problem_mark.column + 1, -1, NULL, "YAML syntax: %s%s%s",
                       parser->problem ? parser->problem : "cannot parse",
                       parser->context ? " " : "", parser->context ? parser->context : "");
        free(d->source);
        free(d);
        return NULL;
    }
    return d;
}

lo_ydoc *lo_ydoc_load_file(const char *path, lo_diag_sink *sink)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        /* fopen takes a directory; libyaml would then say only "input error". */
        fclose(f);
        f = NULL;
        errno = EISDIR;
    }
    if (!f) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 0, 0, -1, NULL, "cannot open: %s",
                       strerror(errno));
        return NULL;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    lo_ydoc *d = load(&parser, path, sink);
    yaml_parser_delete(&parser);
    fclose(f);
    return d;
}

lo_ydoc *lo_ydoc_load_string(const char *text, size_t len, const char *source_name,
                             lo_diag_sink *sink)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    lo_ydoc *d = load(&parser, source_name ? source_name : "<string>", sink);
    yaml_parser_delete(&parser);
    return d;
}

void lo_ydoc_free(lo_ydoc *d)
{
    if (!d) return;
    yaml_document_delete(&d->doc);
    free(d->source);
    free(d);
}

const char *lo_ydoc_source(const lo_ydoc *d) { return d->source; }

const lo_ynode *lo_ydoc_root(const lo_ydoc *d)
{
    return N(yaml_document_get_root_node((yaml_document_t *)&d->doc));
}

static const yaml_node_t *node_at(const lo_ydoc *d, int index)
{
    return yaml_document_get_node((yaml_document_t *)&d->doc, index);
}

lo_ykind lo_ynode_kind(const lo_ydoc *d, const lo_ynode *n)
{
    (void)d;
    if (!n) return LO_Y_NONE;
    switch (Y(n)->type) {
    case YAML_SCALAR_NODE: return LO_Y_SCALAR;
    case YAML_SEQUENCE_NODE: return LO_Y_SEQUENCE;
    case YAML_MAPPING_NODE: return LO_Y_MAPPING;
    default: return LO_Y_NONE;
    }
}

long lo_ynode_line(const lo_ydoc *d, const lo_ynode *n)
{
    (void)d;
    return n ? (long)Y(n)->start_mark.line + 1 : 0;
}

long lo_ynode_column(const lo_ydoc *d, const lo_ynode *n)
{
    (void)d;
    return n ? (long)Y(n)->start_mark.column + 1 : 0;
}

const char *lo_ynode_scalar(const lo_ydoc *d, const lo_ynode *n)
{
    (void)d;
    if (!n || Y(n)->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)Y(n)->data.scalar.value;
}

size_t lo_ymap_size(const lo_ydoc *d, const lo_ynode *map)
{
    (void)d;
    if (!map || Y(map)->type != YAML_MAPPING_NODE) return 0;
    return (size_t)(Y(map)->data.mapping.pairs.top - Y(map)->data.mapping.pairs.start);
}

const char *lo_ymap_key_at(const lo_ydoc *d, const lo_ynode *map, size_t i)
{
    if (i >= lo_ymap_size(d, map)) return NULL;
    return lo_ynode_scalar(d, N(node_at(d, Y(map)->data.mapping.pairs.start[i].key)));
}

const lo_ynode *lo_ymap_value_at(const lo_ydoc *d, const lo_ynode *map, size_t i)
{
    if (i >= lo_ymap_size(d, map)) return NULL;
    return N(node_at(d, Y(map)->data.mapping.pairs.start[i].value));
}

const lo_ynode *lo_ymap_get(const lo_ydoc *d, const lo_ynode *map, const char *key)
{
    size_t n = lo_ymap_size(d, map);
    for (size_t i = 0; i < n; i++) {
        const char *k = lo_ymap_key_at(d, map, i);
        if (k && strcmp(k, key) == 0) return lo_ymap_value_at(d, map, i);
    }
    return NULL;
}

size_t lo_yseq_size(const lo_ydoc *d, const lo_ynode *seq)
{
    (void)d;
    if (!seq || Y(seq)->type != YAML_SEQUENCE_NODE) return 0;
    return (size_t)(Y(seq)->data.sequence.items.top - Y(seq)->data.sequence.items.start);
}

const lo_ynode *lo_yseq_at(const lo_ydoc *d, const lo_ynode *seq, size_t i)
{
    if (i >= lo_yseq_size(d, seq)) return NULL;
    return N(node_at(d, Y(seq)->data.sequence.items.start[i]));
}

void lo_yerror(lo_yctx *c, const lo_ynode *at, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    lo_diag_report(c->sink, LO_DIAG_ERROR, lo_ydoc_source(c->doc), lo_ynode_line(c->doc, at),
                   lo_ynode_column(c->doc, at), -1, path && *path ? path : NULL, "%s", msg);
}

const char *lo_ypath_key(char *buf, size_t len, const char *parent, const char *key)
{
    if (parent && *parent)
        snprintf(buf, len, "%s.%s", parent, key);
    else
        snprintf(buf, len, "%s", key);
    return buf;
}

const char *lo_ypath_index(char *buf, size_t len, const char *parent, size_t i)
{
    snprintf(buf, len, "%s[%zu]", parent ? parent : "", i);
    return buf;
}

bool lo_ycheck_keys(lo_yctx *c, const lo_ynode *map, const char *path,
                    const char *const *allowed)
{
    bool ok = true;
    size_t n = lo_ymap_size(c->doc, map);
    for (size_t i = 0; i < n; i++) {
        const char *k = lo_ymap_key_at(c->doc, map, i);
        bool known = false;
        for (const char *const *a = allowed; k && *a; a++)
            if (strcmp(*a, k) == 0) known = true;
        if (known) continue;
        char list[512] = "";
        size_t used = 0;
        for (const char *const *a = allowed; *a && used < sizeof list; a++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", a == allowed ? "" : ", ", *a);
            if (w > 0) used += (size_t)w;
        }
        char kp[256];
        lo_yerror(c, lo_ymap_value_at(c->doc, map, i), lo_ypath_key(kp, sizeof kp, path, k ? k : "?"),
                  "unknown key (expected one of: %s)", list);
        ok = false;
    }
    return ok;
}

bool lo_yparse_double(const char *s, double *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    /* Underflow (ERANGE with a tiny result) is a valid small number; overflow is not. */
    if (*end || (errno == ERANGE && fabs(v) > 1.0) || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* The node for map[key] and its path, or NULL (reporting "missing" when required). */
static const lo_ynode *lookup(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                              bool required, char *kp, size_t kplen)
{
    lo_ypath_key(kp, kplen, path, key);
    const lo_ynode *n = lo_ymap_get(c->doc, map, key);
    if (!n && required) lo_yerror(c, map, kp, "required key is missing");
    return n;
}

static bool scalar_double(lo_yctx *c, const lo_ynode *n, const char *kp, double min, double max,
                          double *out)
{
    const char *s = lo_ynode_scalar(c->doc, n);
    double v;
    if (!s || !lo_yparse_double(s, &v)) {
        lo_yerror(c, n, kp, "expected a number, got '%s'", s ? s : "(a list or mapping)");
        return false;
    }
    if (v < min || v > max) {
        lo_yerror(c, n, kp, "value %g is outside [%g, %g]", v, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool lo_yget_double(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                    bool required, double min, double max, double *out)
{
    char kp[256];
    const lo_ynode *n = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!n) return !required;
    return scalar_double(c, n, kp, min, max, out);
}

bool lo_yget_int(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                 bool required, long min, long max, long *out)
{
    char kp[256];
    const lo_ynode *n = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!n) return !required;
    const char *s = lo_ynode_scalar(c->doc, n);
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 0) : 0;
    if (!s || !*s || *end || errno == ERANGE) {
        lo_yerror(c, n, kp, "expected an integer, got '%s'", s ? s : "(a list or mapping)");
        return false;
    }
    if (v < min || v > max) {
        lo_yerror(c, n, kp, "value %ld is outside [%ld, %ld]", v, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool lo_yget_bool(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                  bool required, bool *out)
{
    char kp[256];
    const lo_ynode *n = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!n) return !required;
    const char *s = lo_ynode_scalar(c->doc, n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
        *out = true;
        return true;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
        *out = false;
        return true;
    }
    lo_yerror(c, n, kp, "expected true or false, got '%s'", s ? s : "(a list or mapping)");
    return false;
}

bool lo_yget_string(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                    bool required, char *buf, size_t len)
{
    char kp[256];
    const lo_ynode *n = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!n) return !required;
    const char *s = lo_ynode_scalar(c->doc, n);
    if (!s) {
        lo_yerror(c, n, kp, "expected a text value, got a list or mapping");
        return false;
    }
    if (strlen(s) >= len) {
        lo_yerror(c, n, kp, "text longer than %zu characters", len - 1);
        return false;
    }
    memcpy(buf, s, strlen(s) + 1);
    return true;
}

bool lo_yget_double_list(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                         bool required, double *out, size_t n)
{
    char kp[256];
    const lo_ynode *node = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!node) return !required;
    if (lo_ynode_kind(c->doc, node) != LO_Y_SEQUENCE || lo_yseq_size(c->doc, node) != n) {
        lo_yerror(c, node, kp, "expected a list of %zu numbers", n);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char ip[280];
        lo_ypath_index(ip, sizeof ip, kp, i);
        ok &= scalar_double(c, lo_yseq_at(c->doc, node, i), ip, -HUGE_VAL, HUGE_VAL, &out[i]);
    }
    return ok;
}

bool lo_yget_enum(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                  bool required, const char *const *names, int *out)
{
    char kp[256];
    const lo_ynode *n = lookup(c, map, path, key, required, kp, sizeof kp);
    if (!n) return !required;
    const char *s = lo_ynode_scalar(c->doc, n);
    for (int i = 0; s && names[i]; i++)
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return true;
        }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; names[i] && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (w > 0) used += (size_t)w;
    }
    lo_yerror(c, n, kp, "expected one of %s, got '%s'", list, s ? s : "(a list or mapping)");
    return false;
}
