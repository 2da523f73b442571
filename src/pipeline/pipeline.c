/* The core stages wired together: ingest -> tracker -> classifier -> threat (pipeline.h).
 *
 * The tracker reports each track update through a callback; those reports are gathered into
 * a batch. Every cadence of data time the batch is classified (flocking counted within the
 * batch, so birds of one flock, reported in the same sweep, see each other) and handed to the
 * threat engine as one scan. Reports go out to the caller after classification, so every
 * consumer sees class probabilities. */
#include "lookout/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/ingest.h"

extern const char lo_embedded_classifier_model[];
extern const unsigned long lo_embedded_classifier_model_len;
extern const char lo_embedded_classifier_fallback[];
extern const char lo_embedded_green_zone[];
extern const unsigned long lo_embedded_green_zone_len;

/* Neighbours closer than this and moving alike count as one flock (classify.h). */
#define FLOCK_RADIUS_M 150.0
#define FLOCK_MAX_DV_MPS 4.0

struct lo_pipeline {
    const lo_site *site;
    lo_pipeline_sinks sinks;
    lo_diag_sink *diag;
    lo_tracker_config tracker_cfg;
    lo_tracker *tracker;
    lo_classifier_model model;
    lo_classifier *classifier;
    lo_threat_config threat_cfg;
    lo_threat_engine *threat;
    double cadence_s;
    double next_evaluation_t;   /* NAN until the first plot */
    double data_time;

    /* Reports gathered since the last evaluation. */
    lo_track *batch;
    size_t batch_n, batch_cap;
    int *neighbours;
    size_t neighbours_cap;

    lo_pipeline_stats stats;
};

int lo_pipeline_default_model(lo_classifier_model *m, lo_diag_sink *diag)
{
    return lo_classifier_model_parse(lo_embedded_classifier_model, "classifier-v5.json (built in)",
                                     m, diag);
}

int lo_pipeline_default_fallback_model(lo_classifier_model *m, lo_diag_sink *diag)
{
    return lo_classifier_model_parse(lo_embedded_classifier_fallback, "classifier-v4.json (built in)",
                                     m, diag);
}

const char *lo_pipeline_default_scenario(size_t *len)
{
    if (len) *len = (size_t)lo_embedded_green_zone_len;
    return lo_embedded_green_zone;
}

static void on_tracker_report(void *ctx, const lo_track *trk)
{
    lo_pipeline *p = ctx;
    if (p->batch_n == p->batch_cap) {
        size_t cap = p->batch_cap ? p->batch_cap * 2 : 256;
        lo_track *b = realloc(p->batch, cap * sizeof *b);
        if (!b) return; /* out of memory: this report is lost, the next one carries the track */
        p->batch = b;
        p->batch_cap = cap;
    }
    p->batch[p->batch_n++] = *trk;
}

static int model_index(const lo_tracker_config *cfg, lo_motion_model m)
{
    for (int i = 0; i < cfg->n_models; i++)
        if (cfg->models[i] == m) return i;
    return -1;
}

lo_pipeline *lo_pipeline_new(const lo_site *site, const lo_pipeline_options *opt,
                             const lo_pipeline_sinks *sinks, lo_diag_sink *diag)
{
    lo_pipeline *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->site = site;
    p->diag = diag;
    if (sinks) p->sinks = *sinks;
    p->next_evaluation_t = NAN;

    lo_tracker_config_default(&p->tracker_cfg);
    if (lo_tracker_config_from_site(site, &p->tracker_cfg, diag) != 0) goto fail;
    lo_threat_config_default(&p->threat_cfg);
    if (site->doc && lo_threat_config_from_yaml(site->doc, &p->threat_cfg, diag) != 0) goto fail;

    /* The classifier and the threat engine read the IMM's model probabilities by index. */
    int ballistic = model_index(&p->tracker_cfg, LO_MODEL_BALLISTIC);
    p->threat_cfg.ballistic_model_index = ballistic;
    lo_feature_params fp;
    lo_feature_params_default(&fp);
    fp.ballistic_model_index = ballistic;
    fp.cv_model_index = model_index(&p->tracker_cfg, LO_MODEL_CV);

    bool built_in = !(opt && opt->model);
    if (!built_in)
        p->model = *opt->model;
    else if (lo_pipeline_default_model(&p->model, diag) != 0)
        goto fail;

    p->tracker = lo_tracker_new(site, &p->tracker_cfg);
    p->classifier = lo_classifier_new(&p->model, &fp, site->sensors, site->n_sensors);
    if (built_in && p->classifier) {
        /* Tracks without a Doppler spread (radars that do not measure it) are judged by the
         * model trained without it. */
        lo_classifier_model fallback;
        if (lo_pipeline_default_fallback_model(&fallback, diag) != 0) goto fail;
        lo_classifier_set_fallback(p->classifier, &fallback);
    }
    p->threat = lo_threat_engine_new(&p->threat_cfg, site->zones, site->n_zones);
    if (!p->tracker || !p->classifier || !p->threat) goto fail;
    lo_tracker_set_report(p->tracker, on_tracker_report, p);
    /* The threat stage fits ballistic paths to the plots behind a track. */
    if (lo_threat_engine_set_sensors(p->threat, site->sensors, site->n_sensors) != 0) goto fail;
    if (opt && opt->first_alert_id > 0)
        lo_threat_engine_set_next_alert_id(p->threat, opt->first_alert_id);

    p->cadence_s = opt && opt->cadence_s > 0 ? opt->cadence_s : 0;
    if (p->cadence_s <= 0) {
        double shortest = 1.0;
        for (int i = 0; i < site->n_sensors; i++)
            if (i == 0 || site->sensors[i].scan_period_s < shortest)
                shortest = site->sensors[i].scan_period_s;
        p->cadence_s = shortest > 0 ? shortest / 2 : 0.5;
    }
    return p;
fail:
    lo_pipeline_free(p);
    return NULL;
}

