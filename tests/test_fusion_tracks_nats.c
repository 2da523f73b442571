/*
 * test_fusion_tracks_nats.c: the system tracks a node publishes on lookout.tracks.<node>
 * (ASTERIX CAT062, docs/nats.md) are its picture, and a display subscribed to them shows the
 * regional picture. Real nats-server on 127.0.0.1, the two-sites arrangement of
 * multisite_testlib.h (two edges, a fusion node, a display) at 10x real time.
 *
 * An independent subscriber (its own bus) decodes every CAT062 message of the fusion node and
 * of the west edge with the asterix module's decoder and checks it against the track reports
 * the node's own pipeline handed to its local sink (its picture): every confirmed or coasting
 * report, and the deletion of every published track, is on the wire exactly once, with the
 * same track number, status, time (1/128 s), position, height, velocity and class
 * probabilities within CAT062's resolution; nothing else is. At the end the display's picture
 * holds one track per live track of the fusion node, where the fusion node puts it.
 *
 * Skips (77) without nats-server. About 15 s.
 */
#include "testutil.h"

#include "lookout/asterix.h"
#include "multisite_testlib.h"

#define SPEED 10.0

typedef struct report {
    uint32_t id;
    lo_track_status status;
    double t, pos[3], vel[3], class_prob[LO_CLASS_COUNT];
    bool matched;
} report;

typedef struct report_list {
    report *r;
    size_t n, cap;
} report_list;

/* One node's tracks: as its pipeline reported them (owner thread) and as decoded from NATS
 * (libnats thread, under mu). */
typedef struct recorder {
    const char *node;
    const lo_site *site;
    double near_t;
    pthread_mutex_t mu;
    report_list local, wire;
    long messages, malformed;
    /* Ids with a confirmed or coasting report so far: their deletion is published. */
    uint32_t *published;
    size_t n_published, cap_published;
} recorder;

static void list_add(report_list *l, const lo_track *trk)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->r = realloc(l->r, l->cap * sizeof *l->r);
        assert_non_null(l->r);
    }
    report *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    r->id = trk->id;
    r->status = trk->status;
    r->t = trk->t;
    memcpy(r->pos, trk->pos, sizeof r->pos);
    memcpy(r->vel, trk->vel, sizeof r->vel);
    memcpy(r->class_prob, trk->class_prob, sizeof r->class_prob);
}

static bool was_published(const recorder *rec, uint32_t id)
{
    for (size_t i = 0; i < rec->n_published; i++)
        if (rec->published[i] == id) return true;
    return false;
}

/* The node's local sink: what the bus must carry (docs/multisite.md: confirmed and coasting
 * tracks, and the deletion of any track published before; tentative ones are not). */
static void on_local_track(void *ctx, const lo_track *trk)
{
    recorder *rec = ctx;
    bool wanted = trk->status == LO_TRACK_CONFIRMED || trk->status == LO_TRACK_COASTING;
    bool known = was_published(rec, trk->id);
    if (trk->status == LO_TRACK_DELETED ? !known : !wanted) return;
    list_add(&rec->local, trk);
    if (!known) {
        if (rec->n_published == rec->cap_published) {
            rec->cap_published = rec->cap_published ? 2 * rec->cap_published : 256;
            rec->published = realloc(rec->published, rec->cap_published * sizeof(uint32_t));
            assert_non_null(rec->published);
        }
        rec->published[rec->n_published++] = trk->id;
    }
}

static void on_wire_record(void *ctx, const lo_asterix_record *r)
{
    recorder *rec = ctx;
    if (r->cat != 62 || !r->c062) return;
    double t = lo_tod_nearest(r->c062->tod * LO_ASTERIX_TOD_LSB, rec->near_t);
    lo_track trk;
    lo_cat062_to_track(r->c062, &rec->site->frame, t, &trk);
    list_add(&rec->wire, &trk);
}

/* lo_bus_msg_fn on a libnats thread. */
static void on_wire_tracks(void *ctx, const lo_bus_msg *m)
{
    recorder *rec = ctx;
    lo_asterix_stats *st = calloc(1, sizeof *st);
    assert_non_null(st);
    pthread_mutex_lock(&rec->mu);
    rec->messages++;
    if (!m->node || strcmp(m->node, rec->node) != 0) rec->malformed++; /* (no assert here) */
    lo_asterix_decode(m->data, m->len, m->subject, 0, on_wire_record, rec, st, NULL);
    rec->malformed += st->malformed + st->skipped_blocks;
    pthread_mutex_unlock(&rec->mu);
    free(st);
}

