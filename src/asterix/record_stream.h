/*
 * record_stream.h: a recording read as time-ordered items, what plot_source.c (CAT048 ->
 * lo_plot) and track_source.c (CAT062 -> lo_track) share (not a public header).
 *
 * It owns the recording, the time-of-day resolver and the reorder window (reorder.c); the
 * caller's record callback turns each decoded record into an item and pushes it with the
 * time lo_record_stream_time gives. Time: UTC seconds (double).
 */
#ifndef LOOKOUT_RECORD_STREAM_H
#define LOOKOUT_RECORD_STREAM_H

#include <stdbool.h>

#include "asterix_internal.h"
#include "lookout/asterix.h"
#include "lookout/recording.h"

typedef struct lo_record_stream {
    lo_recording *rec;
    bool have_date;         /* a reference date was given: resolve times of day from it */
    lo_tod_resolver tod;
    double chunk_t;         /* capture time of the chunk being decoded (NAN: none) */
    lo_reorder window;
    lo_asterix_stats stats;
    lo_diag_sink *sink;
    bool eof, failed;
} lo_record_stream;

/* Open `path`; `date_midnight` NAN when unknown (then each record's time of day is taken
 * nearest the capture time of its packet). False after a diagnostic when it cannot be read. */
bool lo_record_stream_open(lo_record_stream *s, const char *path, lo_rec_format fmt,
                           double date_midnight, size_t item_size, double window_s,
                           lo_diag_sink *sink);
/* A record's time of day (seconds since UTC midnight) as UTC seconds. */
double lo_record_stream_time(lo_record_stream *s, double tod_s);
/* The next item in time order into *out: 1, 0 at the end, -1 when the recording failed.
 * Decodes further chunks through `on_record` as the window needs them. */
int lo_record_stream_next(lo_record_stream *s, lo_asterix_record_fn on_record, void *ctx,
                          void *out);
void lo_record_stream_close(lo_record_stream *s);

#endif
