/*
 * track_source.c: a CAT062 recording (another tracker's output) as time-ordered lo_track
 * reports, through the same reorder window as plot_source.c (record_stream.h): released once
 * the newest time seen is `window` past a report, or at the end.
 */
#include <stdlib.h>

#include "record_stream.h"

struct lo_asterix_track_source {
    lo_record_stream in;
    lo_enu_frame sys;
    bool have_sys;
};

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    lo_asterix_track_source *s = ctx;
    if (rec->cat != 62 || !(rec->c062->present & LO_FRN(LO_I062_070))) return;
    double t = lo_record_stream_time(&s->in, rec->c062->tod * LO_ASTERIX_TOD_LSB);
    lo_track trk;
    lo_cat062_to_track(rec->c062, s->have_sys ? &s->sys : NULL, t, &trk);
    lo_reorder_push(&s->in.window, t, &trk);
}

lo_asterix_track_source *lo_asterix_track_source_open(const char *path, lo_rec_format fmt,
                                                      const lo_enu_frame *sys,
                                                      double date_midnight, double window_s,
                                                      lo_diag_sink *sink)
{
    lo_asterix_track_source *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    /* SDPS time of track information lags the newest report by up to several seconds
     * (5 s in the JADE recordings): a wider default window than for plots. */
    if (!lo_record_stream_open(&s->in, path, fmt, date_midnight, sizeof(lo_track),
                               window_s > 0 ? window_s : 10.0, sink)) {
        free(s);
        return NULL;
    }
    if (sys) { s->sys = *sys; s->have_sys = true; }
    return s;
}

int lo_asterix_track_source_next(lo_asterix_track_source *s, lo_track *out)
{
    return lo_record_stream_next(&s->in, on_record, s, out);
}

const lo_asterix_stats *lo_asterix_track_source_stats(const lo_asterix_track_source *s)
{
    return &s->in.stats;
}

void lo_asterix_track_source_close(lo_asterix_track_source *s)
{
    if (!s) return;
    lo_record_stream_close(&s->in);
    free(s);
}