static size_t wire_count(recorder *rec)
{
    pthread_mutex_lock(&rec->mu);
    size_t n = rec->wire.n;
    pthread_mutex_unlock(&rec->mu);
    return n;
}

/* Every local report is on the wire once, equal within CAT062's resolution, and nothing
 * else is. Called once the subscriber has everything. */
static void check_wire_equals_local(recorder *rec)
{
    pthread_mutex_lock(&rec->mu);
    print_message("%s: %zu track reports published (%zu tracks), %zu CAT062 records decoded from "
                  "%ld messages\n", rec->node, rec->local.n, rec->n_published, rec->wire.n,
                  rec->messages);
    assert_true(rec->local.n > 100);
    assert_int_equal(rec->malformed, 0);
    double worst_pos = 0, worst_vel = 0, worst_h = 0, worst_t = 0, worst_p = 0;
    for (size_t i = 0; i < rec->local.n; i++) {
        const report *a = &rec->local.r[i];
        report *b = NULL;
        for (size_t k = 0; k < rec->wire.n && !b; k++) {
            report *c = &rec->wire.r[k];
            if (!c->matched && c->id == (a->id & 0xffff) && c->status == a->status &&
                fabs(c->t - a->t) <= LO_ASTERIX_TOD_LSB + 1e-6)
                b = c;
        }
        if (!b)
            print_error("%s: track %u (%s) at %.3f is not on the wire\n", rec->node, a->id,
                        lo_track_status_name(a->status), a->t);
        assert_non_null(b);
        b->matched = true;
        double dpos = hypot(a->pos[0] - b->pos[0], a->pos[1] - b->pos[1]);
        double dvel = hypot(a->vel[0] - b->vel[0], a->vel[1] - b->vel[1]);
        double dh = fabs(a->pos[2] - b->pos[2]);
        if (dpos > worst_pos) worst_pos = dpos;
        if (dvel > worst_vel) worst_vel = dvel;
        if (dh > worst_h) worst_h = dh;
        if (fabs(a->t - b->t) > worst_t) worst_t = fabs(a->t - b->t);
        for (int c = 0; c < LO_CLASS_COUNT; c++)
            if (fabs(a->class_prob[c] - b->class_prob[c]) > worst_p)
                worst_p = fabs(a->class_prob[c] - b->class_prob[c]);
    }
    print_message("%s: worst differences: position %.2f m, height %.2f m, velocity %.3f m/s, "
                  "time %.4f s, class probability %.4f\n", rec->node, worst_pos, worst_h,
                  worst_vel, worst_t, worst_p);
    /* I062/105: 180/2^25 degrees (~0.6 m); 130: 6.25 ft; 185: 0.25 m/s; SP: 1/255. */
    assert_true(worst_pos < 1.5);
    assert_true(worst_h < 2.5);
    assert_true(worst_vel < 0.2);
    assert_true(worst_p <= 0.5 / 255 + 1e-9);
    /* Nothing on the wire that the picture did not hold. */
    assert_int_equal(rec->wire.n, rec->local.n);
    pthread_mutex_unlock(&rec->mu);
}

static void recorder_free(recorder *rec)
{
    free(rec->local.r);
    free(rec->wire.r);
    free(rec->published);
    pthread_mutex_destroy(&rec->mu);
}

/* The fusion node's live tracks (its latest report per id, not deleted). */
static size_t fusion_live(const recorder *rec, report *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->local.n; i++) {
        const report *r = &rec->local.r[i];
        size_t k = 0;
        while (k < n && out[k].id != r->id) k++;
        if (k == n) {
            if (n == max) continue;
            n++;
        }
        out[k] = *r;
    }
    size_t live = 0;
    for (size_t k = 0; k < n; k++)
        if (out[k].status != LO_TRACK_DELETED) out[live++] = out[k];
    return live;
}