void lo_pipeline_free(lo_pipeline *p)
{
    if (!p) return;
    lo_tracker_free(p->tracker);
    lo_classifier_free(p->classifier);
    lo_threat_engine_free(p->threat);
    free(p->batch);
    free(p->neighbours);
    free(p);
}

int lo_pipeline_add_plot(lo_pipeline *p, const lo_plot *plot)
{
    p->stats.plots_in++;
    lo_plot copy = *plot;
    const char *why = NULL;
    if (lo_ingest_plot(p->site, &copy, p->tracker_cfg.default_height_m, &why) != 0) {
        p->stats.plots_refused++;
        lo_diag_report(p->diag, LO_DIAG_WARNING, "plots", 0, 0, -1, "plot",
                       "plot at t=%.3f from sensor %u refused: %s", plot->t,
                       (unsigned)plot->sensor_id, why ? why : "unusable");
        return -1;
    }
    if (lo_tracker_add_plot(p->tracker, &copy) != 0) {
        p->stats.plots_refused++;
        return -1;
    }
    lo_threat_add_plot(p->threat, &copy);
    if (isnan(p->next_evaluation_t)) p->next_evaluation_t = plot->t + p->cadence_s;
    return 0;
}

/* Every transition passes here on its way to the caller, to be counted. */
static int count_alerts(void *ctx, const lo_alert *a)
{
    lo_pipeline *p = ctx;
    int rc = p->sinks.on_alert ? p->sinks.on_alert(p->sinks.ctx, a) : 0;
    if (rc == 0) p->stats.alert_transitions++;
    return rc;
}

/* Classify the gathered reports, hand them out, and evaluate threats as one scan at t. */
static int evaluate(lo_pipeline *p, double t)
{
    size_t n = p->batch_n;
    if (n > p->neighbours_cap) {
        int *nb = realloc(p->neighbours, n * sizeof *nb);
        if (!nb) return 0; /* keep the batch; try again next cadence */
        p->neighbours = nb;
        p->neighbours_cap = n;
    }
    bool counted = n > 0 && lo_classify_count_neighbours(p->batch, n, FLOCK_RADIUS_M,
                                                         FLOCK_MAX_DV_MPS, p->neighbours) == 0;
    for (size_t i = 0; i < n; i++) {
        lo_classify_extra extra = {
            .flock_neighbours = counted ? p->neighbours[i] : -1,
        };
        lo_classifier_update(p->classifier, &p->batch[i], &extra);
        p->stats.track_reports++;
        if (p->sinks.on_track) p->sinks.on_track(p->sinks.ctx, &p->batch[i]);
    }
    int rc = lo_threat_update(p->threat, t, p->batch, n, count_alerts, p);
    p->batch_n = 0;
    p->stats.evaluations++;
    if (p->sinks.on_evaluated) p->sinks.on_evaluated(p->sinks.ctx, t);
    return rc;
}

int lo_pipeline_advance(lo_pipeline *p, double now)
{
    if (now > p->data_time) p->data_time = now;
    lo_tracker_advance(p->tracker, now);
    int rc = 0;
    while (!isnan(p->next_evaluation_t) && now >= p->next_evaluation_t && rc == 0) {
        rc = evaluate(p, p->next_evaluation_t);
        p->next_evaluation_t += p->cadence_s;
        /* After a gap in the data, do not replay every missed cadence. */
        if (p->next_evaluation_t < now - p->cadence_s) p->next_evaluation_t = now + p->cadence_s;
    }
    return rc;
}

int lo_pipeline_finish(lo_pipeline *p, double t)
{
    if (t < p->data_time) t = p->data_time;
    lo_tracker_flush(p->tracker);
    int rc = evaluate(p, t);
    lo_tracker_finish(p->tracker);
    int rc2 = evaluate(p, t);
    int rc3 = lo_threat_clear_all(p->threat, t, count_alerts, p);
    return rc ? rc : rc2 ? rc2 : rc3;
}

void lo_pipeline_get_stats(const lo_pipeline *p, lo_pipeline_stats *out)
{
    *out = p->stats;
    out->live_tracks = lo_tracker_track_count(p->tracker);
}

const lo_tracker *lo_pipeline_tracker(const lo_pipeline *p) { return p->tracker; }
const lo_threat_engine *lo_pipeline_threat(const lo_pipeline *p) { return p->threat; }
const lo_threat_config *lo_pipeline_threat_config(const lo_pipeline *p) { return &p->threat_cfg; }
