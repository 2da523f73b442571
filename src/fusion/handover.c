/*
 * handover.c: regions and the hand-over table that gives one regional identity to the tracks
 * several fusion nodes hold of one object (fusion.h, docs/multisite.md).
 *
 * Sizes are small (hundreds of regional tracks, a few nodes), so the tables are plain arrays
 * searched linearly; the assignment of new local tracks to regional tracks is one
 * lo_assign_solve per batch.
 */
#include "lookout/fusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/assign.h"
#include "lookout/geo.h"

/* ---- regions -------------------------------------------------------------------------------- */

static bool read_region(lo_yctx *c, const lo_site *site, const lo_ynode *n, const char *path,
                        lo_region *out)
{
    static const char *const keys[] = {"name", "node", "polygon", "circle", NULL};
    char p[160];
    memset(out, 0, sizeof *out);
    if (lo_ynode_kind(c->doc, n) != LO_Y_MAPPING) {
        lo_yerror(c, n, path, "expected a mapping {name, node, polygon | circle}");
        return false;
    }
    bool ok = lo_ycheck_keys(c, n, path, keys);
    ok &= lo_yget_string(c, n, path, "name", true, out->name, sizeof out->name);
    ok &= lo_yget_string(c, n, path, "node", true, out->node, sizeof out->node);
    memcpy(out->area.name, out->name, sizeof out->area.name);
    out->area.alt_min_m = -1e9;
    out->area.alt_max_m = 1e9;
    const lo_ynode *poly = lo_ymap_get(c->doc, n, "polygon");
    const lo_ynode *circ = lo_ymap_get(c->doc, n, "circle");
    if (!!poly == !!circ) {
        lo_yerror(c, n, path, "give exactly one of polygon or circle");
        return false;
    }
    if (poly) {
        lo_ypath_key(p, sizeof p, path, "polygon");
        size_t nv = lo_ynode_kind(c->doc, poly) == LO_Y_SEQUENCE ? lo_yseq_size(c->doc, poly) : 0;
        if (nv < 3 || nv > LO_ZONE_MAX_VERTICES) {
            lo_yerror(c, poly, p, "expected 3 to %d vertices [lat_deg, lon_deg]",
                      LO_ZONE_MAX_VERTICES);
            return false;
        }
        out->area.shape = LO_ZONE_POLYGON;
        out->area.n_vertices = (int)nv;
        for (size_t i = 0; i < nv; i++) {
            const lo_ynode *v = lo_yseq_at(c->doc, poly, i);
            char vp[180];
            lo_ypath_index(vp, sizeof vp, p, i);
            double ll[2];
            bool good = lo_ynode_kind(c->doc, v) == LO_Y_SEQUENCE && lo_yseq_size(c->doc, v) == 2;
            for (size_t k = 0; good && k < 2; k++) {
                const char *s = lo_ynode_scalar(c->doc, lo_yseq_at(c->doc, v, k));
                good = s && lo_yparse_double(s, &ll[k]);
            }
            if (!good || fabs(ll[0]) > 90 || fabs(ll[1]) > 180) {
                lo_yerror(c, v, vp, "expected [lat_deg, lon_deg]");
                ok = false;
                continue;
            }
            out->area.vertex_lat[i] = ll[0] * LO_DEG2RAD;
            out->area.vertex_lon[i] = ll[1] * LO_DEG2RAD;
            lo_geodetic g = {ll[0] * LO_DEG2RAD, ll[1] * LO_DEG2RAD, site->reference.h};
            double enu[3];
            lo_geodetic_to_enu(&site->frame, &g, enu);
            out->area.vertex_enu[i][0] = enu[0];
            out->area.vertex_enu[i][1] = enu[1];
        }
    } else {
        static const char *const ckeys[] = {"lat_deg", "lon_deg", "x_m", "y_m", "radius_m", NULL};
        lo_ypath_key(p, sizeof p, path, "circle");
        if (lo_ynode_kind(c->doc, circ) != LO_Y_MAPPING) {
            lo_yerror(c, circ, p, "expected {lat_deg, lon_deg, radius_m} or {x_m, y_m, radius_m}");
            return false;
        }
        ok &= lo_ycheck_keys(c, circ, p, ckeys);
        out->area.shape = LO_ZONE_CIRCLE;
        ok &= lo_yget_double(c, circ, p, "radius_m", true, 1, 1e7, &out->area.radius_m);
        bool has_ll = lo_ymap_get(c->doc, circ, "lat_deg") || lo_ymap_get(c->doc, circ, "lon_deg");
        if (has_ll) {
            double lat = 0, lon = 0;
            ok &= lo_yget_double(c, circ, p, "lat_deg", true, -90, 90, &lat);
            ok &= lo_yget_double(c, circ, p, "lon_deg", true, -180, 180, &lon);
            lo_geodetic g = {lat * LO_DEG2RAD, lon * LO_DEG2RAD, site->reference.h};
            double enu[3];
            lo_geodetic_to_enu(&site->frame, &g, enu);
            out->area.center_enu[0] = enu[0];
            out->area.center_enu[1] = enu[1];
            out->area.center_lat = g.lat;
            out->area.center_lon = g.lon;
        } else {
            ok &= lo_yget_double(c, circ, p, "x_m", true, -1e7, 1e7, &out->area.center_enu[0]);
            ok &= lo_yget_double(c, circ, p, "y_m", true, -1e7, 1e7, &out->area.center_enu[1]);
        }
    }
    return ok;
}

