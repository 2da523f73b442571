/*
 * bench_geo: throughput of the per-plot geodesy: ECEF -> geodetic, polar -> system ENU (both
 * propagation models), the converted covariance, and a whole lo_ingest_plot. A radar at 1 s
 * scans with a few thousand plots per scan needs well under a microsecond per plot.
 *
 * Usage: bench_geo [iterations]   (default 2,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/config.h"
#include "lookout/geo.h"
#include "lookout/ingest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink; /* keeps the optimiser from dropping the work */

static void report(const char *what, long n, double seconds)
{
    printf("%-34s %8.1f ns/call  %7.2f M/s\n", what, 1e9 * seconds / (double)n,
           (double)n / seconds / 1e6);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    if (n <= 0) {
        fprintf(stderr, "Usage: bench_geo [iterations]\n");
        return 2;
    }
    lo_geodetic ref = {33.2985 * LO_DEG2RAD, 44.3950 * LO_DEG2RAD, 45};
    lo_geodetic sen_pos = {33.3305 * LO_DEG2RAD, 44.4330 * LO_DEG2RAD, 60};
    lo_enu_frame sys, sen;
    lo_enu_frame_init(&sys, &ref);
    lo_enu_frame_init(&sen, &sen_pos);

    double t0 = now(), acc = 0;
    for (long i = 0; i < n; i++) {
        double ecef[3] = {3813044.57 + (double)(i & 1023), 3733357.33, 3481701.09};
        lo_geodetic g;
        lo_ecef_to_geodetic(ecef, &g);
        acc += g.h;
    }
    report("lo_ecef_to_geodetic", n, now() - t0);

    for (int m = 0; m < 2; m++) {
        lo_propagation prop = m ? LO_PROP_4_3_EARTH : LO_PROP_STRAIGHT;
        t0 = now();
        for (long i = 0; i < n; i++) {
            double enu[3];
            lo_polar_to_system_enu(&sys, &sen, prop, 1000.0 + (double)(i & 16383), 0.001 * (double)(i & 4095),
                                   0.02, enu);
            acc += enu[0];
        }
        report(m ? "lo_polar_to_system_enu (4/3)" : "lo_polar_to_system_enu (straight)", n,
               now() - t0);
    }

    t0 = now();
    for (long i = 0; i < n; i++) {
        double cov[9];
        lo_polar_covariance(&sys, &sen, 1000.0 + (double)(i & 16383), 0.001 * (double)(i & 4095),
                            0.02, 8, 0.007, 0.01, cov);
        acc += cov[4];
    }
    report("lo_polar_covariance", n, now() - t0);

    static const char *yaml = "site: {reference: [33.2985, 44.3950, 45]}\n"
                              "sensors: [{name: r, sac: 1, sic: 1}]\n";
    lo_site site;
    if (lo_site_load_string(yaml, "bench", &site, NULL) != 0)
        return 1;
    t0 = now();
    for (long i = 0; i < n; i++) {
        lo_plot p;
        memset(&p, 0, sizeof p);
        p.t = (double)i;
        p.sensor_id = 0x0101;
        p.flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION;
        p.range_m = 1000.0 + (double)(i & 16383);
        p.azimuth_rad = 0.001 * (double)(i & 4095);
        p.elevation_rad = 0.02;
        const char *why;
        if (lo_ingest_plot(&site, &p, 300, &why) == 0)
            acc += p.enu[2];
    }
    report("lo_ingest_plot (3D polar)", n, now() - t0);
    lo_site_free(&site);
    sink = acc;
    return 0;
}
