/*
 * The alert engine: rule table, hysteresis and lifecycle (see lookout/threat.h and
 * docs/threat.md for the rules).
 *
 * Lifecycle of one (track, zone) alert:
 *   - RAISED the first scan its rule level is not "none";
 *   - UPDATED when the level goes up (at once), goes down (only after the lower level has held
 *     for hold_s with the margins applied, see below), or every update_period_s so that the
 *     time to entry/impact counts down in the journal;
 *   - CLEARED when no rule has matched for hold_s (with margins), when the track is deleted,
 *     or when the track has not been reported for stale_s.
 * Margins: while an alert is active the footprint test extends margin_m past the edge and the
 * rules' time limits stretch by margin_time_frac, so that a drone hovering on the boundary or
 * an entry time hovering around a threshold keeps one steady alert instead of flapping.
 *
 * Published state only changes after the callback accepted the transition: if the sink (the
 * journal) fails, nothing is marked as published and the transition is tried again next scan.
 */
#include "lookout/threat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/geo.h"
#include "lookout/linalg.h"

/* ---- configuration ------------------------------------------------------------------------ */

void lo_threat_config_default(lo_threat_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->horizon_s = 600;
    cfg->vertical_horizon_s = 30;
    cfg->terrain_up_m = 0;
    cfg->drag_k_per_m = 0;
    cfg->ballistic_model_index = -1;
    cfg->ballistic_model_prob = 0.6;
    cfg->ballistic_min_speed_mps = 80;
    cfg->ballistic_min_descent_acc = 0.5 * LO_G0;
    cfg->impact_min_probability = 0.1;
    cfg->max_speed_mps[LO_GROUP_UNKNOWN] = 60;
    cfg->max_speed_mps[LO_GROUP_DRONE] = 50;
    cfg->max_speed_mps[LO_GROUP_BIRD] = 20;
    cfg->max_speed_mps[LO_GROUP_AIRCRAFT] = 250;
    cfg->max_speed_mps[LO_GROUP_ROCKET] = 700;
    cfg->max_speed_mps[LO_GROUP_VEHICLE] = 35;
    cfg->max_speed_mps[LO_GROUP_CLUTTER] = 0;
    cfg->approach_min_m = 100;
    cfg->approach_angle_rad = 5 * LO_DEG2RAD;
    cfg->approach_sigmas = 2;
    cfg->min_class_probability = 0.5;
    cfg->hold_s = 10;
    cfg->margin_m = 50;
    cfg->margin_time_frac = 0.2;
    cfg->update_period_s = 10;
    cfg->ballistic_update_period_s = 1;
    cfg->stale_s = 30;
    cfg->alarm_class_hold_s = 5;
    cfg->ballistic_fit = true;
    cfg->ballistic_fit_min_plots = 5;
    cfg->scale_height_m = 8500;
    cfg->drag_prior_k_per_m = 5e-5;
    cfg->drag_prior_sigma_per_m = 5e-5;
    cfg->impact_alarm_max_sigma_m = 250;
    cfg->impact_alarm_deadline_s = 18;
    cfg->impact_alarm_min_plots = 6;
    cfg->impact_alarm_last_s = 12;

    static const lo_alert_rule defaults[] = {
        /* Drones: heading into a priority 1-2 zone within 10 minutes, or inside: alarm when
         * the classifier is sure (0.85: at 0.7 a gliding raptor alarmed on some green-zone
         * seeds, docs/classification.md), warning while it is only more sure than not. */
        {LO_GROUP_DRONE, 2, LO_ALERT_ALARM, 600, false, 0.85},
        {LO_GROUP_DRONE, 2, LO_ALERT_WARNING, 600, false, 0},
        /* ... into a lower-priority zone (a district): warning. */
        {LO_GROUP_DRONE, 9, LO_ALERT_WARNING, 600, false, 0},
        /* ... could reach a priority 1-2 zone within 2 minutes at top speed: info. */
        {LO_GROUP_DRONE, 2, LO_ALERT_INFO, 120, true, 0},
        /* Ballistic: impact predicted in any zone within 2 minutes: alarm once the impact
         * point is known well enough (impact_alarm_max_sigma_m) or time is short
         * (impact_alarm_deadline_s); a warning meanwhile. */
        {LO_GROUP_ROCKET, 9, LO_ALERT_ALARM, 120, false, 0},
        {LO_GROUP_ROCKET, 9, LO_ALERT_WARNING, 120, false, 0},
        /* Not yet classified: warning for an entry into a priority 1-2 zone within 2 minutes,
         * info for any zone within 5 minutes. Never an alarm: that needs a class. */
        {LO_GROUP_UNKNOWN, 2, LO_ALERT_WARNING, 120, false, 0},
        {LO_GROUP_UNKNOWN, 9, LO_ALERT_INFO, 300, false, 0},
    };
    cfg->n_rules = (int)(sizeof defaults / sizeof defaults[0]);
    memcpy(cfg->rules, defaults, sizeof defaults);
}

static const char *const level_names[] = {"info", "warning", "alarm", NULL};
static const char *const group_names[] = {"unknown", "drone",   "bird",    "aircraft",
                                          "rocket",  "vehicle", "clutter", NULL};

