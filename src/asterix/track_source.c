/*
 * track_source.c: a CAT062 recording (another tracker's output) as time-ordered lo_track
 * reports, through the same reorder window as plot_source.c (reorder.c): released once the
 * newest time seen is `window` past a report, or at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asterix_internal.h"
#include "lookout/recording.h"

struct lo_asterix_track_source {
    lo_recording *rec;
    lo_enu_frame sys;
    bool have_sys;
    bool have_date;
    lo_tod_resolver tod;
    double chunk_t;
    lo_reorder window;
    lo_asterix_stats stats;
    lo_diag_sink *sink;
    bool eof, failed;
};

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    lo_asterix_track_source *s = ctx;
    if (rec->cat != 62 || !(rec->c062->present & LO_FRN(LO_I062_070))) return;
    double tod = rec->c062->tod * LO_ASTERIX_TOD_LSB;
    double t = (s->have_date || isnan(s->chunk_t)) ? lo_tod_resolve(&s->tod, tod)
                                                   : lo_tod_nearest(tod, s->chunk_t);
    lo_track trk;
    lo_cat062_to_track(rec->c062, s->have_sys ? &s->sys : NULL, t, &trk);
    lo_reorder_push(&s->window, t, &trk);
}

lo_asterix_track_source *lo_asterix_track_source_open(const char *path, lo_rec_format fmt,
                                                      const lo_enu_frame *sys,
                                                      double date_midnight, double window_s,
                                                      lo_diag_sink *sink)
{
    lo_recording *rec = lo_recording_open(path, fmt, sink);
    if (!rec) return NULL;
    lo_asterix_track_source *s = calloc(1, sizeof *s);
    if (!s) { lo_recording_close(rec); return NULL; }
    s->rec = rec;
    if (sys) { s->sys = *sys; s->have_sys = true; }
    s->have_date = !isnan(date_midnight);
    lo_tod_resolver_init(&s->tod, s->have_date ? date_midnight : 0.0);
    /* SDPS time of track information lags the newest report by up to several seconds
     * (5 s in the JADE recordings): a wider default window than for plots. */
    lo_reorder_init(&s->window, sizeof(lo_track), window_s > 0 ? window_s : 10.0);
    s->sink = sink;
    return s;
}

int lo_asterix_track_source_next(lo_asterix_track_source *s, lo_track *out)
{
    for (;;) {
        if (lo_reorder_pop(&s->window, s->eof, out)) return 1;
        if (s->eof) return s->failed ? -1 : 0;
        lo_rec_chunk c;
        int rc = lo_recording_next(s->rec, &c);
        if (rc <= 0) {
            s->eof = true;
            s->failed = rc < 0;
            continue;
        }
        s->chunk_t = c.capture_t;
        lo_asterix_decode(c.data, c.len, lo_recording_name(s->rec), c.offset, on_record, s,
                          &s->stats, s->sink);
    }
}

const lo_asterix_stats *lo_asterix_track_source_stats(const lo_asterix_track_source *s)
{
    return &s->stats;
}

void lo_asterix_track_source_close(lo_asterix_track_source *s)
{
    if (!s) return;
    lo_recording_close(s->rec);
    lo_reorder_free(&s->window);
    free(s);
}
