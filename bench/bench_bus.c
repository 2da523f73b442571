/*
 * bench_bus.c: plots per second through a local nats-server, and latencies.
 *
 *   bench_bus [--publishers N] [--plots P] [--size BYTES]
 *
 * Starts one nats-server on 127.0.0.1 (JetStream on, store in a temporary directory), then:
 *  1. throughput: N edge buses (one per simulated radar site, each with its own connection and
 *     publishing thread) publish P plots of BYTES bytes each as fast as they can into one
 *     subscribing bus; measured from the first publish until the subscriber has every plot
 *     (or 20 s pass). Run twice: with the LOOKOUT_PLOTS replay stream capturing every plot on
 *     disk, and without it. Lost plots (ring drops, slow-consumer drops) are reported.
 *  2. plot latency: one edge publishes 1000 plots/s for 3 s carrying their send time; the
 *     subscriber computes publish-call-to-callback latency (same clock, same process).
 *  3. alert latency: 200 alert transitions, publish call to delivery by a durable JetStream
 *     consumer on another bus (includes the JetStream ack and the consumer fetch).
 * Results: bench/RESULTS.md ("NATS bus"). Not part of ctest.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/bus.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

static lo_bus_config bench_config(const char *node, const char *url, double plot_window_s)
{
    lo_bus_config c;
    lo_bus_config_defaults(&c);
    snprintf(c.node, sizeof c.node, "%s", node);
    snprintf(c.site, sizeof c.site, "%s", node);
    snprintf(c.servers[0], sizeof c.servers[0], "%s", url);
    c.n_servers = 1;
    c.plot_buffer = 2000000; /* large enough that a burst is never dropped by the ring */
    c.buffer_mb = 512;
    c.plot_window_s = plot_window_s;
    c.health_interval_s = 0;
    c.alert_dedup_window_s = 600;
    return c;
}

static lo_bus *open_or_die(const lo_bus_config *c)
{
    char err[256];
    lo_bus *b = lo_bus_open(c, err, sizeof err);
    if (!b || !lo_bus_wait_ready(b, 30)) {
        fprintf(stderr, "bench_bus: %s\n", b ? "bus not ready" : err);
        exit(1);
    }
    return b;
}

/* ---- throughput ---------------------------------------------------------------------------- */

static atomic_long received;

static void count_plot(void *ctx, const lo_bus_msg *m)
{
    (void)ctx;
    (void)m;
    atomic_fetch_add(&received, 1);
}

typedef struct pub_arg {
    lo_bus *bus;
    long plots;
    size_t size;
} pub_arg;

static void *publisher(void *p)
{
    pub_arg *a = p;
    uint8_t payload[1024];
    memset(payload, 0x30, sizeof payload);
    for (long i = 0; i < a->plots; i++) {
        memcpy(payload, &i, sizeof i);
        lo_bus_publish_plot(a->bus, "radar-1", payload, a->size);
    }
    return NULL;
}

/* A fresh server per run, so a replay stream left by one run does not capture the next. */
static void throughput(int n_pub, long plots, size_t size, double window_s)
{
    char dir[] = "/tmp/lookout-bench-nats-XXXXXX", err[256], sub[64];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(sub, sizeof sub, "%s/nats", dir);
    lo_nats_cluster *server = lo_nats_cluster_start(1, sub, err, sizeof err);
    if (!server) {
        fprintf(stderr, "bench_bus: %s\n", err);
        exit(1);
    }
    const char *url = lo_nats_cluster_url(server, 0);
    lo_bus_config cs = bench_config("fusion", url, window_s);
    cs.role = LO_BUS_ROLE_FUSION;
    lo_bus *sink = open_or_die(&cs);
    lo_bus_subscribe_plots(sink, NULL, count_plot, NULL);
    lo_bus_flush(sink, 5);
    nap(0.2);
    lo_bus *pub[64];
    pub_arg args[64];
    pthread_t th[64];
    for (int i = 0; i < n_pub; i++) {
        char node[32];
        snprintf(node, sizeof node, "site-%d", i + 1);
        lo_bus_config c = bench_config(node, url, window_s);
        pub[i] = open_or_die(&c);
        args[i] = (pub_arg){pub[i], plots, size};
    }
    atomic_store(&received, 0);
    long want = plots * n_pub;
    double t0 = mono();
    for (int i = 0; i < n_pub; i++)
        pthread_create(&th[i], NULL, publisher, &args[i]);
    for (int i = 0; i < n_pub; i++)
        pthread_join(th[i], NULL);
    double t_handed = mono() - t0;
    while (atomic_load(&received) < want && mono() - t0 < 20)
        nap(0.001);
    double t_all = mono() - t0;
    long got = atomic_load(&received);
    uint64_t dropped = 0;
    for (int i = 0; i < n_pub; i++) {
        lo_bus_stats s;
        lo_bus_get_stats(pub[i], &s);
        dropped += s.plots_dropped;
        lo_bus_close(pub[i]);
    }
    printf("| %2d | %7ld | %4zu | %-4s | %9.0f | %9.0f | %6.2f | %ld / %" PRIu64 " |\n", n_pub,
           want, size, window_s > 0 ? "yes" : "no", (double)want / t_handed,
           (double)got / t_all, t_all, want - got, dropped);
    lo_bus_close(sink);
    lo_nats_cluster_free(server);
    rmdir(dir);
}

/* ---- latency ----------------------------------------------------------------------------------- */

#define MAX_SAMPLES 10000
static double samples[MAX_SAMPLES];
static atomic_int n_samples;

