/*
 * bus_nats.c: the NATS transport (see lookout/bus.h and docs/nats.md).
 *
 * Shape: callers only ever touch in-memory queues under one mutex; one bus thread owns the
 * talking to NATS. It connects (libnats retries forever, in the background), makes sure the
 * JetStream streams exist, and while the connection is up drains the queues:
 *   - plots / tracks / health: bounded rings, oldest dropped first when full (counted);
 *     published with core NATS (fire and forget; the plots stream captures them);
 *   - alerts: an unbounded FIFO, published one at a time with a JetStream ack and a
 *     Nats-Msg-Id, so a retry after a lost ack is de-duplicated by the server. An alert leaves
 *     the queue only when acknowledged; order is kept because only the head is ever in flight.
 * With a spool file, each queued alert is also appended there (one line: msgid TAB subject TAB
 * json) and the file is truncated whenever the queue becomes empty; a process that restarts
 * re-queues what the file holds, and the message ids make anything already stored a no-op.
 *
 * Nothing here waits for the network in the caller's thread. libnats runs its own threads for
 * reading, flushing and callbacks; every callback we register touches only the mutex-guarded
 * state, and lo_bus_close waits for the callbacks to finish before freeing anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/bus.h"

#define ALERT_STREAM "LOOKOUT_ALERTS"
#define PLOT_STREAM "LOOKOUT_PLOTS"
#define MAX_PAYLOAD (1u << 20)
#define SUBJECT_MAX 160
#define NS_PER_S 1000000000.0
#define CLOSE_WAIT_S 5.0

/* ---- small helpers --------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void deadline_ts(struct timespec *ts, double from_now_s)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double s = (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9 + from_now_s;
    ts->tv_sec = (time_t)s;
    ts->tv_nsec = (long)((s - (double)ts->tv_sec) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* ---- bounded rings (plots, tracks, health) ----------------------------------------------------- */

typedef struct bus_msg {
    size_t len;
    char subject[SUBJECT_MAX];
    uint8_t data[];
} bus_msg;

typedef struct ring {
    bus_msg **slots;
    size_t cap, head, count;
    size_t bytes, max_bytes;
    uint64_t queued, published, dropped;
} ring;

static int ring_init(ring *r, size_t cap, size_t max_bytes)
{
    memset(r, 0, sizeof *r);
    r->slots = calloc(cap, sizeof *r->slots);
    r->cap = cap;
    r->max_bytes = max_bytes;
    return r->slots ? 0 : -1;
}

static bus_msg *ring_pop(ring *r)
{
    if (r->count == 0)
        return NULL;
    bus_msg *m = r->slots[r->head];
    r->slots[r->head] = NULL;
    r->head = (r->head + 1) % r->cap;
    r->count--;
    r->bytes -= m->len;
    return m;
}

/* Make room by dropping the oldest, then append. */
static void ring_push(ring *r, bus_msg *m)
{
    while (r->count > 0 && (r->count == r->cap || r->bytes + m->len > r->max_bytes)) {
        free(ring_pop(r));
        r->dropped++;
    }
    r->slots[(r->head + r->count) % r->cap] = m;
    r->count++;
    r->bytes += m->len;
    r->queued++;
}

static void ring_free(ring *r)
{
    bus_msg *m;
    while ((m = ring_pop(r)))
        free(m);
    free(r->slots);
    r->slots = NULL;
}

/* ---- the bus ----------------------------------------------------------------------------------- */

typedef struct alert_item {
    struct alert_item *next;
    char msgid[96];
    char subject[SUBJECT_MAX];
    size_t len;
    char json[];
} alert_item;

typedef enum core_kind { CORE_PLOTS, CORE_TRACKS, CORE_HEALTH } core_kind;

typedef struct core_sub {
    struct core_sub *next;
    lo_bus *bus;
    core_kind kind;
    char subject[SUBJECT_MAX];
    lo_bus_msg_fn fn;
    void *ctx;
    natsSubscription *sub;
    bool completed; /* libnats will call fn no more */
} core_sub;

typedef struct alert_sub {
    struct alert_sub *next;
    lo_bus *bus;
    char durable[64];
    char subject[SUBJECT_MAX];
    lo_bus_alert_fn fn;
    void *ctx;
    pthread_t thread;
} alert_sub;

struct lo_bus {
    lo_bus_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t wake;  /* the bus thread waits here for work */
    pthread_cond_t alert_wake; /* the JetStream thread waits here for alerts */
    pthread_cond_t done;  /* flush / wait_ready / close wait here */
    pthread_t thread;
    bool thread_started;
    pthread_t js_thread;  /* streams and alert publishing (jetstream_main) */
    bool js_thread_started;
    bool stop;

    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    bool connected, streams_ready, closed;
    int alert_replicas;

    ring plots, tracks, health;
    alert_item *alerts_head, *alerts_tail;
    size_t alerts_pending;
    int in_flight;        /* messages popped but not yet handed to libnats */
    int spool_fd;

    core_sub *subs;
    alert_sub *alert_subs;

    char track_subject[SUBJECT_MAX], health_subject[SUBJECT_MAX];
    lo_bus_stats st;      /* counters not kept in the rings */
    char last_error[128];
};

static void set_error(lo_bus *b, const char *what, natsStatus s, jsErrCode ec)
{
    pthread_mutex_lock(&b->mu);
    snprintf(b->last_error, sizeof b->last_error, "%s: %s (js %d)", what, natsStatus_GetText(s),
             (int)ec);
    pthread_mutex_unlock(&b->mu);
}

/* ---- libnats connection callbacks (libnats' async thread) -------------------------------------- */

