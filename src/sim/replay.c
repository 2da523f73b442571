/* Real trajectories as simulator targets: reads the ADS-B CSV, ALFA UAV and EuRoC rocket files
 * of ../shared/data/trajectories (format told apart by the header) with libcsv, and turns them
 * into time-stamped samples in flat coordinates for the replay model (targets.c). */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/geo.h"
#include "sim/sim_internal.h"

enum { COL_T, COL_LAT, COL_LON, COL_ALT, COL_ICAO, N_COLS };

typedef struct track_rows {
    /* header handling */
    int col[N_COLS];
    int field;                 /* index of the field within the current row */
    long row;
    bool header_done;
    const char *names[N_COLS][3]; /* accepted header names per column */
    char cells[N_COLS][64];
    /* rows kept */
    size_t n, cap;
    double *t, *lat, *lon, *alt;
    double t_scale, alt_scale;
    char icao[64];
    long skipped;
    bool oom;
} track_rows;

static void on_field(void *data, size_t len, void *ctx)
{
    track_rows *r = ctx;
    const char *s = data ? data : "";
    if (!r->header_done) {
        for (int c = 0; c < N_COLS; c++)
            for (int k = 0; k < 3 && r->names[c][k]; k++)
                if (r->col[c] < 0 && strcmp(s, r->names[c][k]) == 0) r->col[c] = r->field;
    } else {
        for (int c = 0; c < N_COLS; c++)
            if (r->col[c] == r->field) {
                size_t l = len < 63 ? len : 63;
                memcpy(r->cells[c], s, l);
                r->cells[c][l] = 0;
            }
    }
    r->field++;
}

static bool cell_number(const char *s, double *out)
{
    if (!s[0]) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return false;
    *out = v;
    return true;
}

static void on_row(int c, void *ctx)
{
    (void)c;
    track_rows *r = ctx;
    r->row++;
    r->field = 0;
    if (!r->header_done) {
        r->header_done = true;
        return;
    }
    double v[4] = {0, 0, 0, 0};
    bool ok = cell_number(r->cells[COL_T], &v[0]);
    for (int k = 1; k < 4 && ok; k++)
        if (r->col[k] >= 0) ok = cell_number(r->cells[k], &v[k]);
    if (ok && r->col[COL_ICAO] >= 0) {
        if (!r->icao[0]) snprintf(r->icao, sizeof r->icao, "%s", r->cells[COL_ICAO]);
        ok = strcmp(r->icao, r->cells[COL_ICAO]) == 0;
    }
    for (int k = 0; k < N_COLS; k++) r->cells[k][0] = 0;
    if (!ok) {
        r->skipped++;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        double *nt = realloc(r->t, cap * sizeof *nt), *nl = NULL, *no = NULL, *na = NULL;
        if (nt) r->t = nt;
        if (nt) nl = realloc(r->lat, cap * sizeof *nl);
        if (nl) r->lat = nl;
        if (nl) no = realloc(r->lon, cap * sizeof *no);
        if (no) r->lon = no;
        if (no) na = realloc(r->alt, cap * sizeof *na);
        if (na) r->alt = na;
        if (!na) {
            r->oom = true;
            return;
        }
        r->cap = cap;
    }
    r->t[r->n] = v[0] * r->t_scale;
    r->lat[r->n] = v[1];
    r->lon[r->n] = v[2];
    r->alt[r->n] = v[3] * r->alt_scale;
    r->n++;
}

static void rows_free(track_rows *r)
{
    free(r->t);
    free(r->lat);
    free(r->lon);
    free(r->alt);
}

/* Read the header line to tell the format, then every row through libcsv. */
static int read_rows(const char *path, track_rows *r, bool want_latlon, lo_diag_sink *sink,
                     const char *source, long line, const char *field)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lo_diag_report(sink, LO_DIAG_ERROR, source, line, 0, -1, field, "cannot open '%s': %s",
                       path, strerror(errno));
        return -1;
    }
    char head[4096];
    if (!fgets(head, sizeof head, f)) head[0] = 0;
    rewind(f);
    static const struct { const char *probe; const char *t, *lat, *lon, *alt; double ts, as; } kinds[] = {
        {"filtered_altitude_AGL", "ts", NULL, NULL, "filtered_altitude_AGL", 1.0, 1.0},
        {"field.latitude", "%time", "field.latitude", "field.longitude", "field.altitude", 1e-9, 1.0},
        {"timestamp", "timestamp", "latitude", "longitude", "altitude", 1e-3, LO_FT2M},
        {"satellites", "ts", "latitude", "longitude", NULL, 1.0, 1.0},
    };
    int kind = -1;
    for (int k = 0; k < 4 && kind < 0; k++)
        if (strstr(head, kinds[k].probe)) kind = k;
    if (kind < 0 || (want_latlon && !kinds[kind].lat)) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 1, 0, -1, field,
                       "not a trajectory file this simulator reads (expected an ADS-B CSV with "
                       "timestamp/latitude/longitude/altitude, an ALFA mavros global_position "
                       "CSV, or a EuRoC rocket flight_data / gnss CSV)");
        fclose(f);
        return -1;
    }
    for (int c = 0; c < N_COLS; c++) r->col[c] = -1;
    r->names[COL_T][0] = kinds[kind].t;
    r->names[COL_LAT][0] = kinds[kind].lat;
    r->names[COL_LON][0] = kinds[kind].lon;
    r->names[COL_ALT][0] = kinds[kind].alt;
    r->names[COL_ICAO][0] = kind == 2 ? "icao24" : NULL;
    r->t_scale = kinds[kind].ts;
    r->alt_scale = kinds[kind].as;

    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    char buf[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, got, on_field, on_row, r) != got) {
            lo_diag_report(sink, LO_DIAG_ERROR, path, r->row + 1, 0, -1, field, "CSV: %s",
                           csv_strerror(csv_error(&p)));
            rc = -1;
            break;
        }
    csv_fini(&p, on_field, on_row, r);
    csv_free(&p);
    fclose(f);
    if (rc == 0 && r->col[COL_T] < 0) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 1, 0, -1, field, "no time column '%s'",
                       kinds[kind].t);
        rc = -1;
    }
    if (rc == 0 && r->oom) rc = -1;
    if (rc == 0 && r->n < 2) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 0, 0, -1, field,
                       "fewer than two usable samples (%ld rows skipped)", r->skipped);
        rc = -1;
    }
    return rc;
}

