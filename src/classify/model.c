/*
 * The classifier model: Gaussian naive Bayes over the track features, its JSON parameter
 * file, fitting, and the per-track runtime (see lookout/classify.h).
 *
 * Why naive Bayes: it is small, its parameters are readable (a mean and spread per class and
 * feature, which can be set by hand from physics and checked by eye), it handles missing
 * features by leaving them out, and it fits in one pass. Its known flaw, over-confidence from
 * correlated features, is tempered by dividing the log-likelihood by `temperature`.
 */
#include "lookout/classify.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "lookout-classifier"
#define FORMAT_VERSION 1
#define MODEL_KIND "gaussian_naive_bayes"
#define MODEL_KIND_LOGISTIC "logistic_regression"

/* ---- prediction ----------------------------------------------------------------------------- */

#define LOG_OFFSET 0.01

static double model_scale(const lo_classifier_model *m, int f, double x)
{
    return m->log_scale[f] ? log(fmax(x, 0) + LOG_OFFSET) : x;
}

double lo_class_default_max_speed(lo_class c)
{
    double top;
    switch (c) {
    case LO_CLASS_MULTIROTOR: top = 20; break;
    case LO_CLASS_FIXED_WING: top = 50; break;
    case LO_CLASS_BIRD: top = 20; break;
    case LO_CLASS_AIRLINER: top = 250; break;
    case LO_CLASS_HELICOPTER: top = 80; break;
    case LO_CLASS_LIGHT_AIRCRAFT: top = 80; break;
    case LO_CLASS_GROUND_VEHICLE: top = 35; break;
    default: return 0;
    }
    return 2 * top + 20;
}

double lo_class_default_max_vrate(lo_class c)
{
    switch (c) {
    case LO_CLASS_AIRLINER: return 25;
    case LO_CLASS_HELICOPTER: return 30;
    case LO_CLASS_ROCKET:
    case LO_CLASS_CLUTTER:
    case LO_CLASS_UNKNOWN:
    case LO_CLASS_COUNT: return 0;
    default: return 45;
    }
}

/* The physical gates (max_speed_mps, max_vrate_mps): true when class c is still possible. */
static bool speed_allows(const lo_classifier_model *m, int c, double speed, double vrate)
{
    bool sp = !(m->max_speed_mps[c] > 0) || !isfinite(speed) || speed <= m->max_speed_mps[c];
    bool vr = !(m->max_vrate_mps[c] > 0) || !isfinite(vrate) || vrate <= m->max_vrate_mps[c];
    return sp && vr;
}

bool lo_feature_default_log_scale(lo_feature f)
{
    return f == LO_FEAT_SPEED_STD || f == LO_FEAT_VRATE_ABS_MEAN || f == LO_FEAT_TURN_RATE_RMS ||
           f == LO_FEAT_MANOEUVRE_ACC_RMS || f == LO_FEAT_TURN_RATE_MEAN_ABS ||
           f == LO_FEAT_VRATE_MEAN_ABS || f == LO_FEAT_CLIMB_PEAK || f == LO_FEAT_CIRCLING_PEAK;
}

