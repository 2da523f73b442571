/* The threat stage on a scripted green-zone run: the real site file (tests/data/
 * site-green-zone.yaml) through lo_site_load, and track reports made from scripted truth with
 * seeded noise matching the reported covariance, as a tracker would deliver them. No
 * simulator or tracker involved: this checks the warning logic against the goals of issue 5:
 *  - each drone raises an alarm for the zone it flies into, with a warning time of at least
 *    80% of the ideal (from the first track report to entry);
 *  - each rocket raises an alarm for the compound with at least 15 s to impact, and the true
 *    impact point lies within the 3-sigma ellipse of that first alarm;
 *  - no alarm for birds (even while still unclassified), the helicopter, the airliner or cars;
 *    no alert raised for them once classified, and the unclassified ones cleared;
 *  - one alert per (track, zone): nothing is raised twice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/geo.h"
#include "lookout/threat.h"
#include "testutil.h"

#define T0 1795348800.0
#define MAX_LOG 20000

enum { Z_COMPOUND = 0, Z_RESIDENCE = 1, Z_DISTRICT = 2 };

typedef enum kind { FIXED_WING, MULTIROTOR, ROCKET, BIRD, GULL, HELICOPTER, AIRLINER, CAR } kind;

typedef struct actor {
    uint32_t id;
    kind k;
    double t_start, t_end;  /* scenario seconds while it is tracked */
    double t_classified;    /* class_prob filled from then on */
    lo_class cls;
    /* straight / homing / circling / ballistic parameters */
    double p0[3], v0[3];
    double target[2];       /* homing target (zone centre) */
    double speed;
    double centre[2], radius, omega, phase;
    double t_launch;
    /* truth state at the current scan */
    double pos[3], vel[3];
    bool alive;
} actor;

typedef struct log_t {
    int n;
    lo_alert a[MAX_LOG];
} log_t;

static int record(void *ctx, const lo_alert *a)
{
    log_t *l = ctx;
    if (l->n < MAX_LOG) l->a[l->n++] = *a;
    return 0;
}

static double gauss(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2 * log(u1)) * cos(2 * LO_PI * u2);
}

/* Advance the truth of one actor to scenario time t (1 s steps). */
static void step_truth(actor *a, double t, double dt)
{
    switch (a->k) {
    case FIXED_WING:
    case MULTIROTOR: {
        /* Homing on the target with a slowly wandering course error of up to 3 degrees, and a
         * shallow dive over the last 1.5 km. */
        double dx = a->target[0] - a->pos[0], dy = a->target[1] - a->pos[1];
        double d = hypot(dx, dy);
        double err = 3 * LO_DEG2RAD * cos(0.02 * t) * fmin(1, d / 3000);
        double hdg = atan2(dx, dy) + err;
        a->vel[0] = a->speed * sin(hdg);
        a->vel[1] = a->speed * cos(hdg);
        a->vel[2] = d < 1500 && a->pos[2] > 40 ? -3 : 0;
        for (int i = 0; i < 3; i++) a->pos[i] += a->vel[i] * dt;
        break;
    }
    case ROCKET: {
        double s = t - a->t_launch;
        for (int i = 0; i < 2; i++) {
            a->pos[i] = a->p0[i] + a->v0[i] * s;
            a->vel[i] = a->v0[i];
        }
        a->pos[2] = a->p0[2] + a->v0[2] * s - 0.5 * LO_G0 * s * s;
        a->vel[2] = a->v0[2] - LO_G0 * s;
        break;
    }
    case BIRD:
    case HELICOPTER: {
        double ang = a->phase + a->omega * t;
        a->pos[0] = a->centre[0] + a->radius * sin(ang);
        a->pos[1] = a->centre[1] + a->radius * cos(ang);
        a->vel[0] = a->radius * a->omega * cos(ang);
        a->vel[1] = -a->radius * a->omega * sin(ang);
        break;
    }
    default:
        for (int i = 0; i < 3; i++) a->pos[i] += a->vel[i] * dt;
    }
}

static lo_track report(const actor *a, double t, unsigned *seed)
{
    double sp = a->k == ROCKET ? 20 : 15, sv = 2;
    lo_track r;
    memset(&r, 0, sizeof r);
    r.id = a->id;
    r.status = LO_TRACK_CONFIRMED;
    r.t = T0 + t;
    r.t_confirmed = T0 + a->t_start;
    for (int i = 0; i < 3; i++) {
        r.pos[i] = a->pos[i] + sp * gauss(seed);
        r.vel[i] = a->vel[i] + sv * gauss(seed);
        r.pos_cov[i * 4] = sp * sp;
        r.vel_cov[i * 4] = sv * sv;
    }
    if (a->k == ROCKET) r.acc[2] = -LO_G0 + 0.5 * gauss(seed); /* the tracker sees the arc */
    if (t >= a->t_classified) {
        r.class_prob[a->cls] = 0.85;
        r.class_prob[a->cls == LO_CLASS_BIRD ? LO_CLASS_MULTIROTOR : LO_CLASS_BIRD] = 0.15;
    }
    return r;
}

