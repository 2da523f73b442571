/*
 * plot_source.c: a recording as a time-ordered stream of lo_plot (for `lookout track`).
 *
 * Records are decoded chunk by chunk into the reorder window (reorder.c); a plot leaves once
 * the newest time seen is `window` seconds past it (radars interleave slightly out of order),
 * or at the end of the recording; plots of the same time leave in recorded order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asterix_internal.h"
#include "lookout/recording.h"

struct lo_asterix_plot_source {
    lo_recording *rec;
    const lo_sensor *sensors;
    int n_sensors;
    bool have_date;
    lo_tod_resolver tod;
    double chunk_t;       /* capture time of the chunk being decoded */
    lo_reorder window;
    lo_asterix_stats stats;
    long dropped;
    lo_diag_sink *sink;
    bool eof, failed;
};

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    lo_asterix_plot_source *s = ctx;
    if (rec->cat != 48) return;
    const lo_cat048 *r = rec->c048;
    const lo_sensor *sensor = NULL;
    for (int i = 0; i < s->n_sensors; i++)
        if (s->sensors[i].sac == r->sac && s->sensors[i].sic == r->sic) { sensor = &s->sensors[i]; break; }
    if (s->n_sensors > 0 && !sensor) { s->dropped++; return; }
    if (!(r->present & LO_FRN(LO_I048_140))) { s->dropped++; return; }
    double tod = r->tod * LO_ASTERIX_TOD_LSB;
    double t = (s->have_date || isnan(s->chunk_t)) ? lo_tod_resolve(&s->tod, tod)
                                                   : lo_tod_nearest(tod, s->chunk_t);
    lo_plot p;
    if (!lo_cat048_to_plot(r, sensor, t, &p)) { s->dropped++; return; }
    if (!lo_reorder_push(&s->window, t, &p)) s->dropped++;
}

lo_asterix_plot_source *lo_asterix_plot_source_open(const char *path, lo_rec_format fmt,
                                                    const lo_sensor *sensors, int n_sensors,
                                                    double date_midnight, double window_s,
                                                    lo_diag_sink *sink)
{
    lo_recording *rec = lo_recording_open(path, fmt, sink);
    if (!rec) return NULL;
    lo_asterix_plot_source *s = calloc(1, sizeof *s);
    if (!s) { lo_recording_close(rec); return NULL; }
    s->rec = rec;
    s->sensors = sensors;
    s->n_sensors = n_sensors;
    s->have_date = !isnan(date_midnight);
    lo_tod_resolver_init(&s->tod, s->have_date ? date_midnight : 0.0);
    lo_reorder_init(&s->window, sizeof(lo_plot), window_s > 0 ? window_s : 2.0);
    s->sink = sink;
    return s;
}

int lo_asterix_plot_source_next(lo_asterix_plot_source *s, lo_plot *out)
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

const lo_asterix_stats *lo_asterix_plot_source_stats(const lo_asterix_plot_source *s)
{
    return &s->stats;
}

long lo_asterix_plot_source_dropped(const lo_asterix_plot_source *s) { return s->dropped; }

void lo_asterix_plot_source_close(lo_asterix_plot_source *s)
{
    if (!s) return;
    lo_recording_close(s->rec);
    lo_reorder_free(&s->window);
    free(s);
}