void lo_classifier_predict(const lo_classifier_model *m, const double x[LO_FEAT_COUNT],
                           int n_reports, double prob[LO_CLASS_COUNT])
{
    double logp[LO_CLASS_COUNT], best = -INFINITY;
    double evidence = m->evidence_reports > 0 ? n_reports / m->evidence_reports : 1;
    if (evidence > 1) evidence = 1;
    if (evidence < 0) evidence = 0;
    double scale = evidence / (m->temperature > 0 ? m->temperature : 1);
    double zs[LO_FEAT_COUNT];
    if (m->kind == LO_CLASSIFIER_LOGISTIC)
        for (int f = 0; f < LO_FEAT_COUNT; f++)
            zs[f] = m->feature_used[f] && isfinite(x[f])
                       ? (model_scale(m, f, x[f]) - m->center[f]) / m->scale[f] : 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        logp[c] = -INFINITY;
        if (!m->class_used[c] || !(m->prior[c] > 0)) continue;
        if (m->kind == LO_CLASSIFIER_LOGISTIC) {
            double a = m->bias[c];
            for (int f = 0; f < LO_FEAT_COUNT; f++) a += m->weight[c][f] * zs[f];
            a *= scale;
            if (m->has_sub[c]) {
                /* log of the mean of exp over the two rows, without overflow */
                double b = m->sub_bias[c];
                for (int f = 0; f < LO_FEAT_COUNT; f++) b += m->sub_weight[c][f] * zs[f];
                b *= scale;
                double hi = a > b ? a : b;
                a = hi + log(0.5 * (exp(a - hi) + exp(b - hi)));
            }
            logp[c] = log(m->prior[c]) + a;
            if (logp[c] > best) best = logp[c];
            continue;
        }
        double ll = 0;
        for (int f = 0; f < LO_FEAT_COUNT; f++) {
            if (!m->feature_used[f] || !isfinite(x[f])) continue;
            double s = m->std[c][f], z = (model_scale(m, f, x[f]) - m->mean[c][f]) / s;
            ll += -0.5 * z * z - log(s);
        }
        logp[c] = log(m->prior[c]) + scale * ll;
        if (logp[c] > best) best = logp[c];
    }
    /* Physics first: classes too slow for this track are out, unless that leaves none. */
    double speed = x[LO_FEAT_SPEED_MEAN], vrate = fabs(x[LO_FEAT_VRATE_MEAN]);
    bool any_allowed = false;
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        if (isfinite(logp[c]) && speed_allows(m, c, speed, vrate)) any_allowed = true;
    if (any_allowed) {
        best = -INFINITY;
        for (int c = 0; c < LO_CLASS_COUNT; c++) {
            if (!speed_allows(m, c, speed, vrate)) logp[c] = -INFINITY;
            if (logp[c] > best) best = logp[c];
        }
    }
    double sum = 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        prob[c] = isfinite(logp[c]) ? exp(logp[c] - best) : 0;
        sum += prob[c];
    }
    for (int c = 0; c < LO_CLASS_COUNT; c++) prob[c] = sum > 0 ? prob[c] / sum : 0;
}

/* ---- JSON parameter file -------------------------------------------------------------------- */

static int perr(lo_diag_sink *sink, const char *src, long line, const char *field,
                const char *msg)
{
    lo_diag_report(sink, LO_DIAG_ERROR, src, line, 0, -1, field, "%s", msg);
    return -1;
}

static bool read_number_array(json_t *a, int n, double *out, bool positive)
{
    if (!json_is_array(a) || (int)json_array_size(a) != n) return false;
    for (int i = 0; i < n; i++) {
        json_t *v = json_array_get(a, (size_t)i);
        if (!json_is_number(v)) return false;
        out[i] = json_number_value(v);
        if (!isfinite(out[i]) || (positive && !(out[i] > 0))) return false;
    }
    return true;
}