int lo_threat_config_from_yaml(const struct lo_ydoc *doc, lo_threat_config *cfg,
                               lo_diag_sink *sink)
{
    if (!doc) return 0;
    const lo_ynode *root = lo_ydoc_root(doc);
    if (!root || lo_ynode_kind(doc, root) != LO_Y_MAPPING) return 0;
    const lo_ynode *sec = lo_ymap_get(doc, root, "alerts");
    if (!sec) return 0;
    lo_yctx c = {.doc = doc, .sink = sink};
    if (lo_ynode_kind(doc, sec) != LO_Y_MAPPING) {
        lo_yerror(&c, sec, "alerts", "expected a mapping of settings");
        return -1;
    }
    static const char *const keys[] = {
        "horizon_s", "vertical_horizon_s", "terrain_up_m", "drag_k_per_m", "ballistic_model_index",
        "ballistic_model_probability", "ballistic_min_speed_mps", "ballistic_min_descent_acc_mps2",
        "impact_min_probability", "min_class_probability", "hold_s", "margin_m",
        "margin_time_fraction", "update_period_s", "ballistic_update_period_s", "stale_s", "max_speed_mps", "rules",
        "approach_min_m", "approach_angle_deg", "approach_sigmas", "alarm_class_hold_s",
        "ballistic_fit", "ballistic_fit_min_plots", "scale_height_m", "drag_prior_k_per_m",
        "drag_prior_sigma_per_m", "impact_alarm_max_sigma_m", "impact_alarm_deadline_s",
        "impact_alarm_min_plots", "impact_alarm_last_s", NULL};
    lo_ycheck_keys(&c, sec, "alerts", keys);
    const char *P = "alerts";
    lo_yget_double(&c, sec, P, "horizon_s", false, 1, 3600, &cfg->horizon_s);
    lo_yget_double(&c, sec, P, "vertical_horizon_s", false, 0, 3600, &cfg->vertical_horizon_s);
    lo_yget_double(&c, sec, P, "terrain_up_m", false, -1e4, 1e4, &cfg->terrain_up_m);
    lo_yget_double(&c, sec, P, "drag_k_per_m", false, 0, 1, &cfg->drag_k_per_m);
    long mi = cfg->ballistic_model_index;
    if (lo_yget_int(&c, sec, P, "ballistic_model_index", false, -1, LO_MAX_MODELS - 1, &mi))
        cfg->ballistic_model_index = (int)mi;
    lo_yget_double(&c, sec, P, "ballistic_model_probability", false, 0, 1,
                   &cfg->ballistic_model_prob);
    lo_yget_double(&c, sec, P, "ballistic_min_speed_mps", false, 0, 5000,
                   &cfg->ballistic_min_speed_mps);
    lo_yget_double(&c, sec, P, "ballistic_min_descent_acc_mps2", false, 0, 100,
                   &cfg->ballistic_min_descent_acc);
    lo_yget_double(&c, sec, P, "impact_min_probability", false, 0, 1,
                   &cfg->impact_min_probability);
    lo_yget_double(&c, sec, P, "min_class_probability", false, 0, 1, &cfg->min_class_probability);
    lo_yget_double(&c, sec, P, "hold_s", false, 0, 3600, &cfg->hold_s);
    lo_yget_double(&c, sec, P, "margin_m", false, 0, 1e5, &cfg->margin_m);
    lo_yget_double(&c, sec, P, "margin_time_fraction", false, 0, 10, &cfg->margin_time_frac);
    lo_yget_double(&c, sec, P, "update_period_s", false, 0, 3600, &cfg->update_period_s);
    lo_yget_double(&c, sec, P, "ballistic_update_period_s", false, 0, 3600,
                   &cfg->ballistic_update_period_s);
    lo_yget_double(&c, sec, P, "stale_s", false, 0, 3600, &cfg->stale_s);
    lo_yget_double(&c, sec, P, "approach_min_m", false, 0, 1e5, &cfg->approach_min_m);
    lo_yget_double(&c, sec, P, "approach_sigmas", false, 0, 10, &cfg->approach_sigmas);
    lo_yget_double(&c, sec, P, "alarm_class_hold_s", false, 0, 600, &cfg->alarm_class_hold_s);
    lo_yget_bool(&c, sec, P, "ballistic_fit", false, &cfg->ballistic_fit);
    long min_plots = cfg->ballistic_fit_min_plots;
    if (lo_yget_int(&c, sec, P, "ballistic_fit_min_plots", false, 3, LO_BALLISTIC_FIT_MAX, &min_plots))
        cfg->ballistic_fit_min_plots = (int)min_plots;
    lo_yget_double(&c, sec, P, "scale_height_m", false, 0, 1e5, &cfg->scale_height_m);
    lo_yget_double(&c, sec, P, "drag_prior_k_per_m", false, 0, 1, &cfg->drag_prior_k_per_m);
    lo_yget_double(&c, sec, P, "drag_prior_sigma_per_m", false, 0, 1, &cfg->drag_prior_sigma_per_m);
    lo_yget_double(&c, sec, P, "impact_alarm_max_sigma_m", false, 0, 1e5,
                   &cfg->impact_alarm_max_sigma_m);
    lo_yget_double(&c, sec, P, "impact_alarm_deadline_s", false, 0, 600,
                   &cfg->impact_alarm_deadline_s);
    long alarm_plots = cfg->impact_alarm_min_plots;
    if (lo_yget_int(&c, sec, P, "impact_alarm_min_plots", false, 0, LO_BALLISTIC_FIT_MAX, &alarm_plots))
        cfg->impact_alarm_min_plots = (int)alarm_plots;
    lo_yget_double(&c, sec, P, "impact_alarm_last_s", false, 0, 600, &cfg->impact_alarm_last_s);
    double angle_deg = cfg->approach_angle_rad * LO_RAD2DEG;
    if (lo_yget_double(&c, sec, P, "approach_angle_deg", false, 0, 45, &angle_deg))
        cfg->approach_angle_rad = angle_deg * LO_DEG2RAD;

    const lo_ynode *speeds = lo_ymap_get(doc, sec, "max_speed_mps");
    if (speeds) {
        if (lo_ynode_kind(doc, speeds) != LO_Y_MAPPING) {
            lo_yerror(&c, speeds, "alerts.max_speed_mps", "expected a mapping group: speed");
        } else {
            lo_ycheck_keys(&c, speeds, "alerts.max_speed_mps", group_names);
            for (int g = 0; g < LO_GROUP_COUNT; g++)
                lo_yget_double(&c, speeds, "alerts.max_speed_mps", group_names[g], false, 0, 5000,
                               &cfg->max_speed_mps[g]);
        }
    }

    const lo_ynode *rules = lo_ymap_get(doc, sec, "rules");
    if (rules) {
        if (lo_ynode_kind(doc, rules) != LO_Y_SEQUENCE) {
            lo_yerror(&c, rules, "alerts.rules", "expected a list of rules");
        } else if (lo_yseq_size(doc, rules) > LO_ALERT_MAX_RULES) {
            lo_yerror(&c, rules, "alerts.rules", "at most %d rules", LO_ALERT_MAX_RULES);
        } else {
            /* A rules list replaces the default table entirely: no hidden rows. */
            static const char *const rule_keys[] = {"group", "max_priority", "level",
                                                    "max_time_s", "use_reach",
                                                    "min_probability", NULL};
            int n = 0;
            for (size_t i = 0; i < lo_yseq_size(doc, rules); i++) {
                char path[64];
                lo_ypath_index(path, sizeof path, "alerts.rules", i);
                const lo_ynode *r = lo_yseq_at(doc, rules, i);
                if (lo_ynode_kind(doc, r) != LO_Y_MAPPING) {
                    lo_yerror(&c, r, path, "expected a mapping (group, max_priority, level, "
                                           "max_time_s, use_reach)");
                    continue;
                }
                int before = c.errors;
                lo_ycheck_keys(&c, r, path, rule_keys);
                int group = 0, level = 0;
                long prio = 9;
                double tmax = 0;
                bool reach = false;
                lo_yget_enum(&c, r, path, "group", true, group_names, &group);
                lo_yget_enum(&c, r, path, "level", true, level_names, &level);
                lo_yget_int(&c, r, path, "max_priority", false, 1, 1000, &prio);
                lo_yget_double(&c, r, path, "max_time_s", true, 0, 3600, &tmax);
                lo_yget_bool(&c, r, path, "use_reach", false, &reach);
                double pmin = 0;
                lo_yget_double(&c, r, path, "min_probability", false, 0, 1, &pmin);
                if (c.errors != before) continue;
                cfg->rules[n++] = (lo_alert_rule){(lo_class_group)group, (int)prio,
                                                  (lo_alert_level)level, tmax, reach, pmin};
            }
            if (c.errors == 0) cfg->n_rules = n;
        }
    }
    return c.errors ? -1 : 0;
}

