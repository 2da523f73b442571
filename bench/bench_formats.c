/*
 * bench_formats: write and read back plots and track reports as CSV and JSON lines, in a
 * temporary directory; prints records per second. Usage: bench_formats [n_records]
 * (default 200000).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/formats.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void make_plot(lo_plot *p, long i)
{
    memset(p, 0, sizeof *p);
    p->t = 1795381380.0 + i * 0.001;
    p->sensor_id = 258;
    p->flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_RADIAL_VEL | LO_PLOT_SNR;
    p->range_m = 1000.0 + (double)(i % 40000);
    p->azimuth_rad = fmod(i * 0.001, 6.283);
    p->elevation_rad = 0.05;
    p->radial_velocity_mps = -12.5;
    p->snr_db = 15.25;
    p->truth_id = (uint32_t)(i % 1000);
}

static void make_track(lo_track *k, long i)
{
    memset(k, 0, sizeof *k);
    k->id = (uint32_t)(i % 1000 + 1);
    k->status = LO_TRACK_CONFIRMED;
    k->t = 1795381380.0 + i * 0.001;
    for (int d = 0; d < 3; d++) {
        k->pos[d] = 1234.5678 * (d + 1) + i;
        k->vel[d] = 10.0 * d;
        k->pos_cov[4 * d] = 100.0;
        k->vel_cov[4 * d] = 4.0;
    }
    k->class_prob[LO_CLASS_MULTIROTOR] = 0.8;
    k->class_prob[LO_CLASS_BIRD] = 0.2;
    k->n_updates = 10;
    k->t_first = k->t - 10;
    k->t_confirmed = k->t - 8;
}

static void run(const char *dir, lo_text_format fmt, int kind, long n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench.%s", dir, fmt == LO_FORMAT_CSV ? "csv" : "jsonl");
    lo_writer *w = kind == LO_RECORD_PLOT ? lo_plot_writer_open(path, fmt)
                                          : lo_track_writer_open(path, fmt, NULL);
    if (!w) {
        perror(path);
        exit(1);
    }
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (kind == LO_RECORD_PLOT) {
            lo_plot p;
            make_plot(&p, i);
            lo_plot_write(w, &p);
        } else {
            lo_track k;
            make_track(&k, i);
            lo_track_write(w, &k);
        }
    }
    lo_writer_close(w);
    double t_write = now_s() - t0;

    lo_diag_sink sink = {0};
    lo_reader *r = kind == LO_RECORD_PLOT ? lo_plot_reader_open(path, &sink)
                                          : lo_track_reader_open(path, &sink);
    long got = 0;
    t0 = now_s();
    if (kind == LO_RECORD_PLOT) {
        lo_plot p;
        while (lo_plot_reader_next(r, &p) == 1) got++;
    } else {
        lo_track k;
        while (lo_track_reader_next(r, &k) == 1) got++;
    }
    double t_read = now_s() - t0;
    lo_reader_close(r);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fclose(f);
    unlink(path);
    printf("%-6s %-5s n=%ld  %5.0f bytes/record  write %8.0f records/s  read %8.0f records/s%s\n",
           kind == LO_RECORD_PLOT ? "plots" : "tracks", fmt == LO_FORMAT_CSV ? "csv" : "jsonl", n,
           (double)bytes / n, n / t_write, got / t_read, got == n ? "" : "  (RECORD COUNT MISMATCH)");
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    char dir[] = "/tmp/lookout-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    run(dir, LO_FORMAT_CSV, LO_RECORD_PLOT, n);
    run(dir, LO_FORMAT_JSONL, LO_RECORD_PLOT, n);
    run(dir, LO_FORMAT_CSV, LO_RECORD_TRACK, n);
    run(dir, LO_FORMAT_JSONL, LO_RECORD_TRACK, n);
    rmdir(dir);
    return 0;
}