static void on_connected(natsConnection *nc, void *closure)
{
    (void)nc;
    lo_bus *b = closure;
    pthread_mutex_lock(&b->mu);
    b->st.connects++;
    pthread_cond_broadcast(&b->wake);
    pthread_cond_broadcast(&b->alert_wake);
    pthread_mutex_unlock(&b->mu);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    lo_bus *b = closure;
    pthread_mutex_lock(&b->mu);
    b->st.disconnects++;
    b->connected = false;
    pthread_mutex_unlock(&b->mu);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    lo_bus *b = closure;
    pthread_mutex_lock(&b->mu);
    b->st.reconnects++;
    pthread_cond_broadcast(&b->wake);
    pthread_cond_broadcast(&b->alert_wake);
    pthread_mutex_unlock(&b->mu);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    lo_bus *b = closure;
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_broadcast(&b->done);
    pthread_mutex_unlock(&b->mu);
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
                           void *closure)
{
    (void)nc;
    (void)sub;
    set_error(closure, "async", err, 0);
}

/* ---- spool --------------------------------------------------------------------------------------- */

static alert_item *alert_item_new(const char *msgid, const char *subject, const char *json,
                                  size_t len)
{
    alert_item *a = malloc(sizeof *a + len + 1);
    if (!a)
        return NULL;
    a->next = NULL;
    snprintf(a->msgid, sizeof a->msgid, "%s", msgid);
    snprintf(a->subject, sizeof a->subject, "%s", subject);
    memcpy(a->json, json, len);
    a->json[len] = '\0';
    a->len = len;
    return a;
}

static void alert_enqueue(lo_bus *b, alert_item *a)
{
    if (b->alerts_tail)
        b->alerts_tail->next = a;
    else
        b->alerts_head = a;
    b->alerts_tail = a;
    b->alerts_pending++;
    b->st.alerts_queued++;
}

/* Re-queue what a previous process left unacknowledged. Lines without their newline (a crash
 * mid-write) are incomplete and skipped. */
static void spool_reload(lo_bus *b)
{
    FILE *f = fdopen(dup(b->spool_fd), "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break;
        line[--n] = '\0';
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2)
            continue;
        *tab1 = *tab2 = '\0';
        alert_item *a = alert_item_new(line, tab1 + 1, tab2 + 1, strlen(tab2 + 1));
        if (a)
            alert_enqueue(b, a);
    }
    free(line);
    fclose(f);
}

static int spool_append(lo_bus *b, const alert_item *a)
{
    if (b->spool_fd < 0)
        return 0;
    size_t n = strlen(a->msgid) + strlen(a->subject) + a->len + 3;
    char *line = malloc(n + 1);
    if (!line)
        return -1;
    snprintf(line, n + 1, "%s\t%s\t%s\n", a->msgid, a->subject, a->json);
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(b->spool_fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            free(line);
            return -1;
        }
        off += (size_t)w;
    }
    free(line);
    return 0;
}

/* ---- streams ------------------------------------------------------------------------------------- */

/* Create or update one stream to our configuration; idempotent when every node agrees.
 * A single server refuses replicas > 1: then one replica. */
static int ensure_stream(lo_bus *b, const char *name, const char *subject, double max_age_s,
                         double max_mb, int replicas, double dedup_s, int *replicas_out)
{
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[1] = {subject};
    sc.Name = name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.Discard = js_DiscardOld;
    sc.MaxAge = (int64_t)(max_age_s * NS_PER_S);
    sc.MaxBytes = (int64_t)(max_mb * 1024.0 * 1024.0);
    sc.Replicas = replicas;
    sc.Duplicates = (int64_t)(fmin(dedup_s, max_age_s) * NS_PER_S);

    for (int attempt = 0; attempt < 2; attempt++) {
        jsStreamInfo *si = NULL;
        jsErrCode ec = 0;
        natsStatus s = js_AddStream(&si, b->js, &sc, NULL, &ec);
        if (s != NATS_OK && ec == JSStreamNameExistErr) {
            ec = 0;
            s = js_UpdateStream(&si, b->js, &sc, NULL, &ec);
        }
        if (s == NATS_OK) {
            if (replicas_out && si && si->Config)
                *replicas_out = (int)si->Config->Replicas;
            jsStreamInfo_Destroy(si);
            return 0;
        }
        jsStreamInfo_Destroy(si);
        set_error(b, name, s, ec);
        if (ec == JSStreamReplicasNotSupportedErr && sc.Replicas > 1) {
            sc.Replicas = 1; /* not clustered: one replica is all there is */
            continue;
        }
        break;
    }
    return -1;
}

/* The alert stream gates alert publishing. The plots stream is a replay aid and best effort:
 * with one replica it lives on one server, and while that server is away plots still flow
 * to live subscribers; failing to set it up must never hold alerts back. */
