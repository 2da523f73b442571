/*
 * plot_source.c: a recording as a time-ordered stream of lo_plot (for `lookout track`).
 *
 * Records are decoded chunk by chunk into a min-heap on time; a plot leaves the heap once the
 * newest time seen is `window` seconds past it (radars interleave slightly out of order), or
 * at the end of the recording. Plots of the same time leave in the order they were recorded
 * (the heap orders by time, then arrival), as a CSV of the same plots would be read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/recording.h"

struct queued_plot {
    lo_plot plot;
    unsigned long long arrival;
};

struct lo_asterix_plot_source {
    lo_recording *rec;
    const lo_sensor *sensors;
    int n_sensors;
    bool have_date;
    lo_tod_resolver tod;
    double window;
    double newest;
    double chunk_t;       /* capture time of the chunk being decoded */
    struct queued_plot *heap;
    size_t n, cap;
    unsigned long long arrivals;
    lo_asterix_stats stats;
    long dropped;
    lo_diag_sink *sink;
    bool eof, failed;
};

static bool earlier(const struct queued_plot *a, const struct queued_plot *b)
{
    return a->plot.t < b->plot.t || (a->plot.t == b->plot.t && a->arrival < b->arrival);
}

static void heap_push(lo_asterix_plot_source *s, const lo_plot *p)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        struct queued_plot *nh = realloc(s->heap, nc * sizeof *nh);
        if (!nh) { s->dropped++; return; }
        s->heap = nh;
        s->cap = nc;
    }
    struct queued_plot q = {*p, s->arrivals++};
    size_t i = s->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&q, &s->heap[parent])) break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = q;
}

static void heap_pop(lo_asterix_plot_source *s, lo_plot *out)
{
    *out = s->heap[0].plot;
    struct queued_plot last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n) break;
        if (c + 1 < s->n && earlier(&s->heap[c + 1], &s->heap[c])) c++;
        if (!earlier(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n) s->heap[i] = last;
}

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
    if (t > s->newest || isnan(s->newest)) s->newest = t;
    heap_push(s, &p);
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
    s->window = window_s > 0 ? window_s : 2.0;
    s->newest = NAN;
    s->sink = sink;
    return s;
}

int lo_asterix_plot_source_next(lo_asterix_plot_source *s, lo_plot *out)
{
    for (;;) {
        if (s->n > 0 && (s->eof || s->heap[0].plot.t <= s->newest - s->window)) {
            heap_pop(s, out);
            return 1;
        }
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
    free(s->heap);
    free(s);
}