/* Is the impact prediction good enough, or time short enough, for a rocket alarm? The trade
 * between an early alarm and an accurate one (docs/threat.md, "The alarm rule"): */
static bool ballistic_alarm_ready(const lo_threat_config *cfg, const lo_zone_threat *zt)
{
    if (cfg->impact_alarm_max_sigma_m <= 0) return true; /* no gate configured */
    double tti = zt->time_to_impact_s;
    /* A fitted ellipse (or, with no plots fed, the tracker's own) small enough: at once. */
    if (zt->impact_plots != 0 && zt->impact_sigma_m <= cfg->impact_alarm_max_sigma_m) return true;
    /* Time is getting short: the fit's best, once it rests on enough plots ... */
    bool enough = zt->impact_plots < 0 || zt->impact_plots >= cfg->impact_alarm_min_plots;
    if (enough && tti >= 0 && tti <= cfg->impact_alarm_deadline_s) return true;
    /* ... and at the last moment whatever there is. */
    return tti >= 0 && tti <= cfg->impact_alarm_last_s;
}

int lo_threat_rule_level(const lo_threat_config *cfg, lo_class_group group, double confidence,
                         double class_age_s, const lo_zone *zone, const lo_zone_threat *zt,
                         bool relax)
{
    bool class_held = relax || group == LO_GROUP_ROCKET || class_age_s >= cfg->alarm_class_hold_s;
    /* While alerted, the class may waver by this much without stepping down. */
    double prob_margin = relax ? 0.1 : 0;
    double margin_m = relax ? cfg->margin_m : 0;
    double stretch = relax ? 1 + cfg->margin_time_frac : 1;
    /* While alerted, "inside" reaches margin_m past the edge, sideways and vertically. */
    bool inside = zt->inside || (relax && zt->edge_distance_m <= margin_m &&
                                 zt->height_outside_m <= margin_m);
    /* Ballistic tracks are judged by where they come down, not by where they fly. */
    bool ballistic = group == LO_GROUP_ROCKET;
    double threat_time = -1;
    if (ballistic) {
        if (zt->impact_in_zone) threat_time = zt->time_to_impact_s;
    } else if (zt->time_to_entry_s >= 0) {
        threat_time = zt->time_to_entry_s;
    } else if (zt->cpa_distance_m <= (relax ? 1.5 : 1) * zt->approach_tolerance_m + margin_m &&
               zt->cpa_distance_m <= 0.5 * zt->edge_distance_m + margin_m) {
        /* Within the tolerance and actually closing in (halving its distance at least): a
         * slow bird's or a hovering drone's velocity points somewhere, that is all. */
        threat_time = zt->cpa_time_s; /* heading in, give or take a course correction */
    }
    int best = -1;
    for (int i = 0; i < cfg->n_rules; i++) {
        const lo_alert_rule *r = &cfg->rules[i];
        if (r->group != group || zone->priority > r->max_priority) continue;
        if (confidence < r->min_probability - prob_margin) continue;
        if (r->level == LO_ALERT_ALARM && !class_held) continue;
        /* A rocket alarm says where it comes down: it waits for an impact point good to
         * impact_alarm_max_sigma_m, unless time runs short (then the best there is). Once
         * raised it stays (relax). */
        if (ballistic && r->level == LO_ALERT_ALARM && !relax && !ballistic_alarm_ready(cfg, zt))
            continue;
        if ((int)r->level <= best) continue;
        double limit = r->max_time_s * stretch;
        bool match;
        if (ballistic)
            match = threat_time >= 0 && threat_time <= limit;
        else if (r->use_reach)
            match = inside || (zt->reach_time_s >= 0 && zt->reach_time_s <= limit);
        else
            match = inside || (threat_time >= 0 && threat_time <= limit);
        if (match) best = (int)r->level;
    }
    return best;
}

/* ---- engine ------------------------------------------------------------------------------- */

typedef struct alert_state {
    uint32_t track_id;
    int zone;
    uint64_t alert_id;
    int level;              /* published level */
    double t_below_since;   /* since when the relaxed level is below `level`; < 0: not */
    double t_published;
    double t_seen;
    lo_alert last;          /* as last published */
} alert_state;

/* How long a track's class group has held, for alarm_class_hold_s. */
typedef struct class_state {
    uint32_t track_id;
    int group;
    double since, seen;
} class_state;

/* ---- plots behind ballistic tracks -------------------------------------------------------- */

#define PLOT_RING 16384      /* latest plots kept for finding a track's plots (~2 MB) */
/* Slowest a track may fly to start a ballistic history without being called a rocket: a
 * rocket or mortar round is far faster for all but the top of a steep mortar arc, and a track
 * that started keeps its history through that. */
#define BALLISTIC_MIN_SPEED_MPS 40.0
#define HIST_MAX 96          /* plots kept per ballistic track (thinned beyond) */
#define HIST_TRACKS 32       /* ballistic tracks followed at once (the stalest make room) */
#define BACK_GATE 18.47      /* chi-square, 4 dof, 0.999: position + radial velocity */
#define BACK_MANOEUVRE_MPS 10 /* radial-velocity slack while the path is still rough */
#define BACK_BEYOND_S 30.0   /* look this far before the track's first plot ... */
#define BACK_GAP_S 3.5       /* ... until this long passes without a plot on the path */

typedef struct sensor_pos {
    uint16_t id;
    double enu[3];
} sensor_pos;

/* One ballistic (or possibly ballistic) track's plots and its latest fit. */
typedef struct ballistic_hist {
    uint32_t track_id;
    double seen;
    double last_plot_t;
    bool searched_back;     /* its plots from before the first report were looked for */
    bool dirty;             /* plots added since the last fit */
    bool refused;           /* the last fit failed or fitted badly: not (yet) a ballistic path */
    int refused_plots;      /* new plots since a refusal (refits are spaced, see below) */
    int n;
    lo_ballistic_meas m[HIST_MAX];
    lo_ballistic_fit fit;
} ballistic_hist;

struct lo_threat_engine {
    lo_threat_config cfg;
    sensor_pos *sensors;
    int n_sensors;
    lo_ballistic_meas *ring;  /* PLOT_RING, allocated with the first plot */
    size_t ring_head, ring_n;
    ballistic_hist *hist[HIST_TRACKS];
    lo_zone *zones;
    int n_zones;
    uint64_t next_alert_id;
    alert_state *alerts;
    size_t n_alerts, cap_alerts;
    class_state *classes;
    size_t n_classes, cap_classes;
};

