/*
 * bus_testutil.h: helpers shared by tests/test_bus*.c (header-only, static inline).
 *
 * Read what a stream holds straight from the server with libnats (not through lo_bus), so the
 * tests check the bus against an independent reader; poll a condition with a bounded wait.
 */
#ifndef LOOKOUT_BUS_TESTUTIL_H
#define LOOKOUT_BUS_TESTUTIL_H

#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/bus.h"

#define TEST_MAX_STREAM_MSGS 4096

/* What a stream holds on one subject prefix, in stream order. */
typedef struct stream_dump {
    int n;
    char subject[TEST_MAX_STREAM_MSGS][96];
    char *data[TEST_MAX_STREAM_MSGS];
    int len[TEST_MAX_STREAM_MSGS];
    char msgid[TEST_MAX_STREAM_MSGS][96];
} stream_dump;

static inline void nap(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static inline double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void stream_dump_free(stream_dump *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->data[i]);
    free(d);
}

/* Every message of `stream` whose subject starts with `prefix`, read by sequence number
 * through a fresh connection to `url`. NULL when the stream cannot be read. */
static inline stream_dump *stream_read(const char *url, const char *stream, const char *prefix)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    stream_dump *d = NULL;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK ||
        natsConnection_JetStream(&js, nc, &jo) != NATS_OK)
        goto out;
    /* Right after a server loss the stream may need a moment to elect a leader. */
    for (int tries = 0; tries < 20; tries++) {
        if (js_GetStreamInfo(&si, js, stream, NULL, NULL) == NATS_OK)
            break;
        nap(0.25);
    }
    if (!si)
        goto out;
    d = calloc(1, sizeof *d);
    for (uint64_t seq = si->State.FirstSeq; seq && seq <= si->State.LastSeq; seq++) {
        natsMsg *m = NULL;
        if (js_GetMsg(&m, js, stream, seq, NULL, NULL) != NATS_OK)
            continue; /* deleted or expired */
        const char *subj = natsMsg_GetSubject(m);
        if (strncmp(subj, prefix, strlen(prefix)) == 0 && d->n < TEST_MAX_STREAM_MSGS) {
            int i = d->n++;
            snprintf(d->subject[i], sizeof d->subject[i], "%s", subj);
            d->len[i] = natsMsg_GetDataLength(m);
            d->data[i] = malloc((size_t)d->len[i] + 1);
            memcpy(d->data[i], natsMsg_GetData(m), (size_t)d->len[i]);
            d->data[i][d->len[i]] = '\0';
            const char *id = NULL;
            if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id)
                snprintf(d->msgid[i], sizeof d->msgid[i], "%s", id);
        }
        natsMsg_Destroy(m);
    }
out:
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return d;
}

/* A bus configuration for tests: given servers, short waits, no heartbeat. */
static inline lo_bus_config test_bus_config(const char *node, const char *const *urls, int n)
{
    lo_bus_config c;
    lo_bus_config_defaults(&c);
    snprintf(c.node, sizeof c.node, "%s", node);
    snprintf(c.site, sizeof c.site, "site-%s", node);
    for (int i = 0; i < n; i++)
        snprintf(c.servers[i], sizeof c.servers[i], "%s", urls[i]);
    c.n_servers = n;
    c.reconnect_wait_s = 0.1;
    c.connect_timeout_s = 0.5;
    c.alert_ack_timeout_s = 1.0;
    c.health_interval_s = 0;
    c.plot_window_s = 60;
    c.plot_stream_mb = 64;
    c.alert_dedup_window_s = 600;
    return c;
}

/* A plausible alert transition. */
static inline lo_alert test_alert(uint64_t id, const char *zone, lo_alert_transition tr, double t)
{
    lo_alert a;
    memset(&a, 0, sizeof a);
    a.alert_id = id;
    a.track_id = (uint32_t)(100 + id);
    a.zone_index = 0;
    snprintf(a.zone_name, sizeof a.zone_name, "%s", zone);
    a.level = tr == LO_ALERT_CLEARED ? LO_ALERT_INFO : LO_ALERT_ALARM;
    a.transition = tr;
    a.t = t;
    a.cls = LO_CLASS_MULTIROTOR;
    a.class_confidence = 0.9;
    a.distance_m = 1200.5;
    a.time_to_entry_s = 48.0;
    a.time_to_entry_sigma_s = 4.0;
    snprintf(a.reason, sizeof a.reason, "drone %llu, 1.2 km E of %s", (unsigned long long)id,
             zone);
    a.snapshot.id = a.track_id;
    a.snapshot.pos[0] = 1000.0;
    a.snapshot.vel[0] = -20.0;
    return a;
}

/* Make a fresh temporary directory for servers. */
static inline const char *test_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/lookout-nats-XXXXXX");
    return mkdtemp(buf);
}


/* A 3-server cluster as a cmocka fixture, so that a failed assertion still stops the servers
 * and removes their directory. */
typedef struct nats_cluster_fixture {
    char dir[64];
    lo_nats_cluster *nats;
} nats_cluster_fixture;

static inline int nats_cluster3_setup(void **state)
{
    nats_cluster_fixture *f = calloc(1, sizeof *f);
    char sub[80], err[256];
    if (!f || !test_tmpdir(f->dir, sizeof f->dir)) return -1;
    snprintf(sub, sizeof sub, "%s/nats", f->dir);
    f->nats = lo_nats_cluster_start(3, sub, err, sizeof err);
    if (!f->nats) {
        print_error("%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int nats_cluster_teardown(void **state)
{
    nats_cluster_fixture *f = *state;
    lo_nats_cluster_free(f->nats);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

#endif
