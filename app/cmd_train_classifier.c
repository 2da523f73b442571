/* lookout train-classifier: fit the classifier's parameter file from tracked data with truth,
 * and score a model on held-out data (docs/threat.md, "Training"). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lookout/classify.h"
#include "lookout/config.h"
#include "lookout/formats.h"

#define MAX_AGES 8

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout train-classifier --tracks FILE --truth FILE [--tracks FILE --truth FILE\n"
            "         ...] --out MODEL.json [OPTIONS]\n"
            "       lookout train-classifier --model MODEL.json --eval-tracks FILE --eval-truth FILE\n"
            "Fits the classifier (naive Bayes or logistic regression over track features) on\n"
            "track reports whose plots carry truth ids (plot_truth_id) and the truth file that\n"
            "names each object's class; writes the parameter file. With --eval-tracks and\n"
            "--eval-truth (held-out runs: other seeds), prints confusion matrices at the sample\n"
            "ages for the fitted model, or for --model without training.\n"
            "Files are CSV or JSON lines (docs/formats.md). --tracks/--truth (and --eval-tracks/\n"
            "--eval-truth) may be repeated, one pair per run (seed), paired in order.\n\n"
            "Options:\n"
            "  --tracks FILE       training track reports (e.g. lookout track output)\n"
            "  --truth FILE        truth of the training runs (class per truth_id)\n"
            "  --site FILE         site YAML: its sensors turn SNR into RCS (radar equation)\n"
            "  --out FILE          the parameter file to write (e.g. data/classifier-v3.json)\n"
            "  --name NAME         model name in the file (default: the --out file name)\n"
            "  --note TEXT         added to the file's provenance (e.g. code revisions)\n"
            "  --no-clutter        reports whose plot has truth id 0 (a false alarm) are\n"
            "                      unlabelled instead of class clutter\n"
            "  --ages LIST         track ages (s since confirmation) to sample and score at\n"
            "                      (default 5,10,30)\n"
            "  --every S           and every S seconds after the last age when training\n"
            "                      (default 10; 0: only at the ages)\n"
            "  --temperature T     divide log-likelihoods by T (default 3)\n"
            "  --evidence N        evidence ramps up over N reports (default 10)\n"
            "  --uniform-prior     equal class priors instead of the training frequencies\n"
            "  --prior-power P     priors = frequencies^P, normalised (default 1; 0 = uniform)\n"
            "  --age-weight W      logistic: the samples at the --ages weigh W against the\n"
            "                      periodic ones (default 1; above 1 favours young tracks)\n"
            "  --exclude-feature F leave feature F out of the model (repeatable), e.g.\n"
            "                      radial_vel_spread for radars without a Doppler spread\n"
            "  --prior-runs N      count the class frequencies on the first N --tracks runs only\n"
            "                      (scenes with a realistic mix); the later runs (enriched with\n"
            "                      rare classes) add samples to the fit but not to the priors\n"
            "  --kind K            naive-bayes (default) or logistic (multinomial logistic\n"
            "                      regression, class-balanced; docs/classification.md)\n"
            "  --l2 L              logistic: weight decay (default 0.001)\n"
            "  --iterations N      logistic: full-batch optimiser steps (default 300)\n"
            "  --ballistic-model I index of the tracker's ballistic model in p_model0..3\n"
            "  --cv-model I        index of its constant-velocity model\n"
            "  --flock-radius M    neighbours within M metres moving alike count as a flock\n"
            "                      (default 150; 0: no flock feature)\n"
            "  --model FILE        score this parameter file instead of training one\n"
            "  --eval-tracks FILE  held-out track reports\n"
            "  --eval-truth FILE   held-out truth\n"
            "  --dump-samples FILE write the held-out samples (or, without held-out runs, the\n"
            "                      training samples) as CSV: run, truth id, track, label, age,\n"
            "                      every feature, the model's class and probabilities\n"
            "  -h, --help          this text\n");
}

/* truth_id -> class, sorted for bsearch. */
typedef struct truth_class {
    uint32_t id;
    lo_class cls;
} truth_class;

static int cmp_truth(const void *a, const void *b)
{
    uint32_t x = ((const truth_class *)a)->id, y = ((const truth_class *)b)->id;
    return (x > y) - (x < y);
}