int lo_classifier_model_parse(const char *json_text, const char *src, lo_classifier_model *m,
                              lo_diag_sink *sink)
{
    memset(m, 0, sizeof *m);
    json_error_t e;
    json_t *root = json_loads(json_text, 0, &e);
    if (!root) {
        lo_diag_report(sink, LO_DIAG_ERROR, src, e.line, e.column, -1, NULL, "JSON: %s", e.text);
        return -1;
    }
    int rc = -1;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, FORMAT_NAME) != 0) {
        perr(sink, src, 0, "format", "expected \"" FORMAT_NAME "\"");
        goto out;
    }
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != FORMAT_VERSION) {
        perr(sink, src, 0, "version", "expected 1 (the only parameter file version this build reads)");
        goto out;
    }
    m->version = FORMAT_VERSION;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    if (kind && strcmp(kind, MODEL_KIND_LOGISTIC) == 0)
        m->kind = LO_CLASSIFIER_LOGISTIC;
    else if (!kind || strcmp(kind, MODEL_KIND) != 0) {
        perr(sink, src, 0, "kind", "expected \"" MODEL_KIND "\" or \"" MODEL_KIND_LOGISTIC "\"");
        goto out;
    }
    bool logistic = m->kind == LO_CLASSIFIER_LOGISTIC;
    const char *name = json_string_value(json_object_get(root, "name"));
    snprintf(m->name, sizeof m->name, "%s", name ? name : "unnamed");
    const char *prov = json_string_value(json_object_get(root, "provenance"));
    snprintf(m->provenance, sizeof m->provenance, "%s", prov ? prov : "");
    json_t *temp = json_object_get(root, "temperature");
    m->temperature = temp ? json_number_value(temp) : 1;
    if (!(m->temperature > 0)) {
        perr(sink, src, 0, "temperature", "expected a number > 0");
        goto out;
    }
    json_t *ev = json_object_get(root, "evidence_reports");
    m->evidence_reports = ev ? json_number_value(ev) : 1;
    if (!(m->evidence_reports >= 1)) {
        perr(sink, src, 0, "evidence_reports", "expected a number >= 1");
        goto out;
    }

    json_t *feats = json_object_get(root, "features");
    if (!json_is_array(feats) || json_array_size(feats) == 0 ||
        json_array_size(feats) > LO_FEAT_COUNT) {
        perr(sink, src, 0, "features", "expected a list of feature names");
        goto out;
    }
    int nf = (int)json_array_size(feats);
    lo_feature order[LO_FEAT_COUNT];
    for (int i = 0; i < nf; i++) {
        char field[64];
        snprintf(field, sizeof field, "features[%d]", i);
        const char *fn = json_string_value(json_array_get(feats, (size_t)i));
        if (!fn || !lo_feature_from_name(fn, &order[i])) {
            char msg[128];
            snprintf(msg, sizeof msg, "unknown feature '%s'", fn ? fn : "(not a string)");
            perr(sink, src, 0, field, msg);
            goto out;
        }
        if (m->feature_used[order[i]]) {
            perr(sink, src, 0, field, "feature listed twice");
            goto out;
        }
        m->feature_used[order[i]] = true;
    }

    json_t *logs = json_object_get(root, "log_scale");
    if (logs && !json_is_array(logs)) {
        perr(sink, src, 0, "log_scale", "expected a list of feature names");
        goto out;
    }
    for (size_t i = 0; logs && i < json_array_size(logs); i++) {
        char field[64];
        snprintf(field, sizeof field, "log_scale[%zu]", i);
        const char *fn = json_string_value(json_array_get(logs, i));
        lo_feature f;
        if (!fn || !lo_feature_from_name(fn, &f) || !m->feature_used[f]) {
            perr(sink, src, 0, field, "not one of the model's features");
            goto out;
        }
        m->log_scale[f] = true;
    }
    if (logistic) {
        double center[LO_FEAT_COUNT], scl[LO_FEAT_COUNT];
        if (!read_number_array(json_object_get(root, "center"), nf, center, false)) {
            perr(sink, src, 0, "center", "expected one number per feature");
            goto out;
        }
        if (!read_number_array(json_object_get(root, "scale"), nf, scl, true)) {
            perr(sink, src, 0, "scale", "expected one number > 0 per feature");
            goto out;
        }
        for (int i = 0; i < nf; i++) {
            m->center[order[i]] = center[i];
            m->scale[order[i]] = scl[i];
        }
    }

    json_t *classes = json_object_get(root, "classes");
    if (!json_is_object(classes) || json_object_size(classes) < 2) {
        perr(sink, src, 0, "classes", "expected an object with at least two classes");
        goto out;
    }
    const char *cname;
    json_t *cv;
    double prior_sum = 0;
    json_object_foreach(classes, cname, cv)
    {
        char field[96];
        lo_class c;
        if (!lo_class_from_name(cname, &c) || c == LO_CLASS_UNKNOWN) {
            snprintf(field, sizeof field, "classes.%s", cname);
            perr(sink, src, 0, field, "unknown class");
            goto out;
        }
        double mean[LO_FEAT_COUNT], sd[LO_FEAT_COUNT];
        if (logistic) {
            snprintf(field, sizeof field, "classes.%s.weights", cname);
            json_t *b = json_object_get(cv, "bias");
            if (!read_number_array(json_object_get(cv, "weights"), nf, mean, false)) {
                char msg[96];
                snprintf(msg, sizeof msg, "expected %d numbers, one per feature", nf);
                perr(sink, src, 0, field, msg);
                goto out;
            }
            if (!json_is_number(b) || !isfinite(json_number_value(b))) {
                snprintf(field, sizeof field, "classes.%s.bias", cname);
                perr(sink, src, 0, field, "expected a number");
                goto out;
            }
            m->bias[c] = json_number_value(b);
            for (int i = 0; i < nf; i++) {
                m->weight[c][order[i]] = mean[i];
                sd[i] = 1;
                mean[i] = 0;
            }
            json_t *sub = json_object_get(cv, "subclass");
            if (sub) {
                double sw[LO_FEAT_COUNT];
                json_t *sb = json_object_get(sub, "bias");
                const char *sn = json_string_value(json_object_get(sub, "name"));
                snprintf(field, sizeof field, "classes.%s.subclass", cname);
                if (!json_is_object(sub) || !sn || !json_is_number(sb) ||
                    !isfinite(json_number_value(sb)) ||
                    !read_number_array(json_object_get(sub, "weights"), nf, sw, false)) {
                    perr(sink, src, 0, field, "expected {\"name\", \"bias\", \"weights\": one per feature}");
                    goto out;
                }
                m->has_sub[c] = true;
                snprintf(m->sub_name[c], sizeof m->sub_name[c], "%s", sn);
                m->sub_bias[c] = json_number_value(sb);
                for (int i = 0; i < nf; i++) m->sub_weight[c][order[i]] = sw[i];
            }
        } else {
        snprintf(field, sizeof field, "classes.%s.mean", cname);
        if (!read_number_array(json_object_get(cv, "mean"), nf, mean, false)) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected %d numbers, one per feature", nf);
            perr(sink, src, 0, field, msg);
            goto out;
        }
        snprintf(field, sizeof field, "classes.%s.std", cname);
        if (!read_number_array(json_object_get(cv, "std"), nf, sd, true)) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected %d numbers > 0, one per feature", nf);
            perr(sink, src, 0, field, msg);
            goto out;
        }
        }
        json_t *pr = json_object_get(cv, "prior");
        double prior = pr ? json_number_value(pr) : 1;
        if (!(prior >= 0) || (pr && !json_is_number(pr))) {
            snprintf(field, sizeof field, "classes.%s.prior", cname);
            perr(sink, src, 0, field, "expected a number >= 0");
            goto out;
        }
        json_t *ms = json_object_get(cv, "max_speed_mps");
        if (ms && (!json_is_number(ms) || !(json_number_value(ms) >= 0))) {
            snprintf(field, sizeof field, "classes.%s.max_speed_mps", cname);
            perr(sink, src, 0, field, "expected a speed >= 0 (0: no limit)");
            goto out;
        }
        m->max_speed_mps[c] = ms ? json_number_value(ms) : 0;
        json_t *mv = json_object_get(cv, "max_vertical_rate_mps");
        if (mv && (!json_is_number(mv) || !(json_number_value(mv) >= 0))) {
            snprintf(field, sizeof field, "classes.%s.max_vertical_rate_mps", cname);
            perr(sink, src, 0, field, "expected a vertical rate >= 0 (0: no limit)");
            goto out;
        }
        m->max_vrate_mps[c] = mv ? json_number_value(mv) : 0;
        m->class_used[c] = true;
        m->prior[c] = prior;
        prior_sum += prior;
        for (int i = 0; i < nf; i++) {
            m->mean[c][order[i]] = mean[i];
            m->std[c][order[i]] = sd[i];
        }
    }
    if (!(prior_sum > 0)) {
        perr(sink, src, 0, "classes", "all priors are zero");
        goto out;
    }
    for (int c = 0; c < LO_CLASS_COUNT; c++) m->prior[c] /= prior_sum;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int lo_classifier_model_load(const char *path, lo_classifier_model *m, lo_diag_sink *sink)
{
    json_error_t e;
    /* Let jansson read the file (it reports line/column of syntax errors), then re-dump
     * for the parser; parameter files are a few kilobytes. */
    json_t *root = json_load_file(path, 0, &e);
    if (!root) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, e.line > 0 ? e.line : 0,
                       e.column > 0 ? e.column : 0, -1, NULL, "%s", e.text);
        return -1;
    }
    char *text = json_dumps(root, 0);
    json_decref(root);
    if (!text) return perr(sink, path, 0, NULL, "out of memory");
    int rc = lo_classifier_model_parse(text, path, m, sink);
    free(text);
    return rc;
}

