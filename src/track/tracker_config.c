/*
 * tracker_config.c: the `tracker:` section of a site or scenario YAML (docs/tracker.md).
 * Every key is optional; absent keys keep lo_tracker_config_default's values. Units are in
 * the key names; errors name the key path and line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/tracker.h"

static const char *const tracker_keys[] = {
    "association", "models", "pd", "gate_probability", "clutter_density_per_km2",
    "clutter_height_m", "clutter_map", "clutter_map_cell_m", "clutter_map_time_s", "clutter_radial_span_mps",
    "cv_noise_m2_s3", "ct_noise_m2_s3", "turn_rate_noise_rad2_s3", "ca_noise_m2_s5",
    "ballistic_noise_m2_s3", "drag_noise_m2_s", "model_sojourn_s", "init_classes",
    "init_max_gap_s", "false_confirm_prob", "true_delete_prob", "confirm_m_of_n", "confirm_clutter_scaled", "delete_score_drop",
    "max_coast_s", "merge_distance_sigma", "reorder_window_s", "batch_window_s", "grid_cell_m",
    "jpda_max_hypotheses", "jpda_star", "default_height_m", "report_tentative", NULL};

static const char *const class_keys[] = {"name", "max_speed_mps", "ballistic", NULL};

static void read_models(lo_yctx *c, const lo_ynode *sec, lo_tracker_config *cfg)
{
    const lo_ynode *seq = lo_ymap_get(c->doc, sec, "models");
    if (!seq) return;
    if (lo_ynode_kind(c->doc, seq) != LO_Y_SEQUENCE || lo_yseq_size(c->doc, seq) == 0) {
        lo_yerror(c, seq, "tracker.models", "expected a non-empty list of cv, ct, ca, ballistic");
        return;
    }
    bool seen[LO_MODEL_COUNT] = {false};
    int n = 0;
    for (size_t i = 0; i < lo_yseq_size(c->doc, seq); i++) {
        const lo_ynode *item = lo_yseq_at(c->doc, seq, i);
        const char *s = lo_ynode_scalar(c->doc, item);
        char path[64];
        lo_ypath_index(path, sizeof path, "tracker.models", i);
        int m = -1;
        for (int k = 0; s && k < LO_MODEL_COUNT; k++)
            if (!strcmp(s, lo_motion_model_name((lo_motion_model)k))) m = k;
        if (m < 0) {
            lo_yerror(c, item, path, "expected one of cv, ct, ca, ballistic, got '%s'",
                      s ? s : "(not a name)");
            continue;
        }
        if (seen[m]) {
            lo_yerror(c, item, path, "model '%s' listed twice", s);
            continue;
        }
        seen[m] = true;
        n++;
    }
    if (n > LO_MAX_MODELS) {
        lo_yerror(c, seq, "tracker.models", "at most %d models", LO_MAX_MODELS);
        return;
    }
    if (n == 0) return;
    /* Stored in the fixed model order (tracker.h), whatever order the file lists them in. */
    cfg->n_models = 0;
    for (int k = 0; k < LO_MODEL_COUNT; k++)
        if (seen[k]) cfg->models[cfg->n_models++] = (lo_motion_model)k;
}

static void read_classes(lo_yctx *c, const lo_ynode *sec, lo_tracker_config *cfg)
{
    const lo_ynode *seq = lo_ymap_get(c->doc, sec, "init_classes");
    if (!seq) return;
    size_t n = lo_yseq_size(c->doc, seq);
    if (lo_ynode_kind(c->doc, seq) != LO_Y_SEQUENCE || n == 0 || n > LO_TRACKER_MAX_INIT_CLASSES) {
        lo_yerror(c, seq, "tracker.init_classes", "expected a list of 1 to %d classes",
                  LO_TRACKER_MAX_INIT_CLASSES);
        return;
    }
    cfg->n_init_classes = 0;
    for (size_t i = 0; i < n; i++) {
        const lo_ynode *item = lo_yseq_at(c->doc, seq, i);
        char path[64];
        lo_ypath_index(path, sizeof path, "tracker.init_classes", i);
        if (lo_ynode_kind(c->doc, item) != LO_Y_MAPPING) {
            lo_yerror(c, item, path, "expected a mapping with name, max_speed_mps");
            continue;
        }
        lo_init_class ic = {"", 0, false};
        lo_ycheck_keys(c, item, path, class_keys);
        lo_yget_string(c, item, path, "name", true, ic.name, sizeof ic.name);
        lo_yget_double(c, item, path, "max_speed_mps", true, 0.1, 5000, &ic.max_speed_mps);
        lo_yget_bool(c, item, path, "ballistic", false, &ic.ballistic);
        cfg->init_classes[cfg->n_init_classes++] = ic;
    }
}

