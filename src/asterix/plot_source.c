/*
 * plot_source.c: a recording as a time-ordered stream of lo_plot (for `lookout track`).
 *
 * Records are decoded chunk by chunk into the reorder window (record_stream.h); a plot leaves
 * once the newest time seen is `window` seconds past it (radars interleave slightly out of
 * order), or at the end of the recording; plots of the same time leave in recorded order.
 */
#include <math.h>
#include <stdlib.h>

#include "record_stream.h"

struct lo_asterix_plot_source {
    lo_record_stream in;
    const lo_sensor *sensors;
    int n_sensors;
    long dropped;
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
    double t = lo_record_stream_time(&s->in, r->tod * LO_ASTERIX_TOD_LSB);
    lo_plot p;
    if (!lo_cat048_to_plot(r, sensor, t, &p)) { s->dropped++; return; }
    if (!lo_reorder_push(&s->in.window, t, &p)) s->dropped++;
}

lo_asterix_plot_source *lo_asterix_plot_source_open(const char *path, lo_rec_format fmt,
                                                    const lo_sensor *sensors, int n_sensors,
                                                    double date_midnight, double window_s,
                                                    lo_diag_sink *sink)
{
    lo_asterix_plot_source *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (!lo_record_stream_open(&s->in, path, fmt, date_midnight, sizeof(lo_plot),
                               window_s > 0 ? window_s : 2.0, sink)) {
        free(s);
        return NULL;
    }
    s->sensors = sensors;
    s->n_sensors = n_sensors;
    return s;
}

int lo_asterix_plot_source_next(lo_asterix_plot_source *s, lo_plot *out)
{
    return lo_record_stream_next(&s->in, on_record, s, out);
}

const lo_asterix_stats *lo_asterix_plot_source_stats(const lo_asterix_plot_source *s)
{
    return &s->in.stats;
}

long lo_asterix_plot_source_dropped(const lo_asterix_plot_source *s) { return s->dropped; }

void lo_asterix_plot_source_close(lo_asterix_plot_source *s)
{
    if (!s) return;
    lo_record_stream_close(&s->in);
    free(s);
}