int lo_classifier_model_write(const lo_classifier_model *m, FILE *out)
{
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string(FORMAT_NAME));
    json_object_set_new(root, "version", json_integer(FORMAT_VERSION));
    bool logistic = m->kind == LO_CLASSIFIER_LOGISTIC;
    json_object_set_new(root, "kind", json_string(logistic ? MODEL_KIND_LOGISTIC : MODEL_KIND));
    json_object_set_new(root, "name", json_string(m->name));
    json_object_set_new(root, "provenance", json_string(m->provenance));
    json_object_set_new(root, "temperature", json_real(m->temperature));
    json_object_set_new(root, "evidence_reports", json_real(m->evidence_reports));
    json_t *feats = json_array();
    for (int f = 0; f < LO_FEAT_COUNT; f++)
        if (m->feature_used[f]) json_array_append_new(feats, json_string(lo_feature_name((lo_feature)f)));
    json_object_set_new(root, "features", feats);
    json_t *logs = json_array();
    for (int f = 0; f < LO_FEAT_COUNT; f++)
        if (m->feature_used[f] && m->log_scale[f])
            json_array_append_new(logs, json_string(lo_feature_name((lo_feature)f)));
    if (json_array_size(logs))
        json_object_set_new(root, "log_scale", logs);
    else
        json_decref(logs);
    if (logistic) {
        json_t *center = json_array(), *scl = json_array();
        for (int f = 0; f < LO_FEAT_COUNT; f++)
            if (m->feature_used[f]) {
                json_array_append_new(center, json_real(m->center[f]));
                json_array_append_new(scl, json_real(m->scale[f]));
            }
        json_object_set_new(root, "center", center);
        json_object_set_new(root, "scale", scl);
    }
    json_t *classes = json_object();
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        if (!m->class_used[c]) continue;
        json_t *o = json_object(), *mean = json_array(), *sd = json_array();
        for (int f = 0; f < LO_FEAT_COUNT; f++) {
            if (!m->feature_used[f]) continue;
            json_array_append_new(mean, json_real(logistic ? m->weight[c][f] : m->mean[c][f]));
            json_array_append_new(sd, json_real(m->std[c][f]));
        }
        json_object_set_new(o, "prior", json_real(m->prior[c]));
        if (m->max_speed_mps[c] > 0) json_object_set_new(o, "max_speed_mps", json_real(m->max_speed_mps[c]));
        if (m->max_vrate_mps[c] > 0)
            json_object_set_new(o, "max_vertical_rate_mps", json_real(m->max_vrate_mps[c]));
        if (logistic) {
            json_object_set_new(o, "bias", json_real(m->bias[c]));
            json_object_set_new(o, "weights", mean);
            json_decref(sd);
            if (m->has_sub[c]) {
                json_t *sub = json_object(), *sw = json_array();
                for (int f = 0; f < LO_FEAT_COUNT; f++)
                    if (m->feature_used[f]) json_array_append_new(sw, json_real(m->sub_weight[c][f]));
                json_object_set_new(sub, "name", json_string(m->sub_name[c]));
                json_object_set_new(sub, "bias", json_real(m->sub_bias[c]));
                json_object_set_new(sub, "weights", sw);
                json_object_set_new(o, "subclass", sub);
            }
        } else {
            json_object_set_new(o, "mean", mean);
            json_object_set_new(o, "std", sd);
        }
        json_object_set_new(classes, lo_class_name((lo_class)c), o);
    }
    json_object_set_new(root, "classes", classes);
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (rc == 0 && fputc('\n', out) == EOF) rc = -1;
    return rc == 0 ? 0 : -1;
}