int lo_tracker_config_from_site(const lo_site *site, lo_tracker_config *cfg, lo_diag_sink *sink)
{
    if (!site || !site->doc) return 0;
    lo_yctx c = {.doc = site->doc, .sink = sink};
    const lo_ynode *root = lo_ydoc_root(site->doc);
    if (!root || lo_ynode_kind(site->doc, root) != LO_Y_MAPPING) return 0;
    const lo_ynode *sec = lo_ymap_get(site->doc, root, "tracker");
    if (!sec) return 0;
    if (lo_ynode_kind(site->doc, sec) != LO_Y_MAPPING) {
        lo_yerror(&c, sec, "tracker", "expected a mapping of tracker settings");
        return -1;
    }
    const char *p = "tracker";
    lo_ycheck_keys(&c, sec, p, tracker_keys);
    static const char *const assoc_names[] = {"gnn", "jpda", NULL};
    int assoc = (int)cfg->association;
    if (lo_yget_enum(&c, sec, p, "association", false, assoc_names, &assoc))
        cfg->association = (lo_association)assoc;
    read_models(&c, sec, cfg);
    lo_yget_double(&c, sec, p, "pd", false, 0.01, 0.999, &cfg->pd);
    lo_yget_double(&c, sec, p, "gate_probability", false, 0.9, 0.999999, &cfg->gate_probability);
    double per_km2 = cfg->clutter_density * 1e6;
    if (lo_yget_double(&c, sec, p, "clutter_density_per_km2", false, 1e-6, 1e4, &per_km2))
        cfg->clutter_density = per_km2 * 1e-6;
    lo_yget_double(&c, sec, p, "clutter_height_m", false, 1, 1e5, &cfg->clutter_height_m);
    lo_yget_bool(&c, sec, p, "clutter_map", false, &cfg->clutter_map);
    lo_yget_double(&c, sec, p, "clutter_map_cell_m", false, 10, 1e5, &cfg->clutter_map_cell_m);
    lo_yget_double(&c, sec, p, "clutter_map_time_s", false, 1, 1e6, &cfg->clutter_map_time_s);
    lo_yget_double(&c, sec, p, "clutter_radial_span_mps", false, 1, 1e4, &cfg->clutter_radial_span_mps);
    lo_yget_double(&c, sec, p, "cv_noise_m2_s3", false, 0, 1e6, &cfg->q_cv);
    lo_yget_double(&c, sec, p, "ct_noise_m2_s3", false, 0, 1e6, &cfg->q_ct);
    lo_yget_double(&c, sec, p, "turn_rate_noise_rad2_s3", false, 0, 10, &cfg->q_turn_rate);
    lo_yget_double(&c, sec, p, "ca_noise_m2_s5", false, 0, 1e6, &cfg->q_ca);
    lo_yget_double(&c, sec, p, "ballistic_noise_m2_s3", false, 0, 1e6, &cfg->q_ballistic);
    lo_yget_double(&c, sec, p, "drag_noise_m2_s", false, 0, 1, &cfg->q_drag);
    lo_yget_double(&c, sec, p, "model_sojourn_s", false, 0.1, 1e5, &cfg->model_sojourn_s);
    read_classes(&c, sec, cfg);
    lo_yget_double(&c, sec, p, "init_max_gap_s", false, 0.01, 600, &cfg->init_max_gap_s);
    lo_yget_double(&c, sec, p, "false_confirm_prob", false, 1e-12, 0.49, &cfg->false_confirm_prob);
    lo_yget_double(&c, sec, p, "true_delete_prob", false, 1e-12, 0.49, &cfg->true_delete_prob);
    const lo_ynode *mn = lo_ymap_get(site->doc, sec, "confirm_m_of_n");
    if (mn) {
        double v[2] = {0, 0};
        if (lo_yget_double_list(&c, sec, p, "confirm_m_of_n", false, v, 2)) {
            if (v[0] < 1 || v[1] < v[0] || v[1] > 31 || v[0] != floor(v[0]) || v[1] != floor(v[1]))
                lo_yerror(&c, mn, "tracker.confirm_m_of_n", "expected [M, N] with 1 <= M <= N <= 31");
            else
                cfg->confirm_m = (int)v[0], cfg->confirm_n = (int)v[1];
        }
    }
    lo_yget_bool(&c, sec, p, "confirm_clutter_scaled", false, &cfg->confirm_clutter_scaled);
    lo_yget_double(&c, sec, p, "delete_score_drop", false, 0.1, 1e4, &cfg->delete_score_drop);
    lo_yget_double(&c, sec, p, "max_coast_s", false, 0.01, 3600, &cfg->max_coast_s);
    lo_yget_double(&c, sec, p, "merge_distance_sigma", false, 0, 100, &cfg->merge_distance_sigma);
    lo_yget_double(&c, sec, p, "reorder_window_s", false, 0, 60, &cfg->reorder_window_s);
    lo_yget_double(&c, sec, p, "batch_window_s", false, 0, 10, &cfg->batch_window_s);
    lo_yget_double(&c, sec, p, "grid_cell_m", false, 10, 1e6, &cfg->grid_cell_m);
    long hyp = cfg->jpda_max_hypotheses;
    if (lo_yget_int(&c, sec, p, "jpda_max_hypotheses", false, 1, 10000000, &hyp))
        cfg->jpda_max_hypotheses = (int)hyp;
    lo_yget_bool(&c, sec, p, "jpda_star", false, &cfg->jpda_star);
    lo_yget_double(&c, sec, p, "default_height_m", false, -500, 20000, &cfg->default_height_m);
    lo_yget_bool(&c, sec, p, "report_tentative", false, &cfg->report_tentative);
    return c.errors ? -1 : 0;
}