static int ensure_alert_stream(lo_bus *b)
{
    int replicas = 0;
    if (ensure_stream(b, ALERT_STREAM, "lookout.alerts.>", b->cfg.alert_max_age_s, 256.0,
                      b->cfg.alert_replicas, b->cfg.alert_dedup_window_s, &replicas) != 0)
        return -1;
    pthread_mutex_lock(&b->mu);
    b->streams_ready = true;
    b->alert_replicas = replicas;
    pthread_cond_broadcast(&b->done);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static int ensure_plot_stream(lo_bus *b)
{
    if (b->cfg.plot_window_s <= 0)
        return 0;
    return ensure_stream(b, PLOT_STREAM, "lookout.plots.>", b->cfg.plot_window_s,
                         b->cfg.plot_stream_mb, 1, fmin(b->cfg.plot_window_s, 60.0), NULL);
}

/* ---- subscriptions -------------------------------------------------------------------------- */

static void on_core_complete(void *closure)
{
    core_sub *cs = closure;
    pthread_mutex_lock(&cs->bus->mu);
    cs->completed = true;
    pthread_cond_broadcast(&cs->bus->done);
    pthread_mutex_unlock(&cs->bus->mu);
}

/* Fill m from a received message: subject tokens lookout.<kind>.<a>[.<b>] into `tokens`. */
static void fill_msg(lo_bus_msg *m, core_kind kind, natsMsg *msg, char *tokens, size_t len)
{
    const char *subject = natsMsg_GetSubject(msg);
    snprintf(tokens, len, "%s", subject);
    char *save = NULL;
    strtok_r(tokens, ".", &save);
    strtok_r(NULL, ".", &save);
    char *a = strtok_r(NULL, ".", &save);
    char *bb = strtok_r(NULL, ".", &save);
    *m = (lo_bus_msg){.subject = subject,
                      .data = (const uint8_t *)natsMsg_GetData(msg),
                      .len = (size_t)natsMsg_GetDataLength(msg)};
    if (kind == CORE_PLOTS) {
        m->site = a;
        m->sensor = bb;
    } else {
        m->node = a;
    }
}

static void on_core_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    core_sub *cs = closure;
    char tokens[SUBJECT_MAX];
    lo_bus_msg m;
    fill_msg(&m, cs->kind, msg, tokens, sizeof tokens);
    cs->fn(cs->ctx, &m);
    /* Counted once handed over, so that a count seen means the callback has run. */
    pthread_mutex_lock(&cs->bus->mu);
    if (cs->kind == CORE_PLOTS)
        cs->bus->st.plots_received++;
    else if (cs->kind == CORE_TRACKS)
        cs->bus->st.tracks_received++;
    else
        cs->bus->st.health_received++;
    pthread_mutex_unlock(&cs->bus->mu);
    natsMsg_Destroy(msg);
}

/* Make the core subscriptions asked for since the last pass (bus thread). */
static void make_core_subs(lo_bus *b)
{
    for (;;) {
        core_sub *todo = NULL;
        pthread_mutex_lock(&b->mu);
        for (core_sub *cs = b->subs; cs; cs = cs->next)
            if (!cs->sub && !cs->completed) {
                todo = cs;
                break;
            }
        pthread_mutex_unlock(&b->mu);
        if (!todo)
            return;
        natsSubscription *sub = NULL;
        natsStatus s = natsConnection_Subscribe(&sub, b->nc, todo->subject, on_core_msg, todo);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(sub, 1000000, 256 * 1024 * 1024);
        if (s == NATS_OK)
            s = natsSubscription_SetOnCompleteCB(sub, on_core_complete, todo);
        pthread_mutex_lock(&b->mu);
        if (s == NATS_OK) {
            todo->sub = sub;
        } else {
            /* Should not happen on a live connection object; give up on this one. */
            todo->completed = true;
            snprintf(b->last_error, sizeof b->last_error, "subscribe %.100s: %s", todo->subject,
                     natsStatus_GetText(s));
        }
        pthread_mutex_unlock(&b->mu);
        if (s != NATS_OK)
            natsSubscription_Destroy(sub);
    }
}

static bool stopping(lo_bus *b)
{
    pthread_mutex_lock(&b->mu);
    bool s = b->stop;
    pthread_mutex_unlock(&b->mu);
    return s;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Deliver one fetched alert message to the callback and ack or nak it. */
static void deliver_alert(alert_sub *as, natsMsg *msg)
{
    lo_bus *b = as->bus;
    char node[LO_NAME_MAX] = "";
    lo_bus_alert_msg am = {.json = natsMsg_GetData(msg),
                           .json_len = (size_t)natsMsg_GetDataLength(msg),
                           .node = node};
    am.parsed = lo_bus_alert_from_json(am.json, am.json_len, &am.alert, node, sizeof node,
                                       &am.seq);
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        am.stream_seq = meta->Sequence.Stream;
        am.delivery_count = meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
    }
    pthread_mutex_lock(&b->mu);
    b->st.alerts_received++;
    pthread_mutex_unlock(&b->mu);
    bool handled = as->fn(as->ctx, &am);
    jsErrCode ec = 0;
    natsStatus s = handled ? natsMsg_AckSync(msg, NULL, &ec) : natsMsg_Nak(msg, NULL);
    pthread_mutex_lock(&b->mu);
    if (handled && s == NATS_OK)
        b->st.alerts_acked++;
    else if (!handled)
        b->st.alerts_nacked++;
    pthread_mutex_unlock(&b->mu);
}

/* One thread per durable alert consumer: bind, then fetch in batches until the bus stops.
 * The consumer is created here (not by the subscribe call) so that destroying the
 * subscription never deletes it: a restarted process resumes where this one acked. */