/* ---- fitting -------------------------------------------------------------------------------- */

int lo_classifier_fit(const double (*x)[LO_FEAT_COUNT], const lo_class *labels, size_t n,
                      const double *std_floor, bool uniform_prior, const bool *log_scale,
                      lo_classifier_model *m)
{
    memset(m, 0, sizeof *m);
    for (int f = 0; f < LO_FEAT_COUNT; f++) m->log_scale[f] = log_scale && log_scale[f];
    m->version = FORMAT_VERSION;
    m->temperature = 1;
    m->evidence_reports = 1;
    snprintf(m->name, sizeof m->name, "fitted");
    static double cnt[LO_CLASS_COUNT][LO_FEAT_COUNT], sum[LO_CLASS_COUNT][LO_FEAT_COUNT],
        sum2[LO_CLASS_COUNT][LO_FEAT_COUNT];
    double gcnt[LO_FEAT_COUNT] = {0}, gsum[LO_FEAT_COUNT] = {0}, gsum2[LO_FEAT_COUNT] = {0};
    size_t ccount[LO_CLASS_COUNT] = {0};
    memset(cnt, 0, sizeof cnt);
    memset(sum, 0, sizeof sum);
    memset(sum2, 0, sizeof sum2);
    for (size_t i = 0; i < n; i++) {
        int c = labels[i];
        if (c <= LO_CLASS_UNKNOWN || c >= LO_CLASS_COUNT) continue;
        ccount[c]++;
        for (int f = 0; f < LO_FEAT_COUNT; f++) {
            double v = x[i][f];
            if (!isfinite(v)) continue;
            v = model_scale(m, f, v);
            cnt[c][f]++, sum[c][f] += v, sum2[c][f] += v * v;
            gcnt[f]++, gsum[f] += v, gsum2[f] += v * v;
        }
    }
    int used = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (ccount[c] >= 2) used++;
    if (used < 1) return -1;
    for (int f = 0; f < LO_FEAT_COUNT; f++) m->feature_used[f] = gcnt[f] >= 2;
    for (int c = 1; c < LO_CLASS_COUNT; c++) {
        if (ccount[c] < 2) continue;
        m->class_used[c] = true;
        m->prior[c] = uniform_prior ? 1.0 / used : (double)ccount[c] / (double)n;
        for (int f = 0; f < LO_FEAT_COUNT; f++) {
            if (!m->feature_used[f]) continue;
            double floor_ = m->log_scale[f] ? 0.05 : std_floor ? std_floor[f] : 1e-3;
            if (!(floor_ > 0)) floor_ = 1e-3;
            double mu, var;
            if (cnt[c][f] >= 2) {
                mu = sum[c][f] / cnt[c][f];
                var = (sum2[c][f] - cnt[c][f] * mu * mu) / (cnt[c][f] - 1);
            } else {
                /* Never seen for this class: uninformative (global mean, wide spread). */
                mu = gsum[f] / gcnt[f];
                var = 100 * (gsum2[f] - gcnt[f] * mu * mu) / (gcnt[f] - 1);
            }
            double sd = sqrt(fmax(0, var));
            m->mean[c][f] = mu;
            m->std[c][f] = sd > floor_ ? sd : floor_;
        }
    }
    double ps = 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++) ps += m->prior[c];
    for (int c = 0; c < LO_CLASS_COUNT; c++) m->prior[c] /= ps;
    return 0;
}

