/*
 * bench_asterix: CAT048 decoding throughput (records per second on one core), with and
 * without the conversion to lo_plot, and CAT048 encoding throughput.
 *
 * Input: 100,000 typical SSR/Mode S + PSR target reports (010 140 020 040 070 090 130 220 240
 * 161 200 170, ~40 octets each) and 2D primary plots, in blocks of up to 1400 octets, decoded
 * over and over for at least 2 s. Usage: bench_asterix [seconds]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/asterix.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this process: on a shared, overloaded machine "per core" means per CPU second. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct sink_ctx {
    double sum;
    long n;
    bool to_plot;
} sink_ctx;

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    sink_ctx *c = ctx;
    if (c->to_plot) {
        lo_plot p;
        if (lo_cat048_to_plot(rec->c048, NULL, rec->c048->tod / 128.0, &p)) c->sum += p.range_m;
    } else {
        c->sum += rec->c048->rho;
    }
    c->n++;
}

int main(int argc, char **argv)
{
    double min_s = argc > 1 ? atof(argv[1]) : 2.0;
    const int n_records = 100000;
    uint8_t *stream = malloc((size_t)n_records * 64);
    size_t stream_len = 0;
    lo_asterix_block b;
    lo_asterix_block_init(&b, 48);
    uint8_t rec[128];
    size_t total_rec_octets = 0;
    srand(7);
    for (int i = 0; i < n_records; i++) {
        lo_cat048 r;
        memset(&r, 0, sizeof r);
        r.present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_020) | LO_FRN(LO_I048_040);
        r.sac = 25; r.sic = (uint8_t)(i % 4); r.tod = (uint32_t)(i * 3);
        r.rho = (uint16_t)rand(); r.theta = (uint16_t)rand();
        if (i % 4) { /* three in four: SSR / Mode S reports as a real en-route radar sends */
            r.present |= LO_FRN(LO_I048_070) | LO_FRN(LO_I048_090) | LO_FRN(LO_I048_130) |
                         LO_FRN(LO_I048_220) | LO_FRN(LO_I048_240) | LO_FRN(LO_I048_161) |
                         LO_FRN(LO_I048_200) | LO_FRN(LO_I048_170);
            r.typ = 5; r.mode3a = (uint16_t)(rand() & 0xfff); r.fl = (int16_t)(rand() % 1600);
            r.sub130_present = LO_I130_SRL | LO_I130_SRR | LO_I130_SAM;
            r.address = (uint32_t)rand() & 0xffffff; strcpy(r.ident, "ABC1234 ");
            r.track_number = (uint16_t)(i & 0xfff); r.gsp = (uint16_t)rand(); r.hdg = (uint16_t)rand();
        } else {
            r.typ = 1;
        }
        size_t n = lo_cat048_encode(&r, rec, sizeof rec);
        total_rec_octets += n;
        if (!lo_asterix_block_add(&b, rec, n)) {
            memcpy(stream + stream_len, b.data, b.len);
            stream_len += b.len;
            lo_asterix_block_init(&b, 48);
            lo_asterix_block_add(&b, rec, n);
        }
    }
    memcpy(stream + stream_len, b.data, b.len);
    stream_len += b.len;
    printf("bench_asterix: %d CAT048 records, %.1f octets/record, %zu octets in blocks of <= %d\n",
           n_records, (double)total_rec_octets / n_records, stream_len, LO_ASTERIX_BLOCK_MAX);

    for (int mode = 0; mode < 2; mode++) {
        sink_ctx c = {0, 0, mode == 1};
        lo_asterix_stats st = {0};
        double t0 = now(), c0 = cpu(), t;
        int passes = 0;
        do {
            size_t pos = 0;
            while (pos < stream_len) { /* one datagram per block, as on the wire */
                size_t bl = (size_t)stream[pos + 1] << 8 | stream[pos + 2];
                lo_asterix_decode(stream + pos, bl, "bench", 0, on_record, &c, &st, NULL);
                pos += bl;
            }
            passes++;
            t = now() - t0;
        } while (t < min_s);
        if (st.malformed) { fprintf(stderr, "malformed records in the benchmark stream\n"); return 1; }
        double tc = cpu() - c0;
        printf("decode %-22s %6.2f M records per CPU second (%6.2f M/s wall; %ld records, %.2f s "
               "wall, %.2f s CPU, %.0f MB/s)\n", mode ? "CAT048 -> lo_plot:" : "CAT048 -> lo_cat048:",
               c.n / tc / 1e6, c.n / t / 1e6, c.n, t, tc, passes * (double)stream_len / tc / 1e6);
    }

    lo_plot p;
    memset(&p, 0, sizeof p);
    p.flags = LO_PLOT_POLAR | LO_PLOT_MODE_3A | LO_PLOT_MODE_S | LO_PLOT_FLIGHT_LVL;
    p.range_m = 50000; p.azimuth_rad = 1; p.mode_3a = 01234; p.mode_s_address = 0xabcdef;
    p.baro_altitude_m = 3000;
    lo_sensor s;
    memset(&s, 0, sizeof s);
    s.sac = 25; s.sic = 1;
    long enc = 0;
    size_t octets = 0;
    double t0 = now(), c0 = cpu(), t;
    do {
        for (int i = 0; i < 10000; i++) {
            lo_cat048 r;
            p.t = i * 0.01;
            p.azimuth_rad = i * 1e-4;
            lo_cat048_from_plot(&p, &s, &r);
            octets += lo_cat048_encode(&r, rec, sizeof rec);
            enc++;
        }
        t = now() - t0;
    } while (t < min_s / 2);
    printf("encode lo_plot -> CAT048:   %6.2f M records per CPU second (%6.2f M/s wall; %.1f "
           "octets/record)\n", enc / (cpu() - c0) / 1e6, enc / t / 1e6, (double)octets / enc);
    free(stream);
    return 0;
}
