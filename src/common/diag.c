/* Diagnostics formatting and the ready-made sinks (see lookout/diag.h). */
#include "lookout/diag.h"

#include <string.h>

void lo_diag_format(const lo_diag *d, char *buf, size_t len)
{
    size_t n = 0;
    int w = snprintf(buf, len, "%s", d->source ? d->source : "<input>");
    if (w > 0) n = (size_t)w;
    if (n < len && d->line > 0) {
        w = snprintf(buf + n, len - n, ":%ld", d->line);
        if (w > 0) n += (size_t)w;
        if (n < len && d->column > 0) {
            w = snprintf(buf + n, len - n, ":%ld", d->column);
            if (w > 0) n += (size_t)w;
        }
    }
    if (n < len && d->byte_offset >= 0) {
        w = snprintf(buf + n, len - n, ": byte %lld", d->byte_offset);
        if (w > 0) n += (size_t)w;
    }
    if (n < len) {
        w = snprintf(buf + n, len - n, ": %s", d->severity == LO_DIAG_ERROR ? "error" : "warning");
        if (w > 0) n += (size_t)w;
    }
    if (n < len && d->field) {
        w = snprintf(buf + n, len - n, ": %s", d->field);
        if (w > 0) n += (size_t)w;
    }
    if (n < len) snprintf(buf + n, len - n, ": %s", d->message);
}

static void print_diag(FILE *f, const lo_diag *d)
{
    char line[768];
    lo_diag_format(d, line, sizeof line);
    fprintf(f ? f : stderr, "%s\n", line);
}

bool lo_diag_print_and_continue(void *ctx, const lo_diag *d)
{
    print_diag((FILE *)ctx, d);
    return true;
}

bool lo_diag_print_and_stop(void *ctx, const lo_diag *d)
{
    print_diag((FILE *)ctx, d);
    return false;
}

bool lo_diag_report(lo_diag_sink *sink, lo_diag_severity sev, const char *source, long line,
                    long column, long long byte_offset, const char *field, const char *fmt, ...)
{
    lo_diag d = {
        .severity = sev,
        .source = source ? source : "<input>",
        .line = line,
        .column = column,
        .byte_offset = byte_offset,
        .field = field,
    };
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    va_end(ap);
    if (!sink) return lo_diag_print_and_continue(NULL, &d);
    sink->count++;
    if (sev == LO_DIAG_ERROR) sink->errors++;
    if (!sink->fn) return lo_diag_print_and_continue(sink->ctx, &d);
    return sink->fn(sink->ctx, &d);
}