/* Multinomial logistic regression. The inputs are standardised (mean 0, spread 1 over all
 * samples, in the modelled scale; an unknown feature is 0, its mean), each sample weighs
 * n / (K n_class) so that every class pulls equally, and full-batch Adam (step 0.05, the usual
 * betas) minimises the weighted mean cross-entropy plus l2/2 |W|^2 from W = 0: the same data
 * give the same parameters. */
int lo_classifier_fit_logistic(const double (*x)[LO_FEAT_COUNT], const lo_class *labels, size_t n,
                               bool uniform_prior, const bool *log_scale, double l2,
                               int iterations, lo_classifier_model *m)
{
    return lo_classifier_fit_logistic_sub(x, labels, NULL, NULL, NULL, n, uniform_prior, log_scale,
                                          l2, iterations, m);
}

int lo_classifier_fit_logistic_sub(const double (*x)[LO_FEAT_COUNT], const lo_class *labels,
                                   const bool *sub, const char *const *sub_names,
                                   const double *weight, size_t n,
                                   bool uniform_prior, const bool *log_scale, double l2,
                                   int iterations, lo_classifier_model *m)
{
    memset(m, 0, sizeof *m);
    m->version = FORMAT_VERSION;
    m->kind = LO_CLASSIFIER_LOGISTIC;
    m->temperature = 1;
    m->evidence_reports = 1;
    snprintf(m->name, sizeof m->name, "fitted");
    for (int f = 0; f < LO_FEAT_COUNT; f++) m->log_scale[f] = log_scale && log_scale[f];
    size_t ccount[LO_CLASS_COUNT] = {0}, scount[LO_CLASS_COUNT] = {0};
    double gcnt[LO_FEAT_COUNT] = {0}, gsum[LO_FEAT_COUNT] = {0}, gsum2[LO_FEAT_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        int c = labels[i];
        if (c <= LO_CLASS_UNKNOWN || c >= LO_CLASS_COUNT) continue;
        ccount[c]++;
        if (sub && sub[i]) scount[c]++;
        for (int f = 0; f < LO_FEAT_COUNT; f++)
            if (isfinite(x[i][f])) {
                double v = model_scale(m, f, x[i][f]);
                gcnt[f]++, gsum[f] += v, gsum2[f] += v * v;
            }
    }
    /* Rows of the softmax: one per class, and a second one for a class whose subclass and
     * rest both have two samples or more. */
    int classes[2 * LO_CLASS_COUNT], k = 0, n_classes = 0;
    bool row_sub[2 * LO_CLASS_COUNT];
    size_t n_used = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (ccount[c] >= 2) {
            n_classes++;
            n_used += ccount[c];
            bool split = scount[c] >= 2 && ccount[c] - scount[c] >= 2;
            m->has_sub[c] = split;
            if (split)
                snprintf(m->sub_name[c], sizeof m->sub_name[c], "%s",
                         sub_names && sub_names[c] ? sub_names[c] : "sub");
            classes[k] = c, row_sub[k++] = false;
            if (split) classes[k] = c, row_sub[k++] = true;
        }
    if (n_classes < 2) return -1;
    int feats[LO_FEAT_COUNT], nf = 0;
    for (int f = 0; f < LO_FEAT_COUNT; f++) {
        if (gcnt[f] < 2) continue;
        double mu = gsum[f] / gcnt[f], var = (gsum2[f] - gcnt[f] * mu * mu) / (gcnt[f] - 1);
        if (!(var > 1e-12)) continue; /* constant: tells nothing */
        m->feature_used[f] = true;
        m->center[f] = mu;
        m->scale[f] = sqrt(var);
        feats[nf++] = f;
    }
    for (int j = 0; j < k; j++) {
        int c = classes[j];
        m->class_used[c] = true;
        m->prior[c] = uniform_prior ? 1.0 / n_classes : (double)ccount[c] / (double)n_used;
        m->max_speed_mps[c] = lo_class_default_max_speed((lo_class)c);
        m->max_vrate_mps[c] = lo_class_default_max_vrate((lo_class)c);
    }
    /* Standardised design matrix (n_used x nf) and labels as class slots. */
    float *z = malloc(n_used * (size_t)(nf ? nf : 1) * sizeof *z);
    int *slot = malloc(n_used * sizeof *slot);
    double *grad = calloc((size_t)k * (nf + 1), sizeof *grad);
    double *w = calloc((size_t)k * (nf + 1), sizeof *w); /* row j: nf weights, then the bias */
    double *am = calloc((size_t)k * (nf + 1), sizeof *am), *av = calloc((size_t)k * (nf + 1), sizeof *av);
    if (!z || !slot || !grad || !w || !am || !av) {
        free(z), free(slot), free(grad), free(w), free(am), free(av);
        return -1;
    }
    double cw[2 * LO_CLASS_COUNT], rweight[2 * LO_CLASS_COUNT] = {0};
    double *sw_of = malloc(n_used * sizeof *sw_of); /* each used sample's own weight */
    if (!sw_of) {
        free(z), free(slot), free(grad), free(w), free(am), free(av);
        return -1;
    }
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        int c = labels[i], j = -1;
        bool in_sub = sub && sub[i];
        for (int q = 0; q < k; q++)
            if (classes[q] == c && (!row_sub[q] || in_sub)) j = q; /* the sub row comes second */
        if (j < 0) continue;
        slot[r] = j;
        sw_of[r] = weight && weight[i] > 0 ? weight[i] : 1;
        rweight[j] += sw_of[r];
        for (int q = 0; q < nf; q++) {
            int f = feats[q];
            z[r * nf + q] = isfinite(x[i][f])
                                ? (float)((model_scale(m, f, x[i][f]) - m->center[f]) / m->scale[f]) : 0;
        }
        r++;
    }
    /* Balanced: every row's weights sum to n_used / k. */
    for (int j = 0; j < k; j++) cw[j] = rweight[j] > 0 ? (double)n_used / ((double)k * rweight[j]) : 0;
    const int stride = nf + 1;
    const double step = 0.05, b1 = 0.9, b2 = 0.999;
    double p[2 * LO_CLASS_COUNT];
    for (int it = 1; it <= iterations; it++) {
        memset(grad, 0, (size_t)k * stride * sizeof *grad);
        for (size_t i = 0; i < n_used; i++) {
            const float *zi = &z[i * nf];
            double best = -INFINITY, sum = 0;
            for (int j = 0; j < k; j++) {
                const double *wj = &w[j * stride];
                double a = wj[nf];
                for (int q = 0; q < nf; q++) a += wj[q] * zi[q];
                p[j] = a;
                if (a > best) best = a;
            }
            for (int j = 0; j < k; j++) sum += (p[j] = exp(p[j] - best));
            double sw = cw[slot[i]] * sw_of[i] / (double)n_used;
            for (int j = 0; j < k; j++) {
                double g = sw * (p[j] / sum - (j == slot[i]));
                double *gj = &grad[j * stride];
                for (int q = 0; q < nf; q++) gj[q] += g * zi[q];
                gj[nf] += g;
            }
        }
        double c1 = 1 - pow(b1, it), c2 = 1 - pow(b2, it);
        for (int j = 0; j < k; j++)
            for (int q = 0; q <= nf; q++) {
                size_t o = (size_t)j * stride + q;
                double g = grad[o] + (q < nf ? l2 * w[o] : 0);
                am[o] = b1 * am[o] + (1 - b1) * g;
                av[o] = b2 * av[o] + (1 - b2) * g * g;
                w[o] -= step * (am[o] / c1) / (sqrt(av[o] / c2) + 1e-8);
            }
    }
    for (int j = 0; j < k; j++) {
        int c = classes[j];
        double *wt = row_sub[j] ? m->sub_weight[c] : m->weight[c];
        for (int q = 0; q < nf; q++) wt[feats[q]] = w[j * stride + q];
        if (row_sub[j]) m->sub_bias[c] = w[j * stride + nf];
        else m->bias[c] = w[j * stride + nf];
        for (int f = 0; f < LO_FEAT_COUNT; f++) m->std[c][f] = 1;
    }
    free(z), free(slot), free(grad), free(w), free(am), free(av), free(sw_of);
    return 0;
}