static truth_class *read_truth_classes(const char *path, size_t *n_out)
{
    lo_diag_sink sink = {0};
    lo_reader *r = lo_truth_reader_open(path, &sink);
    if (!r) return NULL;
    truth_class *map = NULL;
    size_t n = 0, cap = 0;
    lo_truth t;
    int rc;
    while ((rc = lo_truth_reader_next(r, &t)) == 1) {
        if (n && map[n - 1].id == t.truth_id) continue; /* samples of one object come together */
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            truth_class *m = realloc(map, cap * sizeof *m);
            if (!m) break;
            map = m;
        }
        map[n++] = (truth_class){t.truth_id, t.cls};
    }
    lo_reader_close(r);
    if (rc < 0) {
        free(map);
        return NULL;
    }
    qsort(map, n, sizeof *map, cmp_truth);
    /* Deduplicate (interleaved samples of several objects). */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || map[k - 1].id != map[i].id) map[k++] = map[i];
    *n_out = k;
    if (!map) map = malloc(1);
    return map;
}

static lo_class class_of(const truth_class *map, size_t n, uint32_t truth_id, bool zero_clutter)
{
    /* Simulated plots with truth id 0 are false alarms: a track living on them is clutter. */
    if (!truth_id) return zero_clutter ? LO_CLASS_CLUTTER : LO_CLASS_UNKNOWN;
    truth_class key = {truth_id, LO_CLASS_UNKNOWN};
    const truth_class *f = bsearch(&key, map, n, sizeof *map, cmp_truth);
    return f ? f->cls : LO_CLASS_UNKNOWN;
}

typedef struct options {
    double flock_radius;
    bool zero_clutter;
} options;

/* Stream the track reports into the trainer, scan by scan (reports within 1 s of the first of
 * a batch), counting flock neighbours in each batch. Returns the number of reports, -1. */
static long feed(lo_trainer *tr, const char *tracks_path, const char *truth_path,
                 const options *o)
{
    size_t n_truth = 0;
    truth_class *map = read_truth_classes(truth_path, &n_truth);
    if (!map) {
        fprintf(stderr, "lookout train-classifier: %s: cannot read the truth\n", truth_path);
        return -1;
    }
    lo_diag_sink sink = {0};
    lo_reader *r = lo_track_reader_open(tracks_path, &sink);
    if (!r) {
        free(map);
        return -1;
    }
    size_t cap = 1024, nb = 0;
    lo_track *batch = malloc(cap * sizeof *batch);
    int *counts = malloc(cap * sizeof *counts);
    long n = 0;
    int rc = 0;
    bool more = true;
    while (more && batch && counts) {
        lo_track t;
        rc = lo_track_reader_next(r, &t);
        more = rc == 1;
        bool flush = !more || (nb > 0 && t.t - batch[0].t >= 1.0) || nb == cap;
        if (flush && nb > 0) {
            if (o->flock_radius > 0)
                lo_classify_count_neighbours(batch, nb, o->flock_radius, 4.0, counts);
            for (size_t i = 0; i < nb; i++) {
                lo_classify_extra ex = {.flock_neighbours = o->flock_radius > 0 ? counts[i] : -1};
                lo_trainer_add(tr, &batch[i], class_of(map, n_truth, batch[i].last_truth_id, o->zero_clutter), &ex);
            }
            n += (long)nb;
            nb = 0;
        }
        if (more) batch[nb++] = t;
    }
    lo_reader_close(r);
    free(batch);
    free(counts);
    free(map);
    return rc < 0 ? -1 : n;
}

static void print_confusion(const lo_trainer *held, const lo_classifier_model *m,
                            const double *ages, int n_ages)
{
    for (int k = 0; k < n_ages; k++) {
        long cm[LO_CLASS_COUNT][LO_CLASS_COUNT];
        long n = lo_trainer_confusion(held, m, k, cm);
        long right = 0, group_right = 0;
        for (int a = 0; a < LO_CLASS_COUNT; a++)
            for (int b = 0; b < LO_CLASS_COUNT; b++) {
                if (a == b) right += cm[a][b];
                if (lo_class_group_of((lo_class)a) == lo_class_group_of((lo_class)b))
                    group_right += cm[a][b];
            }
        printf("\nage %.0f s: %ld tracks, class correct %.1f%%, group correct %.1f%%\n", ages[k],
               n, n ? 100.0 * right / n : 0, n ? 100.0 * group_right / n : 0);
        printf("%-16s", "truth \\ class");
        for (int b = 1; b < LO_CLASS_COUNT; b++)
            if (m->class_used[b]) printf(" %10.10s", lo_class_name((lo_class)b));
        printf("\n");
        for (int a = 1; a < LO_CLASS_COUNT; a++) {
            long row = 0;
            for (int b = 0; b < LO_CLASS_COUNT; b++) row += cm[a][b];
            if (!row) continue;
            printf("%-16s", lo_class_name((lo_class)a));
            for (int b = 1; b < LO_CLASS_COUNT; b++)
                if (m->class_used[b]) printf(" %10ld", cm[a][b]);
            printf("\n");
        }
    }
}