static void test_green_zone_script(void **state)
{
    (void)state;
    lo_site site;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    if (lo_site_load(lo_test_source_path("tests/data/site-green-zone.yaml"), &site, &diags.sink))
        fail_msg("site: %s", diags.all);
    assert_int_equal(site.n_zones, 3);
    assert_string_equal(site.zones[Z_RESIDENCE].name, "residence");
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    assert_int_equal(lo_threat_config_from_yaml(site.doc, &cfg, &diags.sink), 0);
    cfg.terrain_up_m = -10; /* ground ~35 m, the reference is the antenna at 45 m */
    lo_threat_engine *e = lo_threat_engine_new(&cfg, site.zones, site.n_zones);
    const double *res = site.zones[Z_RESIDENCE].center_enu;
    assert_near(res[0], 866, 5);
    assert_near(res[1], 500, 5);

    actor actors[40];
    int n = 0;
    /* Drones launched at t = 120 s, tracked from launch. */
    actors[n++] = (actor){.id = 1, .k = FIXED_WING, .t_start = 123, .t_end = 600, .t_classified = 135,
                          .cls = LO_CLASS_FIXED_WING, .p0 = {res[0] + 13000, res[1] + 800, 150},
                          .speed = 42};
    actors[n++] = (actor){.id = 2, .k = FIXED_WING, .t_start = 123, .t_end = 600, .t_classified = 140,
                          .cls = LO_CLASS_FIXED_WING, .p0 = {res[0] + 12000, res[1] - 2500, 200},
                          .speed = 36};
    actors[n++] = (actor){.id = 3, .k = MULTIROTOR, .t_start = 123, .t_end = 600, .t_classified = 140,
                          .cls = LO_CLASS_MULTIROTOR, .p0 = {res[0] + 5200, res[1] + 1500, 120},
                          .speed = 17};
    /* Rockets: launched 7 km south-east of the compound at 200 s and 206 s, 25 s flights,
     * seen from 3 s after launch. */
    for (int r = 0; r < 2; r++) {
        double launch[2] = {4950, -4950}, aim[2] = {r ? -150 : 100, r ? 80 : -50};
        double tf = 25;
        actor a = {.id = 10 + (uint32_t)r, .k = ROCKET, .t_launch = 200 + 6 * r, .cls = LO_CLASS_ROCKET};
        a.t_start = a.t_launch + 3;
        a.t_end = a.t_launch + tf - 0.5;
        a.t_classified = a.t_start + 3;
        a.p0[0] = launch[0], a.p0[1] = launch[1], a.p0[2] = cfg.terrain_up_m;
        a.v0[0] = (aim[0] - launch[0]) / tf, a.v0[1] = (aim[1] - launch[1]) / tf;
        a.v0[2] = 0.5 * LO_G0 * tf;
        a.target[0] = aim[0], a.target[1] = aim[1];
        actors[n++] = a;
    }
    /* Pigeons wheeling 2 km south, gulls flying up the river through the compound (the first
     * 12 s unclassified), a helicopter circling at 4 km, the airliner 9 km west, two cars on a
     * bridge through the district. */
    for (int b = 0; b < 10; b++)
        actors[n++] = (actor){.id = 100 + (uint32_t)b, .k = BIRD, .t_start = 5 + b, .t_end = 600,
                              .t_classified = 15 + b, .cls = LO_CLASS_BIRD,
                              .centre = {0, -2000}, .radius = 200 + 20 * b, .omega = 12.0 / (200 + 20 * b),
                              .phase = b, .p0 = {0, 0, 60}};
    for (int g = 0; g < 3; g++)
        actors[n++] = (actor){.id = 200 + (uint32_t)g, .k = GULL, .t_start = 30 + 60 * g,
                              .t_end = 30 + 60 * g + 400, .t_classified = 42 + 60 * g,
                              .cls = LO_CLASS_BIRD, .p0 = {-300 + 100 * g, -2500, 40},
                              .v0 = {0, 12, 0}};
    actors[n++] = (actor){.id = 300, .k = HELICOPTER, .t_start = 0, .t_end = 600, .t_classified = 8,
                          .cls = LO_CLASS_HELICOPTER, .centre = {0, 0}, .radius = 4000,
                          .omega = 40.0 / 4000, .p0 = {0, 0, 290}};
    actors[n++] = (actor){.id = 400, .k = AIRLINER, .t_start = 0, .t_end = 300, .t_classified = 6,
                          .cls = LO_CLASS_AIRLINER, .p0 = {-9000, -15000, 3000}, .v0 = {0, 110, -6}};
    for (int c = 0; c < 2; c++)
        actors[n++] = (actor){.id = 500 + (uint32_t)c, .k = CAR, .t_start = 0, .t_end = 300,
                              .t_classified = 8, .cls = LO_CLASS_GROUND_VEHICLE,
                              .p0 = {c ? 1700 : -1100, -1500, -10}, .v0 = {c ? -12 : 12, 0, 0}};
    for (int i = 0; i < n; i++) {
        actor *a = &actors[i];
        memcpy(a->pos, a->p0, sizeof a->pos);
        memcpy(a->vel, a->v0, sizeof a->vel);
        if (a->k == FIXED_WING || a->k == MULTIROTOR) memcpy(a->target, res, sizeof a->target);
    }

    log_t *log = calloc(1, sizeof *log);
    unsigned seed = 2026;
    double entry_t[40];
    for (int i = 0; i < n; i++) entry_t[i] = -1;
    lo_track batch[40];
    for (int s = 0; s <= 600; s++) {
        double t = s;
        int nb = 0;
        for (int i = 0; i < n; i++) {
            actor *a = &actors[i];
            bool launched = a->k == ROCKET ? t >= a->t_launch : (a->k == FIXED_WING || a->k == MULTIROTOR) ? t >= 120 : true;
            if (launched) step_truth(a, t, s == 0 ? 0 : 1);
            bool tracked = t >= a->t_start && t <= a->t_end;
            if (tracked) batch[nb++] = report(a, t, &seed);
            else if (a->alive) { /* the tracker's final report */
                batch[nb] = report(a, t, &seed);
                batch[nb++].status = LO_TRACK_DELETED;
            }
            a->alive = tracked;
            /* Truth entry into the residence (drones). */
            if ((a->k == FIXED_WING || a->k == MULTIROTOR) && entry_t[i] < 0 && launched &&
                lo_zone_contains_enu(&site.zones[Z_RESIDENCE], a->pos))
                entry_t[i] = t;
        }
        assert_int_equal(lo_threat_update(e, T0 + t, batch, (size_t)nb, record, log), 0);
    }

    /* One alert per (track, zone): never raised twice. */
    for (int i = 0; i < log->n; i++)
        if (log->a[i].transition == LO_ALERT_RAISED)
            for (int j = i + 1; j < log->n; j++)
                if (log->a[j].transition == LO_ALERT_RAISED && log->a[j].track_id == log->a[i].track_id &&
                    log->a[j].zone_index == log->a[i].zone_index)
                    fail_msg("track %u zone %d raised twice", log->a[i].track_id, log->a[i].zone_index);

    int n_unclassified_alerts = 0;
    for (int i = 0; i < n; i++) {
        actor *a = &actors[i];
        const lo_alert *first_alarm = NULL;
        int n_alerts = 0, n_alarms = 0;
        int want_zone = a->k == ROCKET ? Z_COMPOUND : Z_RESIDENCE;
        for (int k = 0; k < log->n; k++) {
            const lo_alert *al = &log->a[k];
            if (al->track_id != a->id) continue;
            n_alerts++;
            if (al->level == LO_ALERT_ALARM) n_alarms++;
            if (al->level == LO_ALERT_ALARM && al->zone_index == want_zone && !first_alarm) first_alarm = al;
        }
        switch (a->k) {
        case FIXED_WING:
        case MULTIROTOR: {
            if (!first_alarm) fail_msg("drone %u: no alarm for the residence", a->id);
            if (entry_t[i] < 0) fail_msg("drone %u never reached the residence (script)", a->id);
            double warning = entry_t[i] - (first_alarm->t - T0), ideal = entry_t[i] - a->t_start;
            print_message("drone %u: alarm %.0f s before entry (ideal %.0f s, %.0f%%): %s\n", a->id,
                          warning, ideal, 100 * warning / ideal, first_alarm->reason);
            assert_true(warning >= 0.8 * ideal);
            break;
        }
        case ROCKET: {
            if (!first_alarm) fail_msg("rocket %u: no alarm for the compound", a->id);
            double tti = a->t_launch + 25 - (first_alarm->t - T0);
            double err = hypot(first_alarm->impact_enu[0] - a->target[0],
                               first_alarm->impact_enu[1] - a->target[1]);
            print_message("rocket %u: alarm %.1f s before impact (predicted %.1f s), impact error "
                          "%.0f m: %s\n", a->id, tti, first_alarm->time_to_entry_s, err,
                          first_alarm->reason);
            assert_true(tti >= 15);
            /* The impact error is what the track's velocity error makes it (2 m/s per axis
             * here: ~57 m along track per 1 m/s of climb-rate error). This stage must report
             * it honestly: the truth lies within the 3-sigma ellipse of the alert. Meeting
             * the 150 m goal is the tracker's part (climb rate to ~1 m/s). */
            const double *C = first_alarm->impact_cov;
            double ex = a->target[0] - first_alarm->impact_enu[0];
            double ey = a->target[1] - first_alarm->impact_enu[1];
            double det = C[0] * C[3] - C[1] * C[2];
            double d2 = (C[3] * ex * ex - 2 * C[1] * ex * ey + C[0] * ey * ey) / det;
            print_message("rocket %u: normalised impact error %.2f sigma\n", a->id, sqrt(d2));
            assert_true(d2 < 11.6); /* chi-square, 2 dof, 99.7% */
            assert_non_null(strstr(first_alarm->reason, "rocket, impact in compound"));
            /* The launch point, for the report: 7 km south-east. */
            assert_true(first_alarm->has_launch);
            double le = hypot(first_alarm->launch_enu[0] - a->p0[0], first_alarm->launch_enu[1] - a->p0[1]);
            print_message("rocket %u: launch point error %.0f m\n", a->id, le);
            assert_true(le < 300);
            assert_non_null(strstr(first_alarm->reason, "km SE"));
            break;
        }
        default: {
            /* Never an alarm. While still unclassified an info or warning is allowed (an
             * unknown track entering the district is worth a look); once classified nothing
             * new is raised and what was raised is cleared within the hold time. */
            if (n_alarms) fail_msg("%s track %u: %d alarms", lo_class_name(a->cls), a->id, n_alarms);
            int open = 0;
            for (int k = 0; k < log->n; k++) {
                const lo_alert *al = &log->a[k];
                if (al->track_id != a->id) continue;
                if (al->transition == LO_ALERT_RAISED) {
                    open++;
                    if (al->t - T0 >= a->t_classified)
                        fail_msg("%s track %u raised an alert after classification: %s",
                                 lo_class_name(a->cls), a->id, al->reason);
                }
                if (al->transition == LO_ALERT_CLEARED) {
                    open--;
                    assert_true(al->t - T0 <= a->t_classified + cfg.hold_s + 1);
                }
            }
            assert_int_equal(open, 0);
            n_unclassified_alerts += n_alerts;
        }
        }
    }
    print_message("non-threats: %d alert transitions while unclassified, no alarms\n",
                  n_unclassified_alerts);
    free(log);
    lo_threat_engine_free(e);
    lo_site_free(&site);
}