int lo_regions_read(const lo_site *site, lo_regions *out, lo_diag_sink *sink)
{
    memset(out, 0, sizeof *out);
    if (!site->doc) return 0;
    lo_yctx c = {.doc = site->doc, .sink = sink, .errors = 0};
    const lo_ynode *root = lo_ydoc_root(site->doc);
    const lo_ynode *seq = root ? lo_ymap_get(site->doc, root, "regions") : NULL;
    if (!seq) return 0;
    if (lo_ynode_kind(site->doc, seq) != LO_Y_SEQUENCE) {
        lo_yerror(&c, seq, "regions", "expected a list of regions");
        return -1;
    }
    size_t n = lo_yseq_size(site->doc, seq);
    if (n > LO_MAX_REGIONS) {
        lo_yerror(&c, seq, "regions", "at most %d regions", LO_MAX_REGIONS);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char p[64];
        lo_ypath_index(p, sizeof p, "regions", i);
        const lo_ynode *e = lo_yseq_at(site->doc, seq, i);
        if (read_region(&c, site, e, p, &out->r[out->n])) {
            for (int k = 0; k < out->n; k++)
                if (strcmp(out->r[k].name, out->r[out->n].name) == 0)
                    lo_yerror(&c, e, p, "region '%s' is named twice", out->r[k].name);
            out->n++;
        } else if (!c.errors) {
            c.errors++;
        }
    }
    return c.errors ? -1 : 0;
}

int lo_regions_find_node(const lo_regions *rg, const char *node)
{
    for (int i = 0; rg && node && i < rg->n; i++)
        if (strcmp(rg->r[i].node, node) == 0) return i;
    return -1;
}

bool lo_regions_contains(const lo_regions *rg, int i, const double xy[2])
{
    return rg && i >= 0 && i < rg->n && lo_zone_contains_xy(&rg->r[i].area, xy);
}

/* ---- hand-over ------------------------------------------------------------------------------ */

#define MAX_NODES 64

typedef struct member {
    int node;                  /* index into nodes */
    uint32_t local_id;
    uint32_t regional;         /* index into regional tracks + 1 */
    double last_t;             /* data time of its last report */
    lo_track last;
    bool live;
} member;

typedef struct regional {
    uint32_t id;
    int owner;                 /* member index, -1 when none */
    lo_track last;             /* last report passed on (id = the regional id) */
    bool live;
} regional;

typedef struct alert_map {
    int node;
    uint64_t alert_id, mapped;
} alert_map;

struct lo_handover {
    lo_handover_config cfg;
    lo_regions regions;
    bool has_regions;
    char nodes[MAX_NODES][LO_NAME_MAX];
    int node_region[MAX_NODES];
    double node_last_t[MAX_NODES];
    int n_nodes;
    member *m;
    size_t n_m, cap_m;
    regional *rt;
    size_t n_rt, cap_rt;
    uint32_t next_id;
    alert_map *am;
    size_t n_am, cap_am;
    uint64_t next_alert;
    lo_handover_stats st;
    lo_assign_workspace *ws;
};

void lo_handover_config_defaults(lo_handover_config *c)
{
    c->gate_chi2 = 18.5;
    c->pos_sigma_floor_m = 30.0;
    c->vel_sigma_floor_mps = 3.0;
    c->q_accel = 4.0;
    c->stale_s = 5.0;
    c->confirmed_only = true;
}

lo_handover *lo_handover_new(const lo_handover_config *cfg, const lo_regions *regions)
{
    lo_handover *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    if (cfg) h->cfg = *cfg;
    else lo_handover_config_defaults(&h->cfg);
    if (regions) {
        h->regions = *regions;
        h->has_regions = regions->n > 0;
    }
    h->next_id = 1;
    h->next_alert = 1;
    h->ws = lo_assign_workspace_new();
    if (!h->ws) {
        free(h);
        return NULL;
    }
    return h;
}

