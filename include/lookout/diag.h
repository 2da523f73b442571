/*
 * lookout/diag.h: diagnostics for bad input.
 *
 * Every reader (CSV, JSON lines, YAML, ASTERIX, pcap) reports a problem as one lo_diag that
 * names where it is (file, line and column, or byte offset, and the field or key path) and what
 * was expected. A caller chooses what happens next through the sink: print and go on (skip the
 * bad record), collect, or stop. Owns nothing but the formatting of those messages.
 */
#ifndef LOOKOUT_DIAG_H
#define LOOKOUT_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lo_diag_severity { LO_DIAG_WARNING = 0, LO_DIAG_ERROR } lo_diag_severity;

typedef struct lo_diag {
    lo_diag_severity severity;
    const char *source;   /* file name, or "<stdin>", "udp:1.2.3.4:8600"; never NULL */
    long line;            /* 1-based, 0 = not applicable */
    long column;          /* 1-based column (CSV: field number), 0 = not applicable */
    long long byte_offset;/* for binary input, -1 = not applicable */
    const char *field;    /* column name, YAML key path ("sensors[0].scan_period_s"),
                             ASTERIX item ("I048/040"); NULL when none */
    char message[256];
} lo_diag;

/* Returns true to go on (skip the bad record), false to stop reading. */
typedef bool (*lo_diag_fn)(void *ctx, const lo_diag *d);

typedef struct lo_diag_sink {
    lo_diag_fn fn;        /* NULL: print to stderr and go on */
    void *ctx;
    long count;           /* diagnostics reported through this sink so far */
    long errors;          /* of which errors */
} lo_diag_sink;

/* Report one problem. Returns what the sink returns (true: go on). */
bool lo_diag_report(lo_diag_sink *sink, lo_diag_severity sev, const char *source, long line,
                    long column, long long byte_offset, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* "file:line:col: error: field 'x': message" (parts that do not apply are left out). */
void lo_diag_format(const lo_diag *d, char *buf, size_t len);

/* Ready-made sinks. */
bool lo_diag_print_and_continue(void *ctx, const lo_diag *d); /* ctx: FILE* or NULL=stderr */
bool lo_diag_print_and_stop(void *ctx, const lo_diag *d);

#ifdef __cplusplus
}
#endif
#endif