/* --dump-samples: one row per sample, for looking at what the model sees (which features
 * tell which objects apart, and why one is called wrong). run_end[r] is the number of samples
 * after run r was fed. */
static int dump_samples(const char *path, const lo_trainer *t, const lo_classifier_model *m,
                        const size_t *run_end, int n_runs, const double *ages, int n_ages)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lookout train-classifier: %s: cannot write: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "run,truth_id,track_id,label,age_s,n_reports");
    for (int k = 0; k < LO_FEAT_COUNT; k++) fprintf(f, ",%s", lo_feature_name((lo_feature)k));
    fprintf(f, ",class");
    for (int c = 1; c < LO_CLASS_COUNT; c++) fprintf(f, ",p_%s", lo_class_name((lo_class)c));
    fprintf(f, "\n");
    size_t n;
    const lo_train_sample *s = lo_trainer_samples(t, &n);
    int run = 0;
    for (size_t i = 0; i < n; i++) {
        while (run < n_runs - 1 && i >= run_end[run]) run++;
        double p[LO_CLASS_COUNT];
        lo_classifier_predict(m, s[i].x, s[i].n_reports, p);
        int best = 0;
        for (int c = 1; c < LO_CLASS_COUNT; c++)
            if (p[c] > p[best]) best = c;
        fprintf(f, "%d,%u,%u,%s,", run, (unsigned)s[i].truth_id, (unsigned)s[i].track_id,
                lo_class_name(s[i].label));
        if (s[i].age_index >= 0 && s[i].age_index < n_ages) fprintf(f, "%g", ages[s[i].age_index]);
        else fprintf(f, "-1");
        fprintf(f, ",%d", s[i].n_reports);
        for (int k = 0; k < LO_FEAT_COUNT; k++) {
            if (isfinite(s[i].x[k])) fprintf(f, ",%.6g", s[i].x[k]);
            else fprintf(f, ",");
        }
        fprintf(f, ",%s", lo_class_name((lo_class)best));
        for (int c = 1; c < LO_CLASS_COUNT; c++) fprintf(f, ",%.4g", p[c]);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "lookout train-classifier: %s: cannot write: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_train_classifier(int argc, char **argv)
{
    enum { O_TRACKS = 256, O_TRUTH, O_SITE, O_OUT, O_NAME, O_AGES, O_EVERY, O_TEMP, O_EVID,
           O_UNIFORM, O_BALL, O_CV, O_FLOCK, O_MODEL, O_ETRACKS, O_ETRUTH, O_NOTE,
           O_NOCLUTTER, O_KIND, O_L2, O_ITER, O_PRIOR_POWER, O_DUMP, O_PRIOR_RUNS, O_AGE_WEIGHT,
           O_EXCLUDE };
    static const struct option opts[] = {
        {"tracks", required_argument, NULL, O_TRACKS},
        {"truth", required_argument, NULL, O_TRUTH},
        {"site", required_argument, NULL, O_SITE},
        {"out", required_argument, NULL, O_OUT},
        {"name", required_argument, NULL, O_NAME},
        {"ages", required_argument, NULL, O_AGES},
        {"every", required_argument, NULL, O_EVERY},
        {"temperature", required_argument, NULL, O_TEMP},
        {"evidence", required_argument, NULL, O_EVID},
        {"uniform-prior", no_argument, NULL, O_UNIFORM},
        {"ballistic-model", required_argument, NULL, O_BALL},
        {"cv-model", required_argument, NULL, O_CV},
        {"flock-radius", required_argument, NULL, O_FLOCK},
        {"model", required_argument, NULL, O_MODEL},
        {"eval-tracks", required_argument, NULL, O_ETRACKS},
        {"eval-truth", required_argument, NULL, O_ETRUTH},
        {"note", required_argument, NULL, O_NOTE},
        {"no-clutter", no_argument, NULL, O_NOCLUTTER},
        {"kind", required_argument, NULL, O_KIND},
        {"l2", required_argument, NULL, O_L2},
        {"iterations", required_argument, NULL, O_ITER},
        {"prior-power", required_argument, NULL, O_PRIOR_POWER},
        {"dump-samples", required_argument, NULL, O_DUMP},
        {"prior-runs", required_argument, NULL, O_PRIOR_RUNS},
        {"age-weight", required_argument, NULL, O_AGE_WEIGHT},
        {"exclude-feature", required_argument, NULL, O_EXCLUDE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum { MAX_RUNS = 256 };
    const char *tracks[MAX_RUNS], *truth[MAX_RUNS], *etracks[MAX_RUNS], *etruth[MAX_RUNS];
    int n_tracks = 0, n_truth = 0, n_etracks = 0, n_etruth = 0;
    const char *site_path = NULL, *out = NULL, *name = NULL, *model_path = NULL, *note = NULL;
    const char *dump_path = NULL;
    size_t run_end[MAX_RUNS];
    double ages[MAX_AGES] = {5, 10, 30}, every = 10, temperature = 3, evidence = 10;
    int n_ages = 3;
    bool uniform = false, logistic = false;
    double l2 = 1e-3, iterations = 300, prior_power = 1, prior_runs = 0, age_weight = 1;
    bool excluded[LO_FEAT_COUNT] = {false};
    options o = {.flock_radius = 150, .zero_clutter = true};
    lo_feature_params fp;
    lo_feature_params_default(&fp);
    opterr = 0;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_TRACKS:
        case O_TRUTH:
        case O_ETRACKS:
        case O_ETRUTH: {
            const char **list = c == O_TRACKS ? tracks : c == O_TRUTH ? truth
                              : c == O_ETRACKS ? etracks : etruth;
            int *n = c == O_TRACKS ? &n_tracks : c == O_TRUTH ? &n_truth
                   : c == O_ETRACKS ? &n_etracks : &n_etruth;
            if (*n == MAX_RUNS)
                return lo_usage_error("train-classifier", "at most %d runs", MAX_RUNS);
            list[(*n)++] = optarg;
            break;
        }
        case O_SITE: site_path = optarg; break;
        case O_OUT: out = optarg; break;
        case O_NAME: name = optarg; break;
        case O_NOTE: note = optarg; break;
        case O_DUMP: dump_path = optarg; break;
        case O_AGE_WEIGHT:
            if (!lo_cli_number(optarg, 0.01, 1e3, &age_weight))
                return lo_usage_error("train-classifier", "--age-weight '%s' is not a valid weight", optarg);
            break;
        case O_EXCLUDE: {
            lo_feature f;
            if (!lo_feature_from_name(optarg, &f))
                return lo_usage_error("train-classifier", "--exclude-feature '%s' is not a feature "
                                      "name (docs/threat.md lists them)", optarg);
            excluded[f] = true;
            break;
        }
        case O_PRIOR_RUNS:
            if (!lo_cli_number(optarg, 1, MAX_RUNS, &prior_runs) || prior_runs != floor(prior_runs))
                return lo_usage_error("train-classifier", "--prior-runs '%s': a number of runs", optarg);
            break;
        case O_NOCLUTTER: o.zero_clutter = false; break;
        case O_MODEL: model_path = optarg; break;
        case O_UNIFORM: uniform = true; break;
        case O_KIND:
            if (strcmp(optarg, "logistic") == 0) logistic = true;
            else if (strcmp(optarg, "naive-bayes") == 0) logistic = false;
            else return lo_usage_error("train-classifier", "--kind: naive-bayes or logistic, not '%s'", optarg);
            break;
        case O_L2:
            if (!lo_cli_number(optarg, 0, 1e3, &l2))
                return lo_usage_error("train-classifier", "--l2 '%s' is not a valid number", optarg);
            break;
        case O_PRIOR_POWER:
            if (!lo_cli_number(optarg, 0, 1, &prior_power))
                return lo_usage_error("train-classifier", "--prior-power '%s': a number in [0, 1]", optarg);
            break;
        case O_ITER:
            if (!lo_cli_number(optarg, 1, 1e5, &iterations) || iterations != floor(iterations))
                return lo_usage_error("train-classifier", "--iterations '%s': a whole number", optarg);
            break;
        case O_AGES: {
            n_ages = 0;
            char *copy = strdup(optarg), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (n_ages == MAX_AGES || !lo_cli_number(tok, 0, 3600, &v) ||
                    (n_ages && v <= ages[n_ages - 1])) {
                    free(copy);
                    return lo_usage_error("train-classifier", "--ages '%s': up to %d increasing "
                                          "ages in seconds", optarg, MAX_AGES);
                }
                ages[n_ages++] = v;
            }
            free(copy);
            if (!n_ages) return lo_usage_error("train-classifier", "--ages is empty");
            break;
        }
        case O_EVERY:
        case O_TEMP:
        case O_EVID:
        case O_FLOCK:
            if (!lo_cli_number(optarg, c == O_EVID ? 1 : c == O_TEMP ? 1e-3 : 0, 1e6, &v))
                return lo_usage_error("train-classifier", "%s '%s' is not a valid number",
                                      argv[optind - 1], optarg);
            if (c == O_EVERY) every = v;
            if (c == O_TEMP) temperature = v;
            if (c == O_EVID) evidence = v;
            if (c == O_FLOCK) o.flock_radius = v;
            break;
        case O_BALL:
        case O_CV:
            if (!lo_cli_number(optarg, 0, LO_MAX_MODELS - 1, &v) || v != floor(v))
                return lo_usage_error("train-classifier", "%s '%s': a model index 0..%d",
                                      argv[optind - 1], optarg, LO_MAX_MODELS - 1);
            if (c == O_BALL) fp.ballistic_model_index = (int)v;
            else fp.cv_model_index = (int)v;
            break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("train-classifier", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("train-classifier", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return lo_usage_error("train-classifier", "unexpected argument '%s'", argv[optind]);
    bool train = n_tracks || n_truth || out;
    if (train && (!n_tracks || !n_truth || !out))
        return lo_usage_error("train-classifier", "training needs --tracks, --truth and --out");
    if (n_tracks != n_truth)
        return lo_usage_error("train-classifier", "%d --tracks but %d --truth: one of each per run",
                              n_tracks, n_truth);
    if (n_etracks != n_etruth)
        return lo_usage_error("train-classifier", "%d --eval-tracks but %d --eval-truth: one of "
                              "each per run", n_etracks, n_etruth);
    if (train && model_path)
        return lo_usage_error("train-classifier", "--model scores an existing file: no training options");
    if (!train && !model_path)
        return lo_usage_error("train-classifier", "nothing to do: give --tracks/--truth/--out or --model");
    if (model_path && !n_etracks)
        return lo_usage_error("train-classifier", "--model needs --eval-tracks and --eval-truth");
    const char *single[] = {site_path, model_path};
    const char **lists[] = {tracks, truth, etracks, etruth, single};
    int counts[] = {n_tracks, n_truth, n_etracks, n_etruth, 2};
    for (int l = 0; l < 5; l++)
        for (int i = 0; i < counts[l]; i++) {
            const char *p = lists[l][i];
            if (p && strcmp(p, "-") != 0 && access(p, R_OK) != 0) {
                fprintf(stderr, "lookout train-classifier: %s: %s\n", p, strerror(errno));
                return LO_EXIT_USAGE;
            }
        }

    lo_site site;
    memset(&site, 0, sizeof site);
    lo_diag_sink sink = {0};
    if (site_path && lo_site_load(site_path, &site, &sink) != 0) return LO_EXIT_FAIL;

    int status = LO_EXIT_OK;
    lo_classifier_model model;
    if (train) {
        lo_trainer *tr = lo_trainer_new(&fp, site.sensors, site.n_sensors, ages, n_ages, every);
        if (tr) lo_trainer_set_age_weight(tr, age_weight);
        for (int f = 0; f < LO_FEAT_COUNT && tr; f++)
            if (excluded[f]) lo_trainer_exclude(tr, (lo_feature)f);
        long n = tr ? 0 : -1;
        for (int i = 0; i < n_tracks && n >= 0; i++) {
            lo_trainer_new_run(tr);
            long k = feed(tr, tracks[i], truth[i], &o);
            n = k < 0 ? -1 : n + k;
            lo_trainer_samples(tr, &run_end[i]);
        }
        int fit_rc = n < 0 ? -1
                     : logistic ? lo_trainer_fit_logistic(tr, uniform, temperature, evidence, l2,
                                                          (int)iterations, &model)
                                : lo_trainer_fit(tr, uniform, temperature, evidence, &model);
        if (fit_rc != 0) {
            if (n >= 0)
                fprintf(stderr, "lookout train-classifier: %s: too few labelled samples (need "
                                "confirmed tracks whose plots carry truth ids)\n", tracks[0]);
            lo_trainer_free(tr);
            lo_site_free(&site);
            return LO_EXIT_FAIL;
        }
        if (prior_runs > 0 && prior_runs < n_tracks && !uniform) {
            /* Frequencies of the first runs only; a class they lack keeps one sample's worth. */
            size_t ns_all, np = run_end[(int)prior_runs - 1];
            const lo_train_sample *smp = lo_trainer_samples(tr, &ns_all);
            double cnt[LO_CLASS_COUNT] = {0}, sum = 0;
            for (size_t i = 0; i < np; i++) cnt[smp[i].label] += 1;
            for (int k = 0; k < LO_CLASS_COUNT; k++)
                if (model.class_used[k]) sum += cnt[k] = fmax(cnt[k], 1);
            for (int k = 0; k < LO_CLASS_COUNT; k++)
                if (model.class_used[k]) model.prior[k] = cnt[k] / sum;
        }
        if (prior_power != 1 && !uniform) {
            /* Between the frequencies (1) and uniform (0): the rare classes (drones) gain. */
            double sum = 0;
            for (int k = 0; k < LO_CLASS_COUNT; k++)
                if (model.prior[k] > 0) sum += model.prior[k] = pow(model.prior[k], prior_power);
            for (int k = 0; k < LO_CLASS_COUNT; k++) model.prior[k] /= sum;
        }
        size_t ns;
        lo_trainer_samples(tr, &ns);
        const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
        snprintf(model.name, sizeof model.name, "%s", name ? name : base);
        char *dot = name ? NULL : strrchr(model.name, '.');
        if (dot) *dot = 0;
        snprintf(model.provenance, sizeof model.provenance,
                 "lookout train-classifier on %d run%s (%s + %s%s): %zu samples from %ld "
                 "reports; %s, priors %s^%g%s, temperature %g, evidence %g", n_tracks, n_tracks == 1 ? "" : "s",
                 tracks[0], truth[0], n_tracks > 1 ? ", ..." : "", ns, n,
                 logistic ? "logistic regression (class-balanced)" : "naive Bayes",
                 uniform ? "uniform" : "frequency", uniform ? 1.0 : prior_power,
                 prior_runs > 0 && !uniform ? " (frequencies of the first runs only)" : "",
                 temperature, evidence);
        if (note) {
            size_t used = strlen(model.provenance);
            snprintf(model.provenance + used, sizeof model.provenance - used, "; %s", note);
        }
        if (dump_path && !n_etracks &&
            dump_samples(dump_path, tr, &model, run_end, n_tracks, ages, n_ages) != 0)
            status = LO_EXIT_FAIL;
        lo_trainer_free(tr);
        FILE *f = fopen(out, "w");
        if (!f || lo_classifier_model_write(&model, f) != 0 || fclose(f) != 0) {
            fprintf(stderr, "lookout train-classifier: %s: cannot write: %s\n", out, strerror(errno));
            lo_site_free(&site);
            return LO_EXIT_FAIL;
        }
        fprintf(stderr, "wrote %s: %zu samples from %ld track reports\n", out, ns, n);
    } else {
        lo_diag_sink msink = {0};
        if (lo_classifier_model_load(model_path, &model, &msink) != 0) {
            lo_site_free(&site);
            return LO_EXIT_FAIL;
        }
    }
    if (n_etracks) {
        lo_trainer *held = lo_trainer_new(&fp, site.sensors, site.n_sensors, ages, n_ages,
                                          dump_path ? every : 0) /* periodic: for the dump */;
        long n = held ? 0 : -1;
        for (int i = 0; i < n_etracks && n >= 0; i++) {
            lo_trainer_new_run(held);
            long k = feed(held, etracks[i], etruth[i], &o);
            n = k < 0 ? -1 : n + k;
            lo_trainer_samples(held, &run_end[i]);
        }
        if (n < 0) {
            status = LO_EXIT_FAIL;
        } else {
            printf("model %s (%s) on %d held-out run%s (%s + %s%s):", model.name,
                   model.provenance, n_etracks, n_etracks == 1 ? "" : "s", etracks[0],
                   etruth[0], n_etracks > 1 ? ", ..." : "");
            print_confusion(held, &model, ages, n_ages);
            if (dump_path && dump_samples(dump_path, held, &model, run_end, n_etracks, ages, n_ages) != 0)
                status = LO_EXIT_FAIL;
        }
        lo_trainer_free(held);
    }
    lo_site_free(&site);
    return status;
}
