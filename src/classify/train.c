/*
 * Training support (see lookout/classify.h): labelled feature samples at fixed track ages
 * from a stream of track reports, fitting, and confusion matrices. The data come from whoever
 * calls it (the simulator and tracker through `lookout train-classifier`, or a test).
 */
#include "lookout/classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AGES 8

typedef struct track_slot {
    lo_track_features f;
    int next_age;        /* next index into ages to sample */
    double next_periodic;/* age of the next periodic sample */
} track_slot;

struct lo_trainer {
    lo_feature_params params;
    lo_sensor *sensors;
    int n_sensors;
    double ages[MAX_AGES];
    int n_ages;
    double every_s;
    double age_weight;   /* lo_trainer_set_age_weight */
    bool excluded[LO_FEAT_COUNT]; /* lo_trainer_exclude */
    track_slot *tracks;
    size_t n_tracks, cap_tracks;
    lo_train_sample *samples;
    size_t n_samples, cap_samples;
};

lo_trainer *lo_trainer_new(const lo_feature_params *p, const lo_sensor *sensors, int n_sensors,
                           const double *ages_s, int n_ages, double every_s)
{
    lo_trainer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (p)
        t->params = *p;
    else
        lo_feature_params_default(&t->params);
    if (n_sensors > 0) {
        t->sensors = malloc((size_t)n_sensors * sizeof *sensors);
        if (!t->sensors) {
            free(t);
            return NULL;
        }
        memcpy(t->sensors, sensors, (size_t)n_sensors * sizeof *sensors);
        t->n_sensors = n_sensors;
    }
    t->n_ages = n_ages < MAX_AGES ? n_ages : MAX_AGES;
    for (int i = 0; i < t->n_ages; i++) t->ages[i] = ages_s[i];
    t->every_s = every_s;
    t->age_weight = 1;
    return t;
}

void lo_trainer_free(lo_trainer *t)
{
    if (!t) return;
    free(t->sensors);
    free(t->tracks);
    free(t->samples);
    free(t);
}

static track_slot *slot_for(lo_trainer *t, uint32_t id)
{
    /* Linear from the newest end: reports of the same few hundred tracks repeat each scan. */
    for (size_t i = t->n_tracks; i-- > 0;)
        if (t->tracks[i].f.track_id == id) return &t->tracks[i];
    if (t->n_tracks == t->cap_tracks) {
        size_t cap = t->cap_tracks ? 2 * t->cap_tracks : 64;
        track_slot *n = realloc(t->tracks, cap * sizeof *n);
        if (!n) return NULL;
        t->tracks = n;
        t->cap_tracks = cap;
    }
    track_slot *s = &t->tracks[t->n_tracks++];
    memset(s, 0, sizeof *s);
    lo_track_features_init(&s->f, id);
    s->next_periodic = INFINITY;
    return s;
}

static void add_sample(lo_trainer *t, const track_slot *s, lo_class label, int age_index,
                       uint32_t truth_id)
{
    if (t->n_samples == t->cap_samples) {
        size_t cap = t->cap_samples ? 2 * t->cap_samples : 256;
        lo_train_sample *n = realloc(t->samples, cap * sizeof *n);
        if (!n) return;
        t->samples = n;
        t->cap_samples = cap;
    }
    lo_train_sample *x = &t->samples[t->n_samples++];
    lo_track_features_values(&s->f, x->x);
    for (int f = 0; f < LO_FEAT_COUNT; f++)
        if (t->excluded[f]) x->x[f] = NAN;
    x->label = label;
    x->n_reports = s->f.n_reports;
    x->age_index = age_index;
    x->track_id = s->f.track_id;
    x->truth_id = truth_id;
}

void lo_trainer_add(lo_trainer *t, const lo_track *trk, lo_class truth,
                    const lo_classify_extra *extra)
{
    track_slot *s = slot_for(t, trk->id);
    if (!s) return;
    const lo_sensor *sensor = NULL;
    for (int i = 0; i < t->n_sensors; i++)
        if (t->sensors[i].id == trk->last_sensor_id) sensor = &t->sensors[i];
    lo_track_features_update(&s->f, &t->params, trk, sensor, extra);
    if (trk->status == LO_TRACK_TENTATIVE || trk->status == LO_TRACK_DELETED) return;
    if (!(trk->t_confirmed > 0) || truth == LO_CLASS_UNKNOWN) return;
    double age = trk->t - trk->t_confirmed;
    while (s->next_age < t->n_ages && age >= t->ages[s->next_age]) {
        add_sample(t, s, truth, s->next_age, trk->last_truth_id);
        s->next_age++;
        if (s->next_age == t->n_ages && t->every_s > 0)
            s->next_periodic = t->ages[t->n_ages - 1] + t->every_s;
    }
    if (t->n_ages == 0 && t->every_s > 0 && !isfinite(s->next_periodic)) s->next_periodic = 0;
    while (age >= s->next_periodic) {
        add_sample(t, s, truth, -1, trk->last_truth_id);
        s->next_periodic += t->every_s;
    }
}

void lo_trainer_new_run(lo_trainer *t) { t->n_tracks = 0; }