void lo_handover_free(lo_handover *h)
{
    if (!h) return;
    lo_assign_workspace_free(h->ws);
    free(h->m);
    free(h->rt);
    free(h->am);
    free(h);
}

static int node_index(lo_handover *h, const char *node)
{
    for (int i = 0; i < h->n_nodes; i++)
        if (strcmp(h->nodes[i], node) == 0) return i;
    if (h->n_nodes == MAX_NODES) return -1;
    int i = h->n_nodes++;
    snprintf(h->nodes[i], sizeof h->nodes[i], "%s", node);
    h->node_region[i] = lo_regions_find_node(&h->regions, node);
    return i;
}

static long find_member(const lo_handover *h, int node, uint32_t local_id)
{
    for (size_t i = 0; i < h->n_m; i++)
        if (h->m[i].live && h->m[i].node == node && h->m[i].local_id == local_id) return (long)i;
    return -1;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    void *q = realloc(p, c * elem);
    if (q) *cap = c;
    return q;
}

static long new_member(lo_handover *h, int node, const lo_track *t)
{
    for (size_t i = 0; i < h->n_m; i++)
        if (!h->m[i].live) {
            h->m[i] = (member){.node = node, .local_id = t->id, .last_t = t->t, .last = *t,
                               .live = true};
            return (long)i;
        }
    member *m = grow(h->m, &h->cap_m, h->n_m + 1, sizeof *m);
    if (!m) return -1;
    h->m = m;
    h->m[h->n_m] = (member){.node = node, .local_id = t->id, .last_t = t->t, .last = *t,
                            .live = true};
    return (long)h->n_m++;
}

static long new_regional(lo_handover *h, long owner)
{
    size_t slot = h->n_rt;
    for (size_t i = 0; i < h->n_rt; i++)
        if (!h->rt[i].live) {
            slot = i;
            break;
        }
    if (slot == h->n_rt) {
        regional *r = grow(h->rt, &h->cap_rt, h->n_rt + 1, sizeof *r);
        if (!r) return -1;
        h->rt = r;
        h->n_rt++;
    }
    h->rt[slot] = (regional){.id = h->next_id++, .owner = (int)owner, .live = true};
    h->rt[slot].last = h->m[owner].last;
    h->rt[slot].last.id = h->rt[slot].id;
    h->st.new_regional++;
    return (long)slot;
}

/* Squared Mahalanobis distance between a report and a state predicted to its time, on the
 * horizontal position and velocity, both covariances summed (pos/vel cross terms ignored: a
 * CAT062 report carries only the diagonal). */
static double t2t_distance(const lo_handover_config *c, const lo_track *a, const lo_track *b)
{
    double dt = a->t - b->t, adt = fabs(dt);
    double d2 = 0;
    for (int part = 0; part < 2; part++) {
        double d[2], S[4];
        const double *ca = part ? a->vel_cov : a->pos_cov, *cb = part ? b->vel_cov : b->pos_cov;
        double floor_v = part ? c->vel_sigma_floor_mps : c->pos_sigma_floor_m;
        double q = part ? c->q_accel * adt : c->q_accel * adt * adt * adt / 3.0;
        for (int k = 0; k < 2; k++)
            d[k] = part ? a->vel[k] - b->vel[k] : a->pos[k] - (b->pos[k] + b->vel[k] * dt);
        S[0] = ca[0] + cb[0] + 2 * floor_v * floor_v + q;
        S[1] = ca[1] + cb[1];
        S[2] = ca[3] + cb[3];
        S[3] = ca[4] + cb[4] + 2 * floor_v * floor_v + q;
        double det = S[0] * S[3] - S[1] * S[2];
        if (!(det > 0)) return INFINITY;
        d2 += (S[3] * d[0] * d[0] - (S[1] + S[2]) * d[0] * d[1] + S[0] * d[1] * d[1]) / det;
    }
    return d2;
}

static bool member_stale(const lo_handover *h, const member *m, double t)
{
    return !m->live || t - m->last_t > h->cfg.stale_s;
}

/* Is node `node` still responsible for a track at this position? Without regions, yes. */
static bool node_covers(const lo_handover *h, int node, const double pos[3])
{
    if (!h->has_regions || h->node_region[node] < 0) return true;
    return lo_regions_contains(&h->regions, h->node_region[node], pos);
}