/* The `alerts:` section lives in the site file, next to the zones it speaks of. */
static void test_alerts_section_in_site_file(void **state)
{
    (void)state;
    FILE *f = fopen(lo_test_source_path("tests/data/site-green-zone.yaml"), "rb");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 512, f);
    fclose(f);
    text[n] = 0;
    strcat(text, "alerts:\n"
                 "  terrain_up_m: -10\n"
                 "  hold_s: 5\n"
                 "  rules:\n"
                 "    - {group: drone, max_priority: 1, level: alarm, max_time_s: 400}\n"
                 "    - {group: rocket, level: alarm, max_time_s: 90}\n");
    lo_site site;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    if (lo_site_load_string(text, "site.yaml", &site, &diags.sink)) fail_msg("%s", diags.all);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    assert_int_equal(lo_threat_config_from_yaml(site.doc, &cfg, &diags.sink), 0);
    assert_near(cfg.terrain_up_m, -10, 0);
    assert_near(cfg.hold_s, 5, 0);
    assert_int_equal(cfg.n_rules, 2);
    assert_near(cfg.rules[0].max_time_s, 400, 0);
    lo_site_free(&site);

    /* A typo in the section: the site still loads, the alert configuration names the line. */
    text[n] = 0;
    strcat(text, "alerts:\n  hold_sec: 5\n");
    lo_test_diags_init(&diags, false);
    if (lo_site_load_string(text, "site.yaml", &site, &diags.sink)) fail_msg("%s", diags.all);
    lo_threat_config_default(&cfg);
    assert_int_equal(lo_threat_config_from_yaml(site.doc, &cfg, &diags.sink), -1);
    assert_non_null(strstr(diags.all, "alerts.hold_sec"));
    char want[32];
    long lines = 1;
    for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
    snprintf(want, sizeof want, "site.yaml:%ld:", lines + 1);
    assert_non_null(strstr(diags.all, want));
    lo_site_free(&site);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_green_zone_script),
        cmocka_unit_test(test_alerts_section_in_site_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