static void lat_plot(void *ctx, const lo_bus_msg *m)
{
    (void)ctx;
    double sent;
    if (m->len < sizeof sent)
        return;
    memcpy(&sent, m->data, sizeof sent);
    int i = atomic_fetch_add(&n_samples, 1);
    if (i < MAX_SAMPLES)
        samples[i] = mono() - sent;
}

static bool lat_alert(void *ctx, const lo_bus_alert_msg *m)
{
    (void)ctx;
    if (m->parsed && m->delivery_count == 1) {
        int i = atomic_fetch_add(&n_samples, 1);
        if (i < MAX_SAMPLES)
            samples[i] = mono() - m->alert.t;
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report_latency(const char *what)
{
    int n = atomic_load(&n_samples);
    if (n > MAX_SAMPLES)
        n = MAX_SAMPLES;
    if (n == 0) {
        printf("| %s | no samples |\n", what);
        return;
    }
    qsort(samples, (size_t)n, sizeof samples[0], cmp_double);
    printf("| %-34s | %5d | %7.3f | %7.3f | %7.3f | %7.3f |\n", what, n, samples[n / 2] * 1e3,
           samples[(int)(0.99 * (n - 1))] * 1e3, samples[(int)(0.999 * (n - 1))] * 1e3,
           samples[n - 1] * 1e3);
}

static void plot_latency(const char *url)
{
    lo_bus_config cs = bench_config("fusion-lat", url, 600);
    lo_bus *sink = open_or_die(&cs);
    lo_bus_subscribe_plots(sink, "edge-lat", lat_plot, NULL);
    lo_bus_flush(sink, 5);
    nap(0.2);
    lo_bus_config ce = bench_config("edge-lat", url, 600);
    lo_bus *edge = open_or_die(&ce);
    atomic_store(&n_samples, 0);
    uint8_t payload[64] = {0};
    double t0 = mono();
    for (int i = 0; i < 3000; i++) {
        while (mono() < t0 + i * 0.001)
            nap(0.0002);
        double now = mono();
        memcpy(payload, &now, sizeof now);
        lo_bus_publish_plot(edge, "radar-1", payload, sizeof payload);
    }
    lo_bus_flush(edge, 5);
    nap(0.3);
    report_latency("plot, publish call -> subscriber");
    lo_bus_close(edge);
    lo_bus_close(sink);
}

static void alert_latency(const char *url)
{
    lo_bus_config cd = bench_config("display-lat", url, 600);
    lo_bus *display = open_or_die(&cd);
    lo_bus_subscribe_alerts(display, "bench-latency", NULL, lat_alert, NULL);
    lo_bus_config ce = bench_config("edge-alerts", url, 600);
    lo_bus *edge = open_or_die(&ce);
    nap(1.0); /* let the consumer bind */
    atomic_store(&n_samples, 0);
    for (uint64_t i = 1; i <= 200; i++) {
        lo_alert a;
        memset(&a, 0, sizeof a);
        a.alert_id = i;
        a.track_id = (uint32_t)i;
        snprintf(a.zone_name, sizeof a.zone_name, "residence");
        a.level = LO_ALERT_ALARM;
        a.transition = LO_ALERT_RAISED;
        a.t = mono(); /* carries the send time (monotonic) for the measurement */
        lo_bus_publish_alert(edge, &a, i);
        nap(0.01);
    }
    lo_bus_flush(edge, 10);
    double end = mono() + 5;
    while (atomic_load(&n_samples) < 200 && mono() < end)
        nap(0.01);
    report_latency("alert, publish call -> durable consumer");
    lo_bus_close(edge);
    lo_bus_close(display);
}

int main(int argc, char **argv)
{
    int n_pub = 0;
    long plots = 0;
    size_t size = 64;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("Usage: bench_bus [--publishers N] [--plots P] [--size BYTES]\n");
            return 0;
        } else if (strcmp(argv[i], "--publishers") == 0 && i + 1 < argc) {
            n_pub = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--plots") == 0 && i + 1 < argc) {
            plots = atol(argv[++i]);
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            size = (size_t)atol(argv[++i]);
        } else {
            fprintf(stderr, "bench_bus: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (size < 16 || size > 1024 || n_pub < 0 || n_pub > 64 || plots < 0) {
        fprintf(stderr, "bench_bus: --size 16..1024, --publishers 1..64\n");
        return 2;
    }
    if (!lo_nats_server_path()) {
        printf("bench_bus: nats-server not installed; nothing measured\n");
        return 0;
    }
    char dir[] = "/tmp/lookout-bench-nats-XXXXXX", err[256];
    if (!mkdtemp(dir))
        return 1;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/nats", dir);
    lo_nats_cluster *c = lo_nats_cluster_start(1, sub, err, sizeof err);
    if (!c) {
        fprintf(stderr, "bench_bus: %s\n", err);
        return 1;
    }
    const char *url = lo_nats_cluster_url(c, 0);

    printf("| publishers | plots | bytes | replay stream | handed over/s | delivered/s | "
           "s | lost / ring drops |\n|---|---|---|---|---|---|---|---|\n");
    int pubs[] = {1, 10};
    for (int k = 0; k < 2; k++) {
        int np = n_pub ? n_pub : pubs[k];
        long pp = plots ? plots : 200000 / np;
        throughput(np, pp, size, 600);
        throughput(np, pp, size, 0);
        if (n_pub)
            break;
    }
    printf("\n| latency | n | p50 ms | p99 ms | p99.9 ms | max ms |\n|---|---|---|---|---|---|\n");
    plot_latency(url);
    alert_latency(url);

    lo_nats_cluster_free(c);
    rmdir(dir);
    lo_bus_library_cleanup();
    return 0;
}