/* Seconds the track's group has been `group` without a break (0 on a change). */
static double class_age(lo_threat_engine *e, uint32_t id, int group, double t)
{
    for (size_t i = 0; i < e->n_classes; i++) {
        class_state *c = &e->classes[i];
        if (c->track_id != id) continue;
        if (c->group != group) {
            c->group = group;
            c->since = t;
        }
        c->seen = t;
        return t - c->since;
    }
    if (e->n_classes == e->cap_classes) {
        size_t cap = e->cap_classes ? 2 * e->cap_classes : 64;
        class_state *n = realloc(e->classes, cap * sizeof *n);
        if (!n) return 0;
        e->classes = n;
        e->cap_classes = cap;
    }
    e->classes[e->n_classes++] = (class_state){id, group, t, t};
    return 0;
}

static void forget_classes(lo_threat_engine *e, double t, uint32_t deleted_id, bool by_id)
{
    size_t k = 0;
    for (size_t i = 0; i < e->n_classes; i++) {
        const class_state *c = &e->classes[i];
        bool drop = by_id ? c->track_id == deleted_id : t - c->seen >= e->cfg.stale_s;
        if (!drop) e->classes[k++] = *c;
    }
    e->n_classes = k;
}

lo_threat_engine *lo_threat_engine_new(const lo_threat_config *cfg, const lo_zone *zones,
                                       int n_zones)
{
    lo_threat_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->cfg = *cfg;
    if (n_zones > 0) {
        e->zones = malloc((size_t)n_zones * sizeof *zones);
        if (!e->zones) {
            free(e);
            return NULL;
        }
        memcpy(e->zones, zones, (size_t)n_zones * sizeof *zones);
    }
    e->n_zones = n_zones;
    e->next_alert_id = 1;
    return e;
}

void lo_threat_engine_free(lo_threat_engine *e)
{
    if (!e) return;
    free(e->sensors);
    free(e->ring);
    for (int i = 0; i < HIST_TRACKS; i++) free(e->hist[i]);
    free(e->zones);
    free(e->alerts);
    free(e->classes);
    free(e);
}

void lo_threat_engine_set_next_alert_id(lo_threat_engine *e, uint64_t next_id)
{
    e->next_alert_id = next_id ? next_id : 1;
}

int lo_threat_engine_set_sensors(lo_threat_engine *e, const lo_sensor *sensors, int n_sensors)
{
    sensor_pos *sp = n_sensors > 0 ? malloc((size_t)n_sensors * sizeof *sp) : NULL;
    if (n_sensors > 0 && !sp) return -1;
    for (int i = 0; i < n_sensors; i++) {
        sp[i].id = sensors[i].id;
        memcpy(sp[i].enu, sensors[i].enu, sizeof sp[i].enu);
    }
    free(e->sensors);
    e->sensors = sp;
    e->n_sensors = n_sensors;
    return 0;
}

void lo_threat_add_plot(lo_threat_engine *e, const lo_plot *plot)
{
    if (!e->cfg.ballistic_fit) return;
    if (!e->ring) {
        e->ring = malloc(PLOT_RING * sizeof *e->ring);
        if (!e->ring) return;
    }
    lo_ballistic_meas *m = &e->ring[e->ring_head];
    memset(m, 0, sizeof *m);
    m->t = plot->t;
    m->sensor_id = plot->sensor_id;
    memcpy(m->enu, plot->enu, sizeof m->enu);
    memcpy(m->enu_cov, plot->enu_cov, sizeof m->enu_cov);
    m->snr_db = plot->snr_db;
    const sensor_pos *sp = NULL;
    for (int i = 0; i < e->n_sensors; i++)
        if (e->sensors[i].id == plot->sensor_id) sp = &e->sensors[i];
    double sigma = plot->sigma_radial_velocity_mps;
    if (sp && (plot->flags & LO_PLOT_RADIAL_VEL) && sigma > 0 && isfinite(plot->radial_velocity_mps)) {
        m->has_radial_velocity = true;
        m->radial_velocity_mps = plot->radial_velocity_mps;
        m->radial_velocity_sigma_mps = sigma;
        memcpy(m->sensor_enu, sp->enu, sizeof m->sensor_enu);
    }
    e->ring_head = (e->ring_head + 1) % PLOT_RING;
    if (e->ring_n < PLOT_RING) e->ring_n++;
}

static const lo_ballistic_meas *ring_at(const lo_threat_engine *e, size_t back)
{
    return &e->ring[(e->ring_head + PLOT_RING - 1 - back) % PLOT_RING];
}

/* The plot behind the report: same sensor and time, then the same SNR, then the nearest. */
static const lo_ballistic_meas *find_report_plot(const lo_threat_engine *e, const lo_track *trk)
{
    const lo_ballistic_meas *best = NULL;
    double best_score = INFINITY;
    for (size_t i = 0; i < e->ring_n; i++) {
        const lo_ballistic_meas *m = ring_at(e, i);
        if (m->t < trk->last_plot_t - 60) break; /* far older than any reorder window */
        if (m->sensor_id != trk->last_sensor_id || fabs(m->t - trk->last_plot_t) > 1e-6) continue;
        double d2 = 0;
        for (int a = 0; a < 3; a++) d2 += (m->enu[a] - trk->pos[a]) * (m->enu[a] - trk->pos[a]);
        double score = d2 + (fabs(m->snr_db - trk->last_snr_db) > 1e-6 ? 1e12 : 0);
        if (score < best_score) {
            best_score = score;
            best = m;
        }
    }
    return best;
}

static ballistic_hist *find_hist(lo_threat_engine *e, uint32_t id, double t, bool create)
{
    int stalest = 0;
    for (int i = 0; i < HIST_TRACKS; i++) {
        if (e->hist[i] && e->hist[i]->track_id == id) return e->hist[i];
        if (!e->hist[stalest]) continue;
        if (!e->hist[i] || e->hist[i]->seen < e->hist[stalest]->seen) stalest = i;
    }
    if (!create) return NULL;
    if (!e->hist[stalest]) {
        e->hist[stalest] = malloc(sizeof *e->hist[stalest]);
        if (!e->hist[stalest]) return NULL;
    }
    ballistic_hist *h = e->hist[stalest];
    memset(h, 0, sizeof *h);
    h->track_id = id;
    h->seen = t;
    return h;
}

static void forget_hist(lo_threat_engine *e, double t, uint32_t deleted_id, bool by_id)
{
    for (int i = 0; i < HIST_TRACKS; i++) {
        ballistic_hist *h = e->hist[i];
        if (!h) continue;
        if (by_id ? h->track_id == deleted_id : t - h->seen >= e->cfg.stale_s) {
            free(h);
            e->hist[i] = NULL;
        }
    }
}