/* ---- runtime -------------------------------------------------------------------------------- */

struct lo_classifier {
    lo_classifier_model model;
    lo_classifier_model fallback;      /* lo_classifier_set_fallback */
    bool has_fallback;
    bool needs[LO_FEAT_COUNT];         /* used by the main model, not by the fallback */
    lo_feature_params params;
    lo_sensor *sensors;
    int n_sensors;
    lo_track_features *tracks; /* sorted by track_id */
    size_t n, cap;
};

lo_classifier *lo_classifier_new(const lo_classifier_model *m, const lo_feature_params *p,
                                 const lo_sensor *sensors, int n_sensors)
{
    lo_classifier *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->model = *m;
    if (p)
        c->params = *p;
    else
        lo_feature_params_default(&c->params);
    if (n_sensors > 0) {
        c->sensors = malloc((size_t)n_sensors * sizeof *sensors);
        if (!c->sensors) {
            free(c);
            return NULL;
        }
        memcpy(c->sensors, sensors, (size_t)n_sensors * sizeof *sensors);
        c->n_sensors = n_sensors;
    }
    return c;
}

void lo_classifier_set_fallback(lo_classifier *c, const lo_classifier_model *m)
{
    c->fallback = *m;
    c->has_fallback = true;
    for (int f = 0; f < LO_FEAT_COUNT; f++)
        c->needs[f] = c->model.feature_used[f] && !m->feature_used[f];
}