typedef struct sample { double t, lat, lon, alt; } sample;

static int cmp_sample(const void *a, const void *b)
{
    double x = ((const sample *)a)->t, y = ((const sample *)b)->t;
    return x < y ? -1 : x > y;
}

/* Sort by time (some ADS-B files are not) and drop repeated times. */
static size_t sort_rows(track_rows *r, sample **out)
{
    sample *s = malloc(r->n * sizeof *s);
    if (!s) return 0;
    for (size_t i = 0; i < r->n; i++) s[i] = (sample){r->t[i], r->lat[i], r->lon[i], r->alt[i]};
    qsort(s, r->n, sizeof *s, cmp_sample);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (k == 0 || s[i].t > s[k - 1].t + 1e-6) s[k++] = s[i];
    *out = s;
    return k;
}

int sim_replay_load(const sim_target_spec *s, double t_start, double **t, double **x, double **y,
                    double **a, int *n, lo_diag_sink *sink, const char *source)
{
    track_rows main_rows = {0}, gnss_rows = {0};
    snprintf(main_rows.icao, sizeof main_rows.icao, "%s", s->replay_icao24);
    sample *ms = NULL, *gs = NULL;
    size_t mn = 0, gn = 0;
    int rc = -1;
    char kp[64], gkp[64];
    snprintf(kp, sizeof kp, "%s.path", s->key_path);
    snprintf(gkp, sizeof gkp, "%s.gnss_path", s->key_path);
    if (read_rows(s->replay_path, &main_rows, false, sink, source, s->line, kp) != 0) goto out;
    bool baro = main_rows.col[COL_LAT] < 0; /* rocket flight_data: altitude only */
    if (s->replay_gnss_path[0]) {
        if (read_rows(s->replay_gnss_path, &gnss_rows, true, sink, source, s->line, gkp) != 0) goto out;
        gn = sort_rows(&gnss_rows, &gs);
    }
    mn = sort_rows(&main_rows, &ms);
    if (mn < 2) goto out;

    double t_first = ms[0].t + s->replay_from_s;
    double t_last = s->replay_to_s > 0 ? ms[0].t + s->replay_to_s : ms[mn - 1].t;
    *t = malloc(mn * sizeof(double));
    *x = malloc(mn * sizeof(double));
    *y = malloc(mn * sizeof(double));
    *a = malloc(mn * sizeof(double));
    if (!*t || !*x || !*y || !*a) goto out;

    lo_enu_frame frame;
    bool have_frame = false;
    double h0 = 0, last_kept = -INFINITY;
    size_t gi = 0;
    int k = 0;
    for (size_t i = 0; i < mn; i++) {
        if (ms[i].t < t_first || ms[i].t > t_last) continue;
        if (ms[i].t < last_kept + 0.05) continue; /* 100 Hz logs: 20 Hz is plenty */
        double lat = ms[i].lat, lon = ms[i].lon;
        if (baro) {
            lat = lon = NAN;
            if (gn >= 2) {
                while (gi + 2 < gn && gs[gi + 1].t <= ms[i].t) gi++;
                double span = gs[gi + 1].t - gs[gi].t;
                double f = span > 0 ? (ms[i].t - gs[gi].t) / span : 0;
                f = f < 0 ? 0 : (f > 1 ? 1 : f);
                lat = gs[gi].lat + f * (gs[gi + 1].lat - gs[gi].lat);
                lon = gs[gi].lon + f * (gs[gi + 1].lon - gs[gi].lon);
            }
        }
        double e = 0, nn = 0;
        if (isfinite(lat)) {
            lo_geodetic g = {lat * LO_DEG2RAD, lon * LO_DEG2RAD, 0};
            if (!have_frame) {
                lo_enu_frame_init(&frame, &g);
                have_frame = true;
            }
            double enu[3];
            lo_geodetic_to_enu(&frame, &g, enu);
            e = enu[0];
            nn = enu[1];
        }
        if (k == 0) h0 = baro ? 0 : ms[i].alt;
        (*t)[k] = t_start + (ms[i].t - t_first);
        (*x)[k] = e;
        (*y)[k] = nn;
        (*a)[k] = ms[i].alt - h0;
        last_kept = ms[i].t;
        k++;
    }
    if (k < 2) {
        lo_diag_report(sink, LO_DIAG_ERROR, source, s->line, 0, -1, kp,
                       "'%s': fewer than two samples between from_s and to_s",
                       s->replay_path);
        goto out;
    }
    *n = k;
    rc = 0;
out:
    if (rc != 0) {
        free(*t); free(*x); free(*y); free(*a);
        *t = *x = *y = *a = NULL;
    }
    free(ms);
    free(gs);
    rows_free(&main_rows);
    rows_free(&gnss_rows);
    return rc;
}