static int cmp_meas_time(const void *a, const void *b)
{
    const lo_ballistic_meas *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static void hist_add(ballistic_hist *h, const lo_ballistic_meas *m)
{
    for (int i = 0; i < h->n; i++)
        if (h->m[i].sensor_id == m->sensor_id && fabs(h->m[i].t - m->t) < 1e-6) return;
    if (h->n == HIST_MAX) {
        /* Full: keep every other of the older half, so the fit still spans the whole flight. */
        qsort(h->m, (size_t)h->n, sizeof h->m[0], cmp_meas_time);
        int k = 0, half = h->n / 2;
        for (int i = 0; i < h->n; i++)
            if (i >= half || i % 2 == 0) h->m[k++] = h->m[i];
        h->n = k;
    }
    h->m[h->n++] = *m;
    h->dirty = true;
}

static lo_ballistic_model ballistic_model(const lo_threat_config *cfg)
{
    return (lo_ballistic_model){cfg->terrain_up_m, cfg->scale_height_m, cfg->drag_prior_k_per_m,
                                cfg->drag_prior_sigma_per_m};
}

/* Refit from the history; `start` (state at its t_ref-independent epoch `t_start`) seeds it. */
static bool refit(const lo_threat_config *cfg, ballistic_hist *h, const double start[7],
                  double t_start)
{
    if (h->n < 3) return false;
    lo_ballistic_model model = ballistic_model(cfg);
    double t_ref = -INFINITY;
    for (int i = 0; i < h->n; i++) t_ref = fmax(t_ref, h->m[i].t);
    double guess[7], s6[6];
    lo_ballistic_propagate(&model, start, t_ref - t_start, s6);
    memcpy(guess, s6, sizeof s6);
    guess[6] = start[6];
    lo_ballistic_fit fit;
    if (lo_ballistic_fit_solve(&model, h->m, (size_t)h->n, guess, &fit) != 0) return false;
    h->fit = fit;
    return true;
}

/* The track's plots from before the threat stage first saw it (the tracker reports a track
 * only once it is confirmed, 3-9 scans after its first plot): walk back in time from the
 * earliest plot known, predicting along the path fitted so far and taking the plot of each
 * scan that fits it (position and radial velocity, chi-square 0.999). */
static void search_back(const lo_threat_config *cfg, lo_threat_engine *e, ballistic_hist *h,
                        const lo_track *trk)
{
    h->searched_back = true;
    if (!e->ring_n || h->n == 0) return;
    double earliest = INFINITY;
    for (int i = 0; i < h->n; i++) earliest = fmin(earliest, h->m[i].t);
    /* Back to the track's first plot, and beyond it while the path keeps finding plots: the
     * same object's earlier track (the tracker lost it and started again) or plots the tracker
     * left out before its initiation. */
    double t_lo = trk->t_first - BACK_BEYOND_S;
    size_t cap = 4096, nc = 0;
    lo_ballistic_meas *cand = malloc(cap * sizeof *cand);
    if (!cand) return;
    double speed = sqrt(trk->vel[0] * trk->vel[0] + trk->vel[1] * trk->vel[1] +
                        trk->vel[2] * trk->vel[2]);
    for (size_t i = 0; i < e->ring_n && nc < cap; i++) {
        const lo_ballistic_meas *m = ring_at(e, i);
        if (!(m->t >= t_lo && m->t < earliest - 0.2)) continue;
        /* Cheap pre-filter: where the track could have been at that time at twice its speed. */
        double dx = m->enu[0] - trk->pos[0], dy = m->enu[1] - trk->pos[1];
        if (hypot(dx, dy) > 2 * speed * (trk->t - m->t) + 1000) continue;
        cand[nc++] = *m;
    }
    if (nc == 0) {
        free(cand);
        return;
    }
    qsort(cand, nc, sizeof *cand, cmp_meas_time);
    lo_ballistic_model model = ballistic_model(cfg);

    /* The estimate to predict from: the track's state, then each refit. */
    double state[7] = {trk->pos[0], trk->pos[1], trk->pos[2], trk->vel[0], trk->vel[1],
                       trk->vel[2], cfg->drag_prior_k_per_m};
    double t_state = trk->t, pcov[9], vcov[9], pvcov[9] = {0};
    memcpy(pcov, trk->pos_cov, sizeof pcov);
    memcpy(vcov, trk->vel_cov, sizeof vcov);
    double last_taken = earliest;
    for (size_t i = nc; i-- > 0;) {
        if (cand[i].t < trk->t_first - 0.05 && last_taken - cand[i].t > BACK_GAP_S) break;
        /* One scan's plots: the ones within 0.3 s of this one. */
        size_t j = i;
        while (j > 0 && cand[i].t - cand[j - 1].t < 0.3) j--;
        int best = -1;
        double best_d2 = BACK_GATE;
        /* The path is integrated once per scan (a dense bird field puts hundreds of plots in
         * one); within its 0.3 s the straight line is off by gravity's 0.4 m at most. */
        double at_scan[6];
        lo_ballistic_propagate(&model, state, cand[i].t - t_state, at_scan);
        for (size_t c = j; c <= i; c++) {
            double dt = cand[c].t - t_state, s6[6], dts = cand[c].t - cand[i].t;
            for (int a = 0; a < 3; a++) {
                s6[a] = at_scan[a] + at_scan[a + 3] * dts;
                s6[a + 3] = at_scan[a + 3];
            }
            double S[9], d[3], Si[9];
            for (int a = 0; a < 3; a++) {
                d[a] = cand[c].enu[a] - s6[a];
                for (int b = 0; b < 3; b++)
                    S[a * 3 + b] = cand[c].enu_cov[a * 3 + b] + pcov[a * 3 + b] +
                                   dt * (pvcov[a * 3 + b] + pvcov[b * 3 + a]) +
                                   dt * dt * vcov[a * 3 + b];
                S[a * 4] += 20.0 * 20.0; /* drag and model slack */
            }
            if (!(lo_sym3_inverse(S, Si) > 0)) continue;
            double d2 = lo_sym3_quad(Si, d);
            if (cand[c].has_radial_velocity) {
                double los[3], rn = 0;
                for (int a = 0; a < 3; a++) los[a] = s6[a] - cand[c].sensor_enu[a], rn += los[a] * los[a];
                rn = sqrt(rn);
                if (rn > 1) {
                    double pred = (los[0] * s6[3] + los[1] * s6[4] + los[2] * s6[5]) / rn;
                    double var = cand[c].radial_velocity_sigma_mps * cand[c].radial_velocity_sigma_mps +
                                 BACK_MANOEUVRE_MPS * BACK_MANOEUVRE_MPS;
                    d2 += (cand[c].radial_velocity_mps - pred) * (cand[c].radial_velocity_mps - pred) / var;
                }
            }
            if (d2 < best_d2) {
                best_d2 = d2;
                best = (int)c;
            }
        }
        if (best >= 0) {
            last_taken = cand[best].t;
            hist_add(h, &cand[best]);
            if (h->n >= 4 && refit(cfg, h, state, t_state)) {
                memcpy(state, h->fit.state, sizeof state);
                t_state = h->fit.t_ref;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) {
                        pcov[a * 3 + b] = h->fit.cov[a * 7 + b];
                        vcov[a * 3 + b] = h->fit.cov[(a + 3) * 7 + b + 3];
                        pvcov[a * 3 + b] = h->fit.cov[a * 7 + b + 3];
                    }
            }
        }
        if (j == 0) break;
        i = j;
    }
    free(cand);
}

