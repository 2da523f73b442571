/* bench_picture: cost of the operator picture at display scale.
 *
 * For 1,000 and 10,000 tracks with full 60 s trails: the time to take in one scan of track
 * reports (lo_picture_update_tracks, what the pipeline pays under the lock), to build the
 * WebSocket update message (tracks without trails, alerts, status) and the full message (with
 * trails), and /metrics. The update message is what the server builds at most push_hz times a
 * second while a display is connected. Usage: bench_picture [repeats]  (default 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/geo.h"
#include "lookout/picture.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void scan(lo_track *tr, int n, double t)
{
    for (int i = 0; i < n; i++) {
        memset(&tr[i], 0, sizeof tr[i]);
        tr[i].id = (uint32_t)(i + 1);
        tr[i].status = LO_TRACK_CONFIRMED;
        tr[i].t = t;
        tr[i].t_first = 0;
        double ph = 0.02 * t + i;
        tr[i].pos[0] = fmod(i * 7919.0, 36000) - 18000 + 300 * cos(ph);
        tr[i].pos[1] = fmod(i * 104729.0, 36000) - 18000 + 300 * sin(ph);
        tr[i].pos[2] = 100 + i % 400;
        tr[i].vel[0] = -6 * sin(ph);
        tr[i].vel[1] = 6 * cos(ph);
        tr[i].class_prob[i % LO_CLASS_COUNT] = 0.7;
        tr[i].class_prob[(i + 1) % LO_CLASS_COUNT] = 0.3;
    }
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1) repeats = 1;
    lo_site site;
    memset(&site, 0, sizeof site);
    snprintf(site.name, sizeof site.name, "bench");
    site.reference = (lo_geodetic){33.2985 * LO_DEG2RAD, 44.395 * LO_DEG2RAD, 35};
    lo_enu_frame_init(&site.frame, &site.reference);

    printf("%8s %14s %14s %10s %14s %10s %12s\n", "tracks", "update scan ms", "ws update ms", "MB",
           "ws full ms", "MB", "metrics ms");
    const int sizes[] = {1000, 10000};
    for (size_t k = 0; k < 2; k++) {
        int n = sizes[k];
        lo_picture *pic = lo_picture_new(NULL);
        lo_picture_set_site(pic, &site);
        lo_track *tr = malloc((size_t)n * sizeof *tr);
        /* 61 scans: full 60 s trails. */
        double t_scan = 0;
        for (int s = 0; s <= 60; s++) {
            scan(tr, n, 1e9 + s);
            double t0 = now();
            lo_picture_update_tracks(pic, tr, (size_t)n);
            if (s > 50) t_scan += now() - t0;
        }
        t_scan /= 10;
        double t_upd = 0, t_full = 0, t_met = 0;
        size_t len_upd = 0, len_full = 0;
        for (int r = 0; r < repeats; r++) {
            double t0 = now();
            char *u = lo_picture_json_string(pic, LO_PIC_TRACKS | LO_PIC_ALERTS | LO_PIC_STATUS);
            double t1 = now();
            char *f = lo_picture_json_string(pic, LO_PIC_ALL);
            double t2 = now();
            char *m = lo_picture_metrics_text(pic, NULL);
            double t3 = now();
            len_upd = strlen(u);
            len_full = strlen(f);
            t_upd += t1 - t0;
            t_full += t2 - t1;
            t_met += t3 - t2;
            free(u);
            free(f);
            free(m);
        }
        printf("%8d %14.2f %14.1f %10.2f %14.1f %10.2f %12.3f\n", n, 1e3 * t_scan, 1e3 * t_upd / repeats,
               len_upd / 1e6, 1e3 * t_full / repeats, len_full / 1e6, 1e3 * t_met / repeats);
        free(tr);
        lo_picture_free(pic);
    }
    return 0;
}