static void *alert_sub_main(void *arg)
{
    alert_sub *as = arg;
    lo_bus *b = as->bus;
    natsSubscription *sub = NULL;
    int failures = 0; /* consecutive fetch errors other than "nothing new" */
    while (!stopping(b)) {
        pthread_mutex_lock(&b->mu);
        bool ready = b->connected && b->streams_ready && b->js;
        pthread_mutex_unlock(&b->mu);
        if (!ready) {
            sleep_s(0.05);
            continue;
        }
        if (!sub) {
            jsConsumerConfig cc;
            jsConsumerConfig_Init(&cc);
            cc.Durable = as->durable;
            cc.DeliverPolicy = js_DeliverAll;
            cc.AckPolicy = js_AckExplicit;
            cc.AckWait = (int64_t)(30 * NS_PER_S);
            cc.MaxAckPending = 1000;
            cc.FilterSubject = as->subject;
            jsConsumerInfo *ci = NULL;
            jsErrCode ec = 0;
            /* Fails harmlessly when it exists with another configuration: bind to it. */
            js_AddConsumer(&ci, b->js, ALERT_STREAM, &cc, NULL, &ec);
            jsConsumerInfo_Destroy(ci);
            jsSubOptions so;
            jsSubOptions_Init(&so);
            so.Stream = ALERT_STREAM;
            so.Consumer = as->durable;
            natsStatus s = js_PullSubscribe(&sub, b->js, as->subject, as->durable, NULL, &so,
                                            &ec);
            if (s != NATS_OK) {
                set_error(b, "alert consumer", s, ec);
                sub = NULL;
                sleep_s(0.2);
                continue;
            }
        }
        natsMsgList list = {0};
        jsErrCode ec = 0;
        natsStatus s = natsSubscription_Fetch(&list, sub, 64, 300, &ec);
        for (int i = 0; i < list.Count; i++)
            if (list.Msgs[i])
                deliver_alert(as, list.Msgs[i]);
        natsMsgList_Destroy(&list);
        if (s == NATS_OK || s == NATS_TIMEOUT) {
            failures = 0;
        } else {
            sleep_s(0.1); /* disconnected or a leader election: try again shortly */
            /* Still failing after ~5 s: the consumer may be gone (a stream recreated on a
             * fresh cluster); bind again, which recreates it. */
            if (++failures >= 50) {
                set_error(b, "alert fetch", s, ec);
                natsSubscription_Destroy(sub);
                sub = NULL;
                failures = 0;
            }
        }
    }
    /* Destroy without unsubscribing: the durable consumer stays on the server. */
    natsSubscription_Destroy(sub);
    return NULL;
}

/* ---- the bus thread ---------------------------------------------------------------------------- */

static int connect_nats(lo_bus *b)
{
    const char *urls[LO_BUS_MAX_SERVERS];
    for (int i = 0; i < b->cfg.n_servers; i++)
        urls[i] = b->cfg.servers[i];
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, urls, b->cfg.n_servers);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, b->cfg.node);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1); /* forever */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, (int64_t)(b->cfg.reconnect_wait_s * 1000));
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, (int64_t)(b->cfg.connect_timeout_s * 1000));
    /* Our rings are the buffer that matters; libnats' own covers the instant between our
     * status check and a publish. */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(o, 1 << 20);
    /* A dead peer that does not close the socket is noticed within ~10 s. */
    if (s == NATS_OK)
        s = natsOptions_SetPingInterval(o, 5000);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPingsOut(o, 2);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(o, on_disconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, on_reconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(o, on_closed, b);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, on_async_error, b);
    natsConnection *nc = NULL;
    if (s == NATS_OK) {
        s = natsConnection_Connect(&nc, o);
        if (s == NATS_OK) {
            pthread_mutex_lock(&b->mu);
            b->st.connects++;
            pthread_mutex_unlock(&b->mu);
        } else if (s == NATS_NOT_YET_CONNECTED) {
            s = NATS_OK; /* libnats keeps trying in the background */
        }
    }
    jsCtx *js = NULL;
    if (s == NATS_OK) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = (int64_t)(b->cfg.alert_ack_timeout_s * 1000);
        s = natsConnection_JetStream(&js, nc, &jo);
    }
    if (s != NATS_OK) {
        set_error(b, "connect", s, 0);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(o);
        return -1;
    }
    pthread_mutex_lock(&b->mu);
    b->opts = o;
    b->nc = nc;
    b->js = js;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* Hand everything in one ring to libnats, in batches so the lock is taken once per batch
 * rather than once per plot. */
#define DRAIN_BATCH 256

static void drain_ring(lo_bus *b, ring *r)
{
    bus_msg *batch[DRAIN_BATCH];
    for (;;) {
        int n = 0;
        pthread_mutex_lock(&b->mu);
        while (n < DRAIN_BATCH && (batch[n] = ring_pop(r)) != NULL)
            n++;
        b->in_flight += n;
        pthread_mutex_unlock(&b->mu);
        if (n == 0)
            return;
        int sent = 0;
        natsStatus s = NATS_OK;
        for (int i = 0; i < n; i++) {
            if (s == NATS_OK)
                s = natsConnection_Publish(b->nc, batch[i]->subject, batch[i]->data,
                                           (int)batch[i]->len);
            if (s == NATS_OK)
                sent++;
            free(batch[i]);
        }
        pthread_mutex_lock(&b->mu);
        r->published += (uint64_t)sent;
        r->dropped += (uint64_t)(n - sent); /* the connection fell over mid-batch */
        b->in_flight -= n;
        pthread_cond_broadcast(&b->done);
        pthread_mutex_unlock(&b->mu);
        if (s != NATS_OK)
            return;
    }
}

/* Publish the alert at the head of the queue; it leaves the queue only when acknowledged.
 * Returns 0 when it went (or there was none), -1 to retry later. */
static int publish_head_alert(lo_bus *b)
{
    pthread_mutex_lock(&b->mu);
    alert_item *a = b->alerts_head;
    pthread_mutex_unlock(&b->mu);
    if (!a)
        return 0;
    /* Only this thread removes from the head, so `a` stays valid without the lock. */
    natsMsg *msg = NULL;
    natsStatus s = natsMsg_Create(&msg, a->subject, NULL, a->json, (int)a->len);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = a->msgid;
    po.ExpectStream = ALERT_STREAM;
    po.MaxWait = (int64_t)(b->cfg.alert_ack_timeout_s * 1000);
    jsPubAck *ack = NULL;
    jsErrCode ec = 0;
    if (s == NATS_OK)
        s = js_PublishMsg(&ack, b->js, msg, &po, &ec);
    natsMsg_Destroy(msg);
    bool duplicate = ack && ack->Duplicate;
    jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
        set_error(b, "alert publish", s, ec);
        pthread_mutex_lock(&b->mu);
        b->st.alert_publish_retries++;
        if (s == NATS_NO_RESPONDERS || ec == JSStreamNotFoundErr)
            b->streams_ready = false; /* the stream went away (a fresh cluster): recreate */
        pthread_mutex_unlock(&b->mu);
        return -1;
    }
    pthread_mutex_lock(&b->mu);
    b->alerts_head = a->next;
    if (!b->alerts_head)
        b->alerts_tail = NULL;
    b->alerts_pending--;
    b->st.alerts_published++;
    if (duplicate)
        b->st.alerts_duplicates++;
    if (b->alerts_pending == 0 && b->spool_fd >= 0 && ftruncate(b->spool_fd, 0) != 0)
        snprintf(b->last_error, sizeof b->last_error, "spool truncate: %s", strerror(errno));
    pthread_cond_broadcast(&b->done);
    pthread_mutex_unlock(&b->mu);
    free(a);
    return 0;
}