/* A new plot of the track far off the fitted path (chi-square 3 dof, 0.9999, on the plot's
 * and the prediction's covariance) is someone else's: the tracker may take a neighbour's plot
 * or a merged return, the fit must not. */
static bool plot_fits_path(const lo_threat_config *cfg, const ballistic_hist *h,
                           const lo_ballistic_meas *m)
{
    if (!h->fit.valid || h->fit.n_meas < cfg->ballistic_fit_min_plots) return true;
    lo_ballistic_model model = ballistic_model(cfg);
    double dt = m->t - h->fit.t_ref, s6[6], S[9], Si[9], d[3];
    lo_ballistic_propagate(&model, h->fit.state, dt, s6);
    const double *P = h->fit.cov;
    for (int a = 0; a < 3; a++) {
        d[a] = m->enu[a] - s6[a];
        for (int b = 0; b < 3; b++)
            S[a * 3 + b] = m->enu_cov[a * 3 + b] + P[a * 7 + b] +
                           dt * (P[a * 7 + b + 3] + P[(a + 3) * 7 + b]) + dt * dt * P[(a + 3) * 7 + b + 3];
        S[a * 4] += 10.0 * 10.0; /* model slack */
    }
    if (!(lo_sym3_inverse(S, Si) > 0)) return true;
    if (lo_sym3_quad(Si, d) > 21.1) return false;
    /* The radial velocity on its own: a merged return's Doppler is a mixture. */
    lo_ballistic_meas rv_only = *m;
    for (int a = 0; a < 3; a++) rv_only.enu[a] = s6[a];
    double vs = sqrt(P[24] + P[32] + P[40]); /* the fit's own velocity uncertainty */
    return lo_ballistic_meas_distance(&model, h->fit.state, h->fit.t_ref, &rv_only,
                                      fmax(vs, 2.0)) <= 15.1;
}

/* Keep the track's plots and fit its path; fills `out` from the fit when it is usable. */
static bool ballistic_from_plots(lo_threat_engine *e, const lo_track *trk, double t,
                                 lo_ballistic *out)
{
    const lo_threat_config *cfg = &e->cfg;
    ballistic_hist *h = find_hist(e, trk->id, t, true);
    if (!h) return false;
    h->seen = t;
    if (trk->last_plot_t > 0 && trk->last_plot_t != h->last_plot_t) {
        const lo_ballistic_meas *m = find_report_plot(e, trk);
        if (m && plot_fits_path(cfg, h, m)) hist_add(h, m);
        if (m) h->last_plot_t = trk->last_plot_t;
    }
    if (!h->searched_back && h->n > 0) search_back(cfg, e, h, trk);
    if (h->n < cfg->ballistic_fit_min_plots) return false;
    lo_ballistic_model model = ballistic_model(cfg);
    if (!h->dirty) {
        /* No new plot: the last fit stands (refused or not). */
        if (!h->fit.valid || (h->fit.dof > 0 && h->fit.chi2 / h->fit.dof > 4)) return false;
        return lo_ballistic_fit_predict(&model, &h->fit, fmax(t, trk->t), out);
    }
    /* A path refused on twice the plots a fit needs is most likely not ballistic (two birds
     * joined by a false track, a powered target): refit on every third new plot only, which
     * bounds what a dense bird field's fast false tracks cost the pipeline. */
    if (h->refused && h->n >= 2 * cfg->ballistic_fit_min_plots && ++h->refused_plots % 3 != 0)
        return false;
    h->dirty = false;
    double start[7], t_start;
    if (h->fit.valid) {
        memcpy(start, h->fit.state, sizeof start);
        t_start = h->fit.t_ref;
    } else {
        double s[7] = {trk->pos[0], trk->pos[1], trk->pos[2], trk->vel[0], trk->vel[1],
                       trk->vel[2], cfg->drag_prior_k_per_m};
        memcpy(start, s, sizeof start);
        t_start = trk->t;
    }
    h->refused = true;
    if (!refit(cfg, h, start, t_start)) return false;
    /* A path that is not ballistic (a powered target, plots of two objects) fits badly. */
    if (h->fit.dof > 0 && h->fit.chi2 / h->fit.dof > 4) return false;
    h->refused = false;
    /* Times from the evaluation time t, the time the alert carries (the report may be up to a
     * cadence older): "impact in 16 s" is 16 s from the alert. */
    return lo_ballistic_fit_predict(&model, &h->fit, fmax(t, trk->t), out);
}

static alert_state *find_alert(lo_threat_engine *e, uint32_t track_id, int zone)
{
    for (size_t i = 0; i < e->n_alerts; i++)
        if (e->alerts[i].track_id == track_id && e->alerts[i].zone == zone) return &e->alerts[i];
    return NULL;
}

static void remove_alert(lo_threat_engine *e, alert_state *a)
{
    size_t i = (size_t)(a - e->alerts);
    memmove(&e->alerts[i], &e->alerts[i + 1], (e->n_alerts - i - 1) * sizeof *a);
    e->n_alerts--;
}

static alert_state *add_alert(lo_threat_engine *e)
{
    if (e->n_alerts == e->cap_alerts) {
        size_t cap = e->cap_alerts ? 2 * e->cap_alerts : 16;
        alert_state *n = realloc(e->alerts, cap * sizeof *n);
        if (!n) return NULL;
        e->alerts = n;
        e->cap_alerts = cap;
    }
    alert_state *a = &e->alerts[e->n_alerts++];
    memset(a, 0, sizeof *a);
    return a;
}

static const char *compass8(double bearing_rad)
{
    static const char *const names[] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};
    int i = (int)floor(lo_wrap_2pi(bearing_rad) / (LO_PI / 4) + 0.5) % 8;
    return names[i];
}

static void format_distance(char *buf, size_t len, double m)
{
    if (m < 1000)
        snprintf(buf, len, "%.0f m", m);
    else
        snprintf(buf, len, "%.1f km", m / 1000);
}

/* A drone whose plots show blades (the classifier's mean Doppler spread) says so in its reason:
 * what an operator asks first is why it is called a drone. Birds, vehicles and clutter stay
 * under 3 m/s; a multirotor's rotors or a drone's propeller widen the return by 10-30 m/s. */
#define REASON_BLADE_FLASH_MPS 5.0