static void test_published_tracks_are_the_picture(void **state)
{
    (void)state;
    char dir[64], sub[80], err[256];
    assert_non_null(test_tmpdir(dir, sizeof dir));
    snprintf(sub, sizeof sub, "%s/nats", dir);
    lo_nats_cluster *nats = lo_nats_cluster_start(1, sub, err, sizeof err);
    if (!nats) print_error("%s\n", err);
    assert_non_null(nats);

    ms_world *w = calloc(1, sizeof *w);
    recorder *fusion = calloc(1, sizeof *fusion), *west = calloc(1, sizeof *west);
    assert_non_null(w);
    assert_non_null(fusion);
    assert_non_null(west);
    pthread_mutex_init(&fusion->mu, NULL);
    pthread_mutex_init(&west->mu, NULL);
    w->j_fusion.on_track = on_local_track;
    w->j_fusion.track_ctx = fusion;
    w->j_west.on_track = on_local_track;
    w->j_west.track_ctx = west;
    assert_true(ms_world_open(w, nats));
    fusion->node = "fusion-west";
    fusion->site = &w->region;
    fusion->near_t = w->sim_start;
    west->node = "edge-west";
    west->site = &w->west;
    west->near_t = w->sim_start;

    /* The independent subscriber: a bus of its own, the asterix decoder. */
    lo_bus *tap = ms_bus(w, "tap", "tap", LO_BUS_ROLE_DISPLAY);
    assert_non_null(tap);
    assert_int_equal(lo_bus_subscribe_tracks(tap, "fusion-west", on_wire_tracks, fusion), 0);
    assert_int_equal(lo_bus_subscribe_tracks(tap, "edge-west", on_wire_tracks, west), 0);
    assert_true(lo_bus_wait_ready(tap, 30));

    assert_true(ms_run(w, SPEED, NULL, NULL));
    /* The edges have finished; the fusion node takes the last plots (its lag) and reports. */
    for (int i = 0; i < 10; i++) {
        nap(0.05);
        lo_role_poll(w->fusion);
    }
    assert_true(lo_bus_flush(w->bus_west, 20));
    assert_true(lo_bus_flush(w->bus_fusion, 20));
    lo_bus_stats bs;
    lo_bus_get_stats(w->bus_fusion, &bs);
    assert_int_equal(bs.tracks_dropped, 0);
    lo_role_stats rs;
    lo_role_get_stats(w->fusion, &rs);
    assert_int_equal(rs.tracks_published, fusion->local.n);
    lo_role_get_stats(w->edge_west, &rs);
    assert_int_equal(rs.tracks_published, west->local.n);
    /* Wait (bounded) for the subscriber to have decoded everything that was published. */
    double deadline = mono() + 20;
    while ((wire_count(fusion) < fusion->local.n || wire_count(west) < west->local.n) &&
           mono() < deadline)
        nap(0.05);
    check_wire_equals_local(fusion);
    check_wire_equals_local(west);

    /* The display's picture (CAT062 of both edges and the fusion node through the hand-over
     * table) holds one track per live track of the fusion node, each where the fusion node's
     * latest report, carried at its velocity to the display track's time, puts it (a regional
     * track shows the report of its owner: an edge's newer one where the edge still holds
     * it). Wait (bounded) until it has caught up. */
    report live[256];
    size_t n_live = fusion_live(fusion, live, 256);
    assert_true(n_live >= 3);
    size_t n_shown = 0, n_near = 0;
    double worst = 0;
    deadline = mono() + 20;
    do {
        json_t *j = lo_picture_json(w->pic, LO_PIC_TRACKS);
        json_t *tracks = json_object_get(j, "tracks");
        n_shown = json_array_size(tracks);
        n_near = 0;
        worst = 0;
        for (size_t k = 0; k < n_live; k++) {
            double best = INFINITY;
            size_t i;
            json_t *t;
            json_array_foreach(tracks, i, t) {
                json_t *enu = json_object_get(t, "enu_m");
                double dt = json_real_value(json_object_get(t, "t_s")) - live[k].t;
                double d = hypot(json_real_value(json_array_get(enu, 0)) -
                                     (live[k].pos[0] + live[k].vel[0] * dt),
                                 json_real_value(json_array_get(enu, 1)) -
                                     (live[k].pos[1] + live[k].vel[1] * dt));
                if (fabs(dt) < 5 && d < best) best = d;
            }
            if (best < 30) n_near++;
            if (best > worst) worst = best;
        }
        json_decref(j);
        if (n_shown == n_live && n_near == n_live) break;
        nap(0.1);
    } while (mono() < deadline);
    print_message("display shows %zu tracks; the fusion node has %zu live, %zu of them shown "
                  "(worst %.1f m from the fusion report carried to the display's time)\n",
                  n_shown, n_live, n_near, worst);
    assert_int_equal(n_shown, n_live);
    assert_int_equal(n_near, n_live);

    lo_bus_close(tap);
    ms_world_close(w);
    recorder_free(fusion);
    recorder_free(west);
    free(fusion);
    free(west);
    free(w);
    lo_nats_cluster_free(nats);
    snprintf(sub, sizeof sub, "rm -rf %s", dir);
    assert_int_equal(system(sub), 0);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        fprintf(stderr, "test_fusion_tracks_nats: nats-server not installed; skipping\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_published_tracks_are_the_picture)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