void lo_trainer_set_age_weight(lo_trainer *t, double weight) { t->age_weight = weight > 0 ? weight : 1; }

void lo_trainer_exclude(lo_trainer *t, lo_feature f)
{
    if ((int)f >= 0 && f < LO_FEAT_COUNT) t->excluded[f] = true;
}

const lo_train_sample *lo_trainer_samples(const lo_trainer *t, size_t *n)
{
    *n = t->n_samples;
    return t->samples;
}

/* Spreads below these are artefacts of few samples, not real precision (units of each
 * feature: m/s, m/s, m, m/s, m/s^2, rad/s, m/s^2, -, -, -, dBsm, dB, m/s, count, -, m/s,
 * m/s, -, m/s, rad/s, dBsm, m/s, m/s, rad/s). */
static const double std_floor[LO_FEAT_COUNT] = {
    0.5, 0.2, 5, 0.2, 0.2, 0.01, 0.1, 0.02, 0.01, 0.02, 1.0, 0.3, 0.2, 0.3, 0.02, 0.3, 0.2, 0.01,
    0.2, 0.01, 1.0, 0.2, 0.2, 0.01,
};

int lo_trainer_fit(const lo_trainer *t, bool uniform_prior, double temperature,
                   double evidence_reports, lo_classifier_model *m)
{
    if (t->n_samples < 2) return -1;
    double (*x)[LO_FEAT_COUNT] = malloc(t->n_samples * sizeof *x);
    lo_class *y = malloc(t->n_samples * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return -1;
    }
    for (size_t i = 0; i < t->n_samples; i++) {
        memcpy(x[i], t->samples[i].x, sizeof x[i]);
        y[i] = t->samples[i].label;
    }
    bool log_scale[LO_FEAT_COUNT];
    for (int f = 0; f < LO_FEAT_COUNT; f++) log_scale[f] = lo_feature_default_log_scale((lo_feature)f);
    int rc = lo_classifier_fit((const double (*)[LO_FEAT_COUNT])x, y, t->n_samples, std_floor,
                               uniform_prior, log_scale, m);
    free(x);
    free(y);
    if (rc) return rc;
    m->temperature = temperature > 0 ? temperature : 1;
    m->evidence_reports = evidence_reports >= 1 ? evidence_reports : 1;
    return 0;
}

int lo_trainer_fit_logistic(const lo_trainer *t, bool uniform_prior, double temperature,
                            double evidence_reports, double l2, int iterations,
                            lo_classifier_model *m)
{
    if (t->n_samples < 2) return -1;
    double (*x)[LO_FEAT_COUNT] = malloc(t->n_samples * sizeof *x);
    lo_class *y = malloc(t->n_samples * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return -1;
    }
    for (size_t i = 0; i < t->n_samples; i++) {
        memcpy(x[i], t->samples[i].x, sizeof x[i]);
        y[i] = t->samples[i].label;
    }
    bool log_scale[LO_FEAT_COUNT];
    for (int f = 0; f < LO_FEAT_COUNT; f++) log_scale[f] = lo_feature_default_log_scale((lo_feature)f);
    /* Large birds get a row of their own (LO_LARGE_BIRD_RCS_DBSM). */
    bool *sub = malloc(t->n_samples * sizeof *sub);
    double *wt = malloc(t->n_samples * sizeof *wt);
    const char *sub_names[LO_CLASS_COUNT] = {0};
    sub_names[LO_CLASS_BIRD] = "large_bird";
    if (!sub || !wt) {
        free(x);
        free(y);
        free(sub);
        free(wt);
        return -1;
    }
    for (size_t i = 0; i < t->n_samples; i++) {
        sub[i] = y[i] == LO_CLASS_BIRD && x[i][LO_FEAT_RCS_DBSM_MEDIAN] >= LO_LARGE_BIRD_RCS_DBSM;
        wt[i] = t->samples[i].age_index >= 0 ? t->age_weight : 1;
    }
    int rc = lo_classifier_fit_logistic_sub((const double (*)[LO_FEAT_COUNT])x, y, sub, sub_names,
                                            wt, t->n_samples, uniform_prior, log_scale, l2,
                                            iterations, m);
    free(x);
    free(y);
    free(sub);
    free(wt);
    if (rc) return rc;
    m->temperature = temperature > 0 ? temperature : 1;
    m->evidence_reports = evidence_reports >= 1 ? evidence_reports : 1;
    return 0;
}

long lo_trainer_confusion(const lo_trainer *t, const lo_classifier_model *m, int age_index,
                          long cm[LO_CLASS_COUNT][LO_CLASS_COUNT])
{
    memset(cm, 0, sizeof(long) * LO_CLASS_COUNT * LO_CLASS_COUNT);
    long n = 0;
    for (size_t i = 0; i < t->n_samples; i++) {
        const lo_train_sample *s = &t->samples[i];
        if (s->age_index != age_index) continue;
        double p[LO_CLASS_COUNT];
        lo_classifier_predict(m, s->x, s->n_reports, p);
        int best = 0;
        for (int c = 1; c < LO_CLASS_COUNT; c++)
            if (p[c] > p[best]) best = c;
        cm[s->label][best]++;
        n++;
    }
    return n;
}