/* "drone, 2.3 km E of residence, 41 m/s, entry in 48 s" and its variants. */
static void compose_reason(char *buf, size_t len, lo_class_group group, const lo_zone *zone,
                           const lo_track *trk, const lo_zone_threat *zt, const lo_ballistic *b)
{
    int n = snprintf(buf, len, "%s", lo_class_group_name(group));
    if (n >= 0 && (size_t)n < len && group == LO_GROUP_DRONE &&
        trk->doppler_spread_mean_mps >= REASON_BLADE_FLASH_MPS)
        n += snprintf(buf + n, len - (size_t)n, " (blade flash %.0f m/s)", trk->doppler_spread_mean_mps);
    if (n < 0 || (size_t)n >= len) return;
    buf += n;
    len -= (size_t)n;
    double speed = sqrt(trk->vel[0] * trk->vel[0] + trk->vel[1] * trk->vel[1] +
                        trk->vel[2] * trk->vel[2]);
    if (group == LO_GROUP_ROCKET && b && b->valid && zt->impact_in_zone) {
        /* The spread quoted is the 1-sigma major semi-axis of the impact ellipse. */
        double tr = b->impact_cov[0] + b->impact_cov[3];
        double det = b->impact_cov[0] * b->impact_cov[3] - b->impact_cov[1] * b->impact_cov[2];
        double disc = tr * tr / 4 - det;
        double major = sqrt(fmax(0, tr / 2 + sqrt(fmax(0, disc))));
        int m = snprintf(buf, len, ", impact in %s in %.0f s (\xc2\xb1%.0f m), %.0f m/s",
                         zone->name, b->time_to_impact_s, major, speed);
        if (m > 0 && (size_t)m < len && isfinite(b->launch_enu[0])) {
            /* Where it came from, seen from the zone: for the report, nothing else. */
            double dx = b->launch_enu[0] - zone->center_enu[0];
            double dy = b->launch_enu[1] - zone->center_enu[1];
            char dist[32];
            format_distance(dist, sizeof dist, hypot(dx, dy));
            snprintf(buf + m, len - (size_t)m, ", from %s %s", dist, compass8(atan2(dx, dy)));
        }
        return;
    }
    if (zt->inside) {
        snprintf(buf, len, ", inside %s, %.0f m/s", zone->name, speed);
        return;
    }
    char dist[32];
    format_distance(dist, sizeof dist, fmax(0, zt->edge_distance_m));
    if (zt->time_to_entry_s >= 0) {
        snprintf(buf, len, ", %s %s of %s, %.0f m/s, entry in %.0f s", dist,
                 compass8(zt->bearing_rad), zone->name, speed, zt->time_to_entry_s);
    } else if (zt->cpa_distance_m <= zt->approach_tolerance_m && zt->cpa_time_s > 0) {
        char miss[32];
        format_distance(miss, sizeof miss, zt->cpa_distance_m);
        snprintf(buf, len, ", %s %s of %s, %.0f m/s, passes %s from it in %.0f s", dist,
                 compass8(zt->bearing_rad), zone->name, speed, miss, zt->cpa_time_s);
    } else
        snprintf(buf, len, ", %s %s of %s, %.0f m/s, not heading in", dist,
                 compass8(zt->bearing_rad), zone->name, speed);
}

static void fill_alert(lo_threat_engine *e, lo_alert *a, const alert_state *s, const lo_track *trk,
                       lo_class_group group, double confidence, const lo_zone_threat *zt,
                       const lo_ballistic *b, int level, lo_alert_transition tr, double t)
{
    memset(a, 0, sizeof *a);
    const lo_zone *zone = &e->zones[s->zone];
    a->alert_id = s->alert_id;
    a->track_id = trk->id;
    a->zone_index = s->zone;
    snprintf(a->zone_name, sizeof a->zone_name, "%s", zone->name);
    a->level = (lo_alert_level)level;
    a->transition = tr;
    a->t = t;
    /* The most likely fine class; a ballistic track the classifier has not named yet is
     * reported as a rocket (that is what made it one). */
    int best = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (trk->class_prob[c] > trk->class_prob[best]) best = c;
    a->cls = (lo_class)best;
    if (group == LO_GROUP_ROCKET) a->cls = LO_CLASS_ROCKET;
    a->class_confidence = group == LO_GROUP_ROCKET ? confidence : trk->class_prob[best];
    a->distance_m = fmax(0, zt->edge_distance_m);
    if (group == LO_GROUP_ROCKET && b && b->valid && zt->impact_in_zone) {
        a->time_to_entry_s = b->time_to_impact_s;
        a->time_to_entry_sigma_s = b->time_to_impact_sigma_s;
    } else if (zt->time_to_entry_s < 0 && !zt->inside && zt->cpa_time_s > 0 &&
               zt->cpa_distance_m <= zt->approach_tolerance_m) {
        /* Heading in within the approach tolerance: count down to the closest approach. */
        a->time_to_entry_s = zt->cpa_time_s;
        a->time_to_entry_sigma_s = 0;
    } else {
        a->time_to_entry_s = zt->time_to_entry_s;
        a->time_to_entry_sigma_s = zt->time_to_entry_sigma_s;
    }
    if (b && b->valid) {
        a->has_impact = true;
        memcpy(a->impact_enu, b->impact_enu, sizeof a->impact_enu);
        memcpy(a->impact_cov, b->impact_cov, sizeof a->impact_cov);
        if (isfinite(b->launch_enu[0]) && isfinite(b->launch_enu[1])) {
            a->has_launch = true;
            memcpy(a->launch_enu, b->launch_enu, sizeof a->launch_enu);
        }
    }
    compose_reason(a->reason, sizeof a->reason, group, zone, trk, zt, b);
    a->snapshot = *trk;
}

/* A cleared transition: the last published alert with the new time, reason and snapshot. */
static int publish_clear(alert_state *s, double t, const lo_track *trk, const char *why,
                         lo_alert_fn fn, void *ctx)
{
    lo_alert a = s->last;
    a.transition = LO_ALERT_CLEARED;
    a.t = t;
    if (trk) a.snapshot = *trk;
    /* "cleared (why): <last reason>", cut to fit. */
    size_t n = (size_t)snprintf(a.reason, sizeof a.reason, "cleared (%s): ", why);
    if (n < sizeof a.reason) {
        size_t room = sizeof a.reason - n - 1, len = strlen(s->last.reason);
        if (len > room) len = room;
        memcpy(a.reason + n, s->last.reason, len);
        a.reason[n + len] = '\0';
    }
    return fn ? fn(ctx, &a) : 0;
}