static void publish_own_health(lo_bus *b)
{
    char buf[512];
    pthread_mutex_lock(&b->mu);
    snprintf(buf, sizeof buf,
             "{\"node\":\"%s\",\"role\":\"%s\",\"plots_published\":%" PRIu64
             ",\"plots_dropped\":%" PRIu64 ",\"plots_buffered\":%zu,\"alerts_pending\":%zu,"
             "\"alerts_published\":%" PRIu64 ",\"reconnects\":%" PRIu64 "}",
             b->cfg.node, lo_bus_role_name(b->cfg.role), b->plots.published, b->plots.dropped,
             b->plots.count, b->alerts_pending, b->st.alerts_published, b->st.reconnects);
    pthread_mutex_unlock(&b->mu);
    lo_bus_publish_health(b, buf);
}

/* The bus thread: the connection, core subscriptions, and the plot, track and health rings.
 * It never waits for JetStream, so plots flow while alerts wait for acknowledgements. */
static void *bus_main(void *arg)
{
    lo_bus *b = arg;
    double next_health = 0;
    while (!stopping(b)) {
        if (!b->nc && connect_nats(b) != 0) {
            sleep_s(b->cfg.reconnect_wait_s);
            continue;
        }
        make_core_subs(b);
        bool up = natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED;
        pthread_mutex_lock(&b->mu);
        bool was_up = b->connected;
        b->connected = up;
        if (up && !was_up)
            pthread_cond_broadcast(&b->alert_wake);
        pthread_cond_broadcast(&b->done);
        pthread_mutex_unlock(&b->mu);
        double t = now_s();
        if (up) {
            if (b->cfg.health_interval_s > 0 && t >= next_health) {
                publish_own_health(b);
                next_health = t + b->cfg.health_interval_s;
            }
            drain_ring(b, &b->plots);
            drain_ring(b, &b->tracks);
            drain_ring(b, &b->health);
        }
        pthread_mutex_lock(&b->mu);
        bool idle = !up || (b->plots.count + b->tracks.count + b->health.count) == 0;
        if (!b->stop && idle) {
            struct timespec ts;
            deadline_ts(&ts, up ? 0.1 : 0.02);
            pthread_cond_timedwait(&b->wake, &b->mu, &ts);
        }
        pthread_mutex_unlock(&b->mu);
    }
    return NULL;
}

/* The JetStream thread: creates the streams and publishes the alert queue in order. Each
 * publish waits for its acknowledgement (up to alert_ack_timeout_s, and a cluster that has
 * just restarted answers only once it has elected its leaders, seconds later): on its own
 * thread that wait never holds up the plots. */
static void *jetstream_main(void *arg)
{
    lo_bus *b = arg;
    double next_stream_try = 0, next_alert_try = 0, next_plot_stream_try = 0;
    bool plot_stream_ready = false;
    while (!stopping(b)) {
        pthread_mutex_lock(&b->mu);
        bool up = b->connected && b->js;
        bool ready = b->streams_ready;
        pthread_mutex_unlock(&b->mu);
        double t = now_s();
        bool alert_blocked = true;
        if (up) {
            if (!ready && t >= next_stream_try) {
                ready = ensure_alert_stream(b) == 0;
                if (!ready)
                    next_stream_try = t + 0.5;
            }
            if (ready && !plot_stream_ready && t >= next_plot_stream_try) {
                plot_stream_ready = ensure_plot_stream(b) == 0;
                if (!plot_stream_ready)
                    next_plot_stream_try = t + 5.0;
            }
            /* Alerts in order, a bounded number per pass so that stopping is noticed. */
            for (int i = 0; ready && i < 64 && now_s() >= next_alert_try; i++) {
                if (publish_head_alert(b) != 0) {
                    next_alert_try = now_s() + 0.2;
                    break;
                }
                pthread_mutex_lock(&b->mu);
                bool more = b->alerts_head != NULL;
                pthread_mutex_unlock(&b->mu);
                if (!more)
                    break;
            }
            alert_blocked = !ready || now_s() < next_alert_try;
        }
        pthread_mutex_lock(&b->mu);
        bool idle = !up || b->alerts_head == NULL || alert_blocked;
        if (!b->stop && idle) {
            struct timespec ts;
            deadline_ts(&ts, up && !alert_blocked ? 0.1 : 0.02);
            pthread_cond_timedwait(&b->alert_wake, &b->mu, &ts);
        }
        pthread_mutex_unlock(&b->mu);
    }
    return NULL;
}

/* ---- public API ------------------------------------------------------------------------------ */