/* The main model, or the fallback when the track lacks a feature only the main one uses. */
static const lo_classifier_model *model_for(const lo_classifier *c, const double x[LO_FEAT_COUNT])
{
    if (c->has_fallback)
        for (int f = 0; f < LO_FEAT_COUNT; f++)
            if (c->needs[f] && !isfinite(x[f])) return &c->fallback;
    return &c->model;
}

void lo_classifier_free(lo_classifier *c)
{
    if (!c) return;
    free(c->sensors);
    free(c->tracks);
    free(c);
}

/* Index of track_id, or where it would go (and *found = false). */
static size_t find_slot(const lo_classifier *c, uint32_t id, bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->tracks[mid].track_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < c->n && c->tracks[lo].track_id == id;
    return lo;
}

const lo_track_features *lo_classifier_features(const lo_classifier *c, uint32_t track_id)
{
    bool found;
    size_t i = find_slot(c, track_id, &found);
    return found ? &c->tracks[i] : NULL;
}

void lo_classifier_update(lo_classifier *c, lo_track *trk, const lo_classify_extra *extra)
{
    bool found;
    size_t i = find_slot(c, trk->id, &found);
    if (trk->status == LO_TRACK_DELETED) {
        if (found) {
            /* The last report still carries the last probabilities. */
            double x[LO_FEAT_COUNT];
            lo_track_features_values(&c->tracks[i], x);
            lo_classifier_predict(model_for(c, x), x, c->tracks[i].n_reports, trk->class_prob);
            memmove(&c->tracks[i], &c->tracks[i + 1], (c->n - i - 1) * sizeof c->tracks[0]);
            c->n--;
        }
        return;
    }
    if (!found) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 64;
            lo_track_features *t = realloc(c->tracks, cap * sizeof *t);
            if (!t) return; /* out of memory: this track stays unclassified */
            c->tracks = t;
            c->cap = cap;
        }
        memmove(&c->tracks[i + 1], &c->tracks[i], (c->n - i) * sizeof c->tracks[0]);
        c->n++;
        lo_track_features_init(&c->tracks[i], trk->id);
    }
    const lo_sensor *sensor = NULL;
    for (int s = 0; s < c->n_sensors; s++)
        if (c->sensors[s].id == trk->last_sensor_id) sensor = &c->sensors[s];
    lo_track_features_update(&c->tracks[i], &c->params, trk, sensor, extra);
    double x[LO_FEAT_COUNT];
    lo_track_features_values(&c->tracks[i], x);
    lo_classifier_predict(model_for(c, x), x, c->tracks[i].n_reports, trk->class_prob);
    trk->doppler_spread_mean_mps = isfinite(x[LO_FEAT_RADIAL_VEL_SPREAD]) ? x[LO_FEAT_RADIAL_VEL_SPREAD] : 0;
}