static int process_track(lo_threat_engine *e, double t, const lo_track *trk, lo_alert_fn fn,
                         void *ctx)
{
    const lo_threat_config *cfg = &e->cfg;
    if (trk->status == LO_TRACK_DELETED) {
        forget_classes(e, t, trk->id, true);
        forget_hist(e, t, trk->id, true);
        for (size_t i = 0; i < e->n_alerts;) {
            alert_state *s = &e->alerts[i];
            if (s->track_id != trk->id) {
                i++;
                continue;
            }
            int rc = publish_clear(s, t, trk, "track deleted", fn, ctx);
            if (rc) return rc;
            remove_alert(e, s);
        }
        return 0;
    }
    if (trk->status != LO_TRACK_CONFIRMED && trk->status != LO_TRACK_COASTING) return 0;

    double confidence;
    lo_class_group group = lo_threat_track_group(cfg, trk, &confidence);
    double age = class_age(e, trk->id, group, t);
    lo_ballistic ball, *b = NULL;
    /* With plots fed, a possibly ballistic track keeps its plots and its path is fitted to
     * them; the tracker's state is the fallback until the fit has enough plots. */
    bool plots_fed = cfg->ballistic_fit && e->ring_n > 0;
    bool fitted = false;
    /* A track starts keeping plots when it is called a rocket, or when it might be one and
     * flies like one: birds and drones that the classifier gives a fifth to "rocket" are slow,
     * and fitting thousands of them cost a 10,000-bird feed a third of serve's CPU
     * (bench/RESULTS.md, serve load test). */
    double speed = sqrt(trk->vel[0] * trk->vel[0] + trk->vel[1] * trk->vel[1] + trk->vel[2] * trk->vel[2]);
    bool maybe_ballistic = trk->class_prob[LO_CLASS_ROCKET] >= 0.2 && speed >= BALLISTIC_MIN_SPEED_MPS;
    bool wants_fit = group == LO_GROUP_ROCKET || maybe_ballistic;
    ballistic_hist *kept = plots_fed ? find_hist(e, trk->id, t, false) : NULL;
    if (kept && !wants_fit && kept->refused) {
        /* It once looked ballistic, no longer does, and its plots do not fit a path: stop
         * refitting it every scan. */
        forget_hist(e, t, trk->id, true);
        kept = NULL;
    }
    if (plots_fed && (wants_fit || kept)) fitted = ballistic_from_plots(e, trk, t, &ball);
    /* Without a fitted path, the unscented prediction from the tracker's state costs two
     * integrations to the ground per sigma point: only for tracks that fly like a round (a
     * slow track called a rocket is a bird or clutter the classifier is unsure of). */
    if (group == LO_GROUP_ROCKET &&
        (fitted || (speed >= BALLISTIC_MIN_SPEED_MPS && lo_threat_predict_impact(cfg, trk, &ball))))
        b = &ball;
    bool launch_pending = b && !fitted; /* a fitted path brings its launch point */

    for (int z = 0; z < e->n_zones; z++) {
        const lo_zone *zone = &e->zones[z];
        lo_zone_threat zt;
        lo_threat_evaluate_zone(cfg, trk, group, zone, b, &zt);
        /* The tracker's own ellipse is not trusted for the alarm when the fit is possible
         * but not there yet (too few plots, or the path does not fit). */
        zt.impact_plots = !plots_fed ? -1 : b && b->fitted ? b->n_plots : 0;
        int now = lo_threat_rule_level(cfg, group, confidence, age, zone, &zt, false);
        alert_state *s = find_alert(e, trk->id, z);
        lo_alert a;
        if (!s) {
            if (now < 0) continue;
            alert_state fresh = {.track_id = trk->id, .zone = z, .alert_id = e->next_alert_id,
                                 .level = now, .t_below_since = -1, .t_published = t,
                                 .t_seen = t};
            if (launch_pending) {
                lo_threat_predict_launch(cfg, trk, &ball);
                launch_pending = false;
            }
            fill_alert(e, &a, &fresh, trk, group, confidence, &zt, b, now, LO_ALERT_RAISED, t);
            /* Room first: once the sink has it, the engine must be able to remember it. */
            s = add_alert(e);
            if (!s) return -1;
            int rc = fn ? fn(ctx, &a) : 0;
            if (rc) {
                e->n_alerts--;
                return rc;
            }
            *s = fresh;
            s->last = a;
            e->next_alert_id++;
            continue;
        }
        s->t_seen = t;
        int sustain = lo_threat_rule_level(cfg, group, confidence, age, zone, &zt, true);
        int new_level = s->level;
        bool clear = false;
        if (now > s->level) {
            new_level = now; /* escalate at once */
            s->t_below_since = -1;
        } else if (sustain >= s->level) {
            s->t_below_since = -1;
        } else {
            if (s->t_below_since < 0) s->t_below_since = t;
            if (t - s->t_below_since >= cfg->hold_s) {
                if (sustain < 0)
                    clear = true;
                else
                    new_level = sustain;
            }
        }
        if (clear) {
            int rc = publish_clear(s, t, trk, "no longer a threat", fn, ctx);
            if (rc) return rc;
            remove_alert(e, s);
            continue;
        }
        double period = group == LO_GROUP_ROCKET ? cfg->ballistic_update_period_s
                                                 : cfg->update_period_s;
        if (new_level != s->level || t - s->t_published >= period) {
            if (launch_pending) {
                lo_threat_predict_launch(cfg, trk, &ball);
                launch_pending = false;
            }
            fill_alert(e, &a, s, trk, group, confidence, &zt, b, new_level, LO_ALERT_UPDATED, t);
            int rc = fn ? fn(ctx, &a) : 0;
            if (rc) return rc;
            if (new_level != s->level) s->t_below_since = -1;
            s->level = new_level;
            s->t_published = t;
            s->last = a;
        }
    }
    return 0;
}

int lo_threat_update(lo_threat_engine *e, double t, const lo_track *tracks, size_t n_tracks,
                     lo_alert_fn fn, void *ctx)
{
    for (size_t i = 0; i < n_tracks; i++) {
        int rc = process_track(e, t, &tracks[i], fn, ctx);
        if (rc) return rc;
    }
    forget_classes(e, t, 0, false);
    forget_hist(e, t, 0, false);
    /* Tracks that vanished without a final report. */
    for (size_t i = 0; i < e->n_alerts;) {
        alert_state *s = &e->alerts[i];
        if (t - s->t_seen < e->cfg.stale_s) {
            i++;
            continue;
        }
        int rc = publish_clear(s, t, NULL, "track lost", fn, ctx);
        if (rc) return rc;
        remove_alert(e, s);
    }
    return 0;
}

int lo_threat_clear_all(lo_threat_engine *e, double t, lo_alert_fn fn, void *ctx)
{
    while (e->n_alerts > 0) {
        alert_state *s = &e->alerts[e->n_alerts - 1];
        int rc = publish_clear(s, t, NULL, "end of run", fn, ctx);
        if (rc) return rc;
        e->n_alerts--;
    }
    return 0;
}

size_t lo_threat_active(const lo_threat_engine *e, lo_alert *out, size_t max)
{
    for (size_t i = 0; i < e->n_alerts && i < max; i++) out[i] = e->alerts[i].last;
    return e->n_alerts;
}