lo_bus *lo_bus_open(const lo_bus_config *cfg, char *err, size_t errlen)
{
    if (cfg->n_servers < 1 || cfg->n_servers > LO_BUS_MAX_SERVERS) {
        snprintf(err, errlen, "nats: no server URLs configured");
        return NULL;
    }
    if (cfg->plot_buffer < 1 || cfg->track_buffer < 1 || !(cfg->buffer_mb > 0)) {
        snprintf(err, errlen, "nats: buffer sizes must be positive");
        return NULL;
    }
    lo_bus *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "nats: out of memory");
        return NULL;
    }
    b->cfg = *cfg;
    lo_bus_token(cfg->node, b->cfg.node, sizeof b->cfg.node);
    lo_bus_token(cfg->site, b->cfg.site, sizeof b->cfg.site);
    b->spool_fd = -1;
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_cond_init(&b->alert_wake, &ca);
    pthread_cond_init(&b->done, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(b->track_subject, sizeof b->track_subject, "lookout.tracks.%s", b->cfg.node);
    snprintf(b->health_subject, sizeof b->health_subject, "lookout.health.%s", b->cfg.node);
    size_t max_bytes = (size_t)(cfg->buffer_mb * 1024.0 * 1024.0);
    if (ring_init(&b->plots, (size_t)cfg->plot_buffer, max_bytes) != 0 ||
        ring_init(&b->tracks, (size_t)cfg->track_buffer, max_bytes) != 0 ||
        ring_init(&b->health, 16, max_bytes) != 0) {
        snprintf(err, errlen, "nats: cannot allocate buffers of %ld plots", cfg->plot_buffer);
        lo_bus_close(b);
        return NULL;
    }
    if (cfg->alert_spool[0]) {
        b->spool_fd = open(cfg->alert_spool, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (b->spool_fd < 0) {
            snprintf(err, errlen, "nats: alert spool %s: %s", cfg->alert_spool, strerror(errno));
            lo_bus_close(b);
            return NULL;
        }
        spool_reload(b);
    }
    if (pthread_create(&b->thread, NULL, bus_main, b) != 0) {
        snprintf(err, errlen, "nats: cannot start the bus thread");
        lo_bus_close(b);
        return NULL;
    }
    b->thread_started = true;
    if (pthread_create(&b->js_thread, NULL, jetstream_main, b) != 0) {
        snprintf(err, errlen, "nats: cannot start the JetStream thread");
        lo_bus_close(b);
        return NULL;
    }
    b->js_thread_started = true;
    return b;
}

/* Wait on `done` until *flag or the deadline; called with the mutex held. */
static bool wait_flag(lo_bus *b, const bool *flag, double timeout_s)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_s);
    while (!*flag)
        if (pthread_cond_timedwait(&b->done, &b->mu, &ts) != 0)
            break;
    return *flag;
}

void lo_bus_close(lo_bus *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_broadcast(&b->wake);
    pthread_cond_broadcast(&b->alert_wake);
    pthread_mutex_unlock(&b->mu);
    if (b->thread_started)
        pthread_join(b->thread, NULL);
    if (b->js_thread_started)
        pthread_join(b->js_thread, NULL);
    for (alert_sub *as = b->alert_subs; as; as = as->next)
        pthread_join(as->thread, NULL);

    /* Core subscriptions: unsubscribe, then wait until libnats has returned from the last
     * callback, so nothing of ours is touched after it is freed. */
    bool safe = true;
    for (core_sub *cs = b->subs; cs; cs = cs->next)
        if (cs->sub)
            natsSubscription_Unsubscribe(cs->sub);
    pthread_mutex_lock(&b->mu);
    for (core_sub *cs = b->subs; cs; cs = cs->next)
        if (cs->sub && !wait_flag(b, &cs->completed, CLOSE_WAIT_S))
            safe = false;
    pthread_mutex_unlock(&b->mu);
    if (b->nc) {
        natsConnection_Close(b->nc);
        pthread_mutex_lock(&b->mu);
        if (!wait_flag(b, &b->closed, CLOSE_WAIT_S))
            safe = false;
        pthread_mutex_unlock(&b->mu);
    }
    for (core_sub *cs = b->subs; cs; cs = cs->next)
        natsSubscription_Destroy(cs->sub);
    jsCtx_Destroy(b->js);
    natsConnection_Destroy(b->nc);
    natsOptions_Destroy(b->opts);
    if (!safe)
        return; /* a libnats callback may still run: keep its memory rather than crash */

    while (b->subs) {
        core_sub *n = b->subs->next;
        free(b->subs);
        b->subs = n;
    }
    while (b->alert_subs) {
        alert_sub *n = b->alert_subs->next;
        free(b->alert_subs);
        b->alert_subs = n;
    }
    while (b->alerts_head) {
        alert_item *n = b->alerts_head->next;
        free(b->alerts_head);
        b->alerts_head = n;
    }
    ring_free(&b->plots);
    ring_free(&b->tracks);
    ring_free(&b->health);
    if (b->spool_fd >= 0)
        close(b->spool_fd);
    pthread_cond_destroy(&b->wake);
    pthread_cond_destroy(&b->alert_wake);
    pthread_cond_destroy(&b->done);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void lo_bus_library_cleanup(void)
{
    nats_CloseAndWait(2000);
}

bool lo_bus_wait_ready(lo_bus *b, double timeout_s)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_s);
    pthread_mutex_lock(&b->mu);
    while (!(b->connected && b->streams_ready))
        if (pthread_cond_timedwait(&b->done, &b->mu, &ts) != 0)
            break;
    bool ok = b->connected && b->streams_ready;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

bool lo_bus_flush(lo_bus *b, double timeout_s)
{
    double end = now_s() + timeout_s;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        bool empty = b->plots.count + b->tracks.count + b->health.count == 0 &&
                     b->alerts_head == NULL && b->in_flight == 0;
        if (empty || now_s() >= end) {
            pthread_mutex_unlock(&b->mu);
            if (!empty)
                return false;
            break;
        }
        pthread_cond_broadcast(&b->wake);
        pthread_cond_broadcast(&b->alert_wake);
        struct timespec ts;
        deadline_ts(&ts, 0.02);
        pthread_cond_timedwait(&b->done, &b->mu, &ts);
    }
    double left = end - now_s();
    pthread_mutex_lock(&b->mu);
    natsConnection *nc = b->nc;
    pthread_mutex_unlock(&b->mu);
    return nc && natsConnection_FlushTimeout(nc, (int64_t)(fmax(left, 0.05) * 1000)) == NATS_OK;
}