static void emit(lo_handover *h, regional *r, const lo_track *report, lo_handover_fn fn,
                 void *ctx, size_t *out)
{
    r->last = *report;
    r->last.id = r->id;
    h->st.reports_out++;
    (*out)++;
    if (fn) fn(ctx, &r->last);
}

/* Member mi leaves its regional track: pass the track to the freshest other member, or end it. */
static void drop_member(lo_handover *h, long mi, double t, lo_handover_fn fn, void *ctx,
                        size_t *out)
{
    member *m = &h->m[mi];
    m->live = false;
    if (!m->regional) return;
    regional *r = &h->rt[m->regional - 1];
    m->regional = 0;
    if (!r->live || r->owner != mi) return;
    long best = -1;
    for (size_t i = 0; i < h->n_m; i++)
        if (h->m[i].live && h->m[i].regional == (uint32_t)(r - h->rt) + 1 &&
            (best < 0 || h->m[i].last_t > h->m[best].last_t))
            best = (long)i;
    if (best >= 0 && !member_stale(h, &h->m[best], t)) {
        r->owner = (int)best;
        h->st.handovers++;
        return;
    }
    r->live = false;
    r->owner = -1;
    lo_track fin = r->last;
    fin.status = LO_TRACK_DELETED;
    fin.t = fmax(fin.t, t);
    emit(h, r, &fin, fn, ctx, out);
}

size_t lo_handover_update(lo_handover *h, const char *node, const lo_track *reports, size_t n,
                          lo_handover_fn fn, void *ctx)
{
    size_t out = 0;
    int ni = node_index(h, node ? node : "");
    if (ni < 0) return 0;
    h->st.reports_in += n;

    /* 1. Reports of local tracks not yet in the table: associate them all at once. */
    long *fresh = calloc(n ? n : 1, sizeof *fresh);
    size_t n_fresh = 0;
    if (!fresh) return 0;
    for (size_t i = 0; i < n; i++) {
        const lo_track *t = &reports[i];
        if (t->t > h->node_last_t[ni]) h->node_last_t[ni] = t->t;
        if (t->status == LO_TRACK_DELETED) continue;
        if (h->cfg.confirmed_only && t->status == LO_TRACK_TENTATIVE) continue;
        long mi = find_member(h, ni, t->id);
        /* A node that restarted numbers its tracks from 1 again: a known id whose report is
         * far from where that member was is a new track. */
        if (mi >= 0 && t2t_distance(&h->cfg, t, &h->m[mi].last) > 100 * h->cfg.gate_chi2) {
            drop_member(h, mi, t->t, fn, ctx, &out);
            mi = -1;
        }
        if (mi < 0) {
            bool dup = false;
            for (size_t k = 0; k < n_fresh; k++) dup |= reports[fresh[k]].id == t->id;
            if (!dup) fresh[n_fresh++] = (long)i;
        }
    }
    if (n_fresh) {
        /* Candidates: live regional tracks this node holds no part of, heard of recently. */
        long *cand = calloc(h->n_rt ? h->n_rt : 1, sizeof *cand);
        size_t n_cand = 0;
        for (size_t r = 0; cand && r < h->n_rt; r++) {
            if (!h->rt[r].live) continue;
            bool mine = false;
            for (size_t k = 0; k < h->n_m && !mine; k++)
                mine = h->m[k].live && h->m[k].node == ni && h->m[k].regional == r + 1;
            if (!mine && reports[fresh[0]].t - h->rt[r].last.t <= h->cfg.stale_s)
                cand[n_cand++] = (long)r;
        }
        int *row_to_col = calloc(n_fresh, sizeof *row_to_col);
        double *cost = n_cand ? calloc(n_fresh * n_cand, sizeof *cost) : NULL;
        bool solved = false;
        if (row_to_col && cost) {
            for (size_t i = 0; i < n_fresh; i++)
                for (size_t j = 0; j < n_cand; j++) {
                    double d2 = t2t_distance(&h->cfg, &reports[fresh[i]], &h->rt[cand[j]].last);
                    cost[i * n_cand + j] = d2 <= h->cfg.gate_chi2 ? d2 : LO_ASSIGN_FORBIDDEN;
                }
            solved = !isnan(lo_assign_solve(h->ws, cost, (int)n_fresh, (int)n_cand, row_to_col,
                                            NULL));
        }
        for (size_t i = 0; i < n_fresh; i++) {
            const lo_track *t = &reports[fresh[i]];
            long mi = new_member(h, ni, t);
            if (mi < 0) continue;
            int j = solved ? row_to_col[i] : -1;
            if (j >= 0) {
                h->m[mi].regional = (uint32_t)cand[j] + 1;
                h->st.associations++;
            } else {
                long r = new_regional(h, mi);
                if (r >= 0) h->m[mi].regional = (uint32_t)r + 1;
            }
        }
        free(cost);
        free(row_to_col);
        free(cand);
    }
    free(fresh);

    /* 2. Map every report; only the owner's go on. */
    for (size_t i = 0; i < n; i++) {
        const lo_track *t = &reports[i];
        long mi = find_member(h, ni, t->id);
        if (mi < 0) {
            h->st.reports_ignored++;
            continue;
        }
        if (t->status == LO_TRACK_DELETED) {
            drop_member(h, mi, t->t, fn, ctx, &out);
            continue;
        }
        member *m = &h->m[mi];
        m->last = *t;
        m->last_t = t->t;
        if (m->regional && !h->rt[m->regional - 1].live) m->regional = 0;
        if (!m->regional) {
            /* Its regional track ended while this member was stale: start a new one. */
            long nr = new_regional(h, mi);
            if (nr < 0) continue;
            m = &h->m[mi];
            m->regional = (uint32_t)nr + 1;
        }
        regional *r = &h->rt[m->regional - 1];
        bool take = false;
        if (r->owner == mi) {
            /* The owner yields when its track has left its region and another member's node
             * covers the position: the other's next report goes on instead of this one. */
            take = true;
            if (!node_covers(h, ni, t->pos)) {
                long rid = (long)(r - h->rt) + 1;
                for (size_t k = 0; k < h->n_m && take; k++) {
                    const member *o = &h->m[k];
                    if ((long)k == mi || !o->live || o->regional != (uint32_t)rid ||
                        member_stale(h, o, t->t) || !node_covers(h, o->node, t->pos))
                        continue;
                    r->owner = (int)k;
                    h->st.handovers++;
                    take = false;
                    /* Its latest report was absorbed a moment ago: show it now. */
                    if (o->last.t > r->last.t) emit(h, r, &o->last, fn, ctx, &out);
                }
            }
        } else if (r->owner < 0 || member_stale(h, &h->m[r->owner], t->t)) {
            take = true;
        } else {
            /* Hand over when the owner's track has left the owner's region and this node's
             * region holds it. */
            const member *o = &h->m[r->owner];
            take = !node_covers(h, o->node, o->last.pos) && node_covers(h, ni, t->pos);
        }
        if (take && r->owner != mi) {
            if (r->owner >= 0) h->st.handovers++;
            r->owner = (int)mi;
        }
        /* Never back in time: a new owner's report older than the last one shown waits. */
        if (take && t->t >= r->last.t) emit(h, r, t, fn, ctx, &out);
        else h->st.reports_absorbed++;
    }
    return out;
}

size_t lo_handover_expire(lo_handover *h, double t, lo_handover_fn fn, void *ctx)
{
    size_t out = 0;
    for (size_t i = 0; i < h->n_m; i++)
        if (h->m[i].live && t - h->m[i].last_t > h->cfg.stale_s)
            drop_member(h, (long)i, t, fn, ctx, &out);
    return out;
}

uint32_t lo_handover_lookup(const lo_handover *h, const char *node, uint32_t local_id)
{
    for (int ni = 0; ni < h->n_nodes; ni++)
        if (strcmp(h->nodes[ni], node) == 0) {
            long mi = find_member(h, ni, local_id);
            return mi >= 0 && h->m[mi].regional ? h->rt[h->m[mi].regional - 1].id : 0;
        }
    return 0;
}

void lo_handover_map_alert(lo_handover *h, const char *node, lo_alert *a)
{
    int ni = node_index(h, node ? node : "");
    uint32_t rid = lo_handover_lookup(h, node ? node : "", a->track_id);
    if (rid) {
        a->track_id = rid;
        a->snapshot.id = rid;
    }
    for (size_t i = 0; i < h->n_am; i++)
        if (h->am[i].node == ni && h->am[i].alert_id == a->alert_id) {
            a->alert_id = h->am[i].mapped;
            return;
        }
    alert_map *m = grow(h->am, &h->cap_am, h->n_am + 1, sizeof *m);
    if (!m) return;
    h->am = m;
    h->am[h->n_am++] = (alert_map){.node = ni, .alert_id = a->alert_id, .mapped = h->next_alert};
    a->alert_id = h->next_alert++;
}

void lo_handover_get_stats(const lo_handover *h, lo_handover_stats *out)
{
    *out = h->st;
    out->regional_tracks = 0;
    out->members = 0;
    for (size_t i = 0; i < h->n_rt; i++) out->regional_tracks += h->rt[i].live;
    for (size_t i = 0; i < h->n_m; i++) out->members += h->m[i].live;
}