static int push_lossy(lo_bus *b, ring *r, const char *subject, const void *data, size_t len)
{
    if (!b || !data || len == 0 || len > MAX_PAYLOAD)
        return -1;
    bus_msg *m = malloc(sizeof *m + len);
    if (!m)
        return -1;
    m->len = len;
    snprintf(m->subject, sizeof m->subject, "%s", subject);
    memcpy(m->data, data, len);
    pthread_mutex_lock(&b->mu);
    ring_push(r, m);
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int lo_bus_publish_plot(lo_bus *b, const char *sensor, const void *data, size_t len)
{
    if (!b || !sensor)
        return -1;
    char tok[LO_NAME_MAX], subject[SUBJECT_MAX];
    snprintf(subject, sizeof subject, "lookout.plots.%s.%s", b->cfg.site,
             lo_bus_token(sensor, tok, sizeof tok));
    return push_lossy(b, &b->plots, subject, data, len);
}

int lo_bus_publish_track(lo_bus *b, const void *data, size_t len)
{
    return b ? push_lossy(b, &b->tracks, b->track_subject, data, len) : -1;
}

int lo_bus_publish_health(lo_bus *b, const char *json)
{
    return b && json ? push_lossy(b, &b->health, b->health_subject, json, strlen(json)) : -1;
}

int lo_bus_publish_alert(lo_bus *b, const lo_alert *alert, uint64_t seq)
{
    if (!b || !alert)
        return -1;
    if (seq == 0) {
        if (!(alert->t >= 0 && alert->t < 1e12))
            return -1; /* no usable time to number it by */
        seq = (uint64_t)llround(alert->t * 1e6);
    }
    char *json = lo_bus_alert_to_json(alert, b->cfg.node, seq);
    if (!json)
        return -1;
    char msgid[96], tok[LO_NAME_MAX], subject[SUBJECT_MAX];
    snprintf(msgid, sizeof msgid, "%s.%" PRIu64 ".%" PRIu64, b->cfg.node, alert->alert_id, seq);
    snprintf(subject, sizeof subject, "lookout.alerts.%s",
             lo_bus_token(alert->zone_name, tok, sizeof tok));
    alert_item *a = alert_item_new(msgid, subject, json, strlen(json));
    free(json);
    if (!a)
        return -1;
    pthread_mutex_lock(&b->mu);
    int rc = spool_append(b, a);
    if (rc != 0)
        snprintf(b->last_error, sizeof b->last_error, "spool write: %s", strerror(errno));
    alert_enqueue(b, a);
    pthread_cond_signal(&b->alert_wake);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void lo_bus_get_stats(lo_bus *b, lo_bus_stats *out)
{
    pthread_mutex_lock(&b->mu);
    *out = b->st;
    out->connected = b->connected;
    out->streams_ready = b->streams_ready;
    out->alert_replicas = b->alert_replicas;
    out->plots_queued = b->plots.queued;
    out->plots_published = b->plots.published;
    out->plots_dropped = b->plots.dropped;
    out->plots_buffered = b->plots.count;
    out->tracks_queued = b->tracks.queued;
    out->tracks_published = b->tracks.published;
    out->tracks_dropped = b->tracks.dropped;
    out->tracks_buffered = b->tracks.count;
    out->health_published = b->health.published;
    out->health_dropped = b->health.dropped;
    out->alerts_pending = b->alerts_pending;
    snprintf(out->last_error, sizeof out->last_error, "%s", b->last_error);
    pthread_mutex_unlock(&b->mu);
}

int lo_bus_metrics_text(lo_bus *b, char *buf, size_t len)
{
    lo_bus_stats s;
    lo_bus_get_stats(b, &s);
    const char *node = b->cfg.node;
    struct {
        const char *name, *type, *help;
        double v;
    } m[] = {
        {"connected", "gauge", "1 while connected to a NATS server", s.connected},
        {"streams_ready", "gauge", "1 once the JetStream streams are in place",
         s.streams_ready},
        {"reconnects_total", "counter", "reconnections after a lost connection",
         (double)s.reconnects},
        {"disconnects_total", "counter", "connections lost", (double)s.disconnects},
        {"plots_queued_total", "counter", "plot messages handed to the bus",
         (double)s.plots_queued},
        {"plots_published_total", "counter", "plots handed to NATS", (double)s.plots_published},
        {"plots_dropped_total", "counter", "plots dropped (oldest first) while NATS was down",
         (double)s.plots_dropped},
        {"plots_buffered", "gauge", "plots waiting for NATS", (double)s.plots_buffered},
        {"tracks_published_total", "counter", "track messages handed to NATS",
         (double)s.tracks_published},
        {"tracks_dropped_total", "counter", "track messages dropped while NATS was down",
         (double)s.tracks_dropped},
        {"tracks_buffered", "gauge", "track messages waiting for NATS",
         (double)s.tracks_buffered},
        {"alerts_queued_total", "counter", "alert transitions handed to the bus",
         (double)s.alerts_queued},
        {"alerts_published_total", "counter", "alert transitions acknowledged by JetStream",
         (double)s.alerts_published},
        {"alerts_pending", "gauge", "alert transitions waiting for an acknowledgement",
         (double)s.alerts_pending},
        {"alert_publish_retries_total", "counter", "alert publish attempts that failed",
         (double)s.alert_publish_retries},
        {"alert_duplicates_total", "counter",
         "alert publishes JetStream reported as duplicates (a retry of a stored one)",
         (double)s.alerts_duplicates},
        {"plots_received_total", "counter", "plots received from other nodes",
         (double)s.plots_received},
        {"alerts_received_total", "counter", "alert transitions received from the stream",
         (double)s.alerts_received},
        {"alerts_acked_total", "counter", "received alert transitions acknowledged",
         (double)s.alerts_acked},
        {"tracks_received_total", "counter", "track messages received from other nodes",
         (double)s.tracks_received},
    };
    size_t off = 0;
    int total = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        int n = snprintf(buf ? buf + off : NULL, buf && off < len ? len - off : 0,
                         "# HELP lookout_bus_%s %s\n# TYPE lookout_bus_%s %s\n"
                         "lookout_bus_%s{node=\"%s\"} %.17g\n",
                         m[i].name, m[i].help, m[i].name, m[i].type, m[i].name, node, m[i].v);
        if (n < 0)
            return -1;
        total += n;
        off = off + (size_t)n < len ? off + (size_t)n : len;
    }
    return total;
}

static int add_core_sub(lo_bus *b, core_kind kind, const char *subject, lo_bus_msg_fn fn,
                        void *ctx)
{
    if (!b || !fn)
        return -1;
    core_sub *cs = calloc(1, sizeof *cs);
    if (!cs)
        return -1;
    cs->bus = b;
    cs->kind = kind;
    cs->fn = fn;
    cs->ctx = ctx;
    snprintf(cs->subject, sizeof cs->subject, "%s", subject);
    pthread_mutex_lock(&b->mu);
    cs->next = b->subs;
    b->subs = cs;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int lo_bus_subscribe_plots(lo_bus *b, const char *site, lo_bus_msg_fn fn, void *ctx)
{
    char tok[LO_NAME_MAX], subject[SUBJECT_MAX];
    if (site)
        snprintf(subject, sizeof subject, "lookout.plots.%s.*", lo_bus_token(site, tok, sizeof tok));
    else
        snprintf(subject, sizeof subject, "lookout.plots.>");
    return add_core_sub(b, CORE_PLOTS, subject, fn, ctx);
}

int lo_bus_subscribe_tracks(lo_bus *b, const char *node, lo_bus_msg_fn fn, void *ctx)
{
    char tok[LO_NAME_MAX], subject[SUBJECT_MAX];
    if (node)
        snprintf(subject, sizeof subject, "lookout.tracks.%s", lo_bus_token(node, tok, sizeof tok));
    else
        snprintf(subject, sizeof subject, "lookout.tracks.*");
    return add_core_sub(b, CORE_TRACKS, subject, fn, ctx);
}

int lo_bus_subscribe_health(lo_bus *b, lo_bus_msg_fn fn, void *ctx)
{
    return add_core_sub(b, CORE_HEALTH, "lookout.health.*", fn, ctx);
}

int lo_bus_subscribe_alerts(lo_bus *b, const char *durable, const char *zone,
                            lo_bus_alert_fn fn, void *ctx)
{
    if (!b || !fn || !durable || !durable[0])
        return -1;
    alert_sub *as = calloc(1, sizeof *as);
    if (!as)
        return -1;
    as->bus = b;
    as->fn = fn;
    as->ctx = ctx;
    lo_bus_token(durable, as->durable, sizeof as->durable);
    char tok[LO_NAME_MAX];
    if (zone)
        snprintf(as->subject, sizeof as->subject, "lookout.alerts.%s",
                 lo_bus_token(zone, tok, sizeof tok));
    else
        snprintf(as->subject, sizeof as->subject, "lookout.alerts.>");
    if (pthread_create(&as->thread, NULL, alert_sub_main, as) != 0) {
        free(as);
        return -1;
    }
    pthread_mutex_lock(&b->mu);
    as->next = b->alert_subs;
    b->alert_subs = as;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

long lo_bus_replay_plots(lo_bus *b, const char *site, double since_utc_s, lo_bus_msg_fn fn,
                         void *ctx, double timeout_s)
{
    if (!b || !fn)
        return -1;
    pthread_mutex_lock(&b->mu);
    jsCtx *js = b->connected ? b->js : NULL;
    pthread_mutex_unlock(&b->mu);
    if (!js)
        return -1;
    char tok[LO_NAME_MAX], subject[SUBJECT_MAX];
    if (site)
        snprintf(subject, sizeof subject, "lookout.plots.%s.*", lo_bus_token(site, tok, sizeof tok));
    else
        snprintf(subject, sizeof subject, "lookout.plots.>");
    /* An ordered consumer: ephemeral, in stream order, gaps repaired by the library. */
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = PLOT_STREAM;
    so.Ordered = true;
    if (since_utc_s > 0) {
        so.Config.DeliverPolicy = js_DeliverByStartTime;
        so.Config.OptStartTime = (int64_t)(since_utc_s * NS_PER_S);
    }
    natsSubscription *sub = NULL;
    jsErrCode ec = 0;
    natsStatus s = js_SubscribeSync(&sub, js, subject, NULL, &so, &ec);
    if (s != NATS_OK) {
        set_error(b, "plot replay", s, ec);
        natsSubscription_Destroy(sub);
        return -1;
    }
    long n = 0;
    double end = now_s() + timeout_s;
    for (;;) {
        natsMsg *msg = NULL;
        s = natsSubscription_NextMsg(&msg, sub, 500);
        if (s != NATS_OK)
            break; /* NATS_TIMEOUT: nothing (more) stored */
        uint64_t pending = 0;
        jsMsgMetaData *meta = NULL;
        if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
            pending = meta->NumPending;
            jsMsgMetaData_Destroy(meta);
        }
        char tokens[SUBJECT_MAX];
        lo_bus_msg m;
        fill_msg(&m, CORE_PLOTS, msg, tokens, sizeof tokens);
        fn(ctx, &m);
        natsMsg_Destroy(msg);
        n++;
        if (pending == 0 || now_s() > end)
            break;
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    return n;
}
