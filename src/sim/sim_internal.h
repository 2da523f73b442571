/*
 * sim_internal.h: the simulator's building blocks, shared by the src/sim sources, its tests and its
 * benchmark (not a public header; the public API is include/lookout/sim.h).
 *
 * Owns: the random number generator (xoshiro256** seeded by splitmix64, with uniform, normal,
 * exponential and Poisson draws), the radar equations (SNR from one reference point,
 * Swerling 0 / I detection probability, the Marcum Q function, noise growth with SNR) and the
 * target models' private state (sim_target, sim_mover).
 *
 * Units: SI and radians throughout. SNR as a power ratio (linear) unless a name says _db.
 * Time: simulation time is UTC seconds since the epoch (double), like the rest of lookout.
 *
 * Target kinematics work in "flat" coordinates: x east and y north of the site reference in
 * metres (the system ENU plane), and a = height above the simulated ground (AGL, metres).
 * Only at the edge (truth samples, radar geometry) is AGL turned into ENU up, with the earth's
 * curvature drop (x^2 + y^2) / 2R, so "fly level at 150 m AGL" really follows the curved ground.
 */
#ifndef LOOKOUT_SIM_INTERNAL_H
#define LOOKOUT_SIM_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/yamldoc.h"
#include "lookout/sim.h"
#include "lookout/types.h"

/* ---- random numbers ------------------------------------------------------------------ */

typedef struct lo_rng {
    uint64_t s[4];
    double spare;             /* the second normal of the last polar-method pair */
    bool has_spare;
} lo_rng;

/* Seed a generator from a 64-bit seed and a stream number (different streams are
 * statistically independent: splitmix64 of seed and stream fills the state). */
void lo_rng_seed(lo_rng *r, uint64_t seed, uint64_t stream);
uint64_t lo_rng_next(lo_rng *r);
double lo_rng_uniform(lo_rng *r);                 /* [0, 1) with 53 random bits */
double lo_rng_range(lo_rng *r, double lo, double hi); /* uniform in [lo, hi) */
double lo_rng_normal(lo_rng *r);                  /* standard normal (Marsaglia polar) */
/* atan2(y, x) to about 1e-5 rad, for the beam-crossing time estimate only. */
double sim_fast_atan2(double y, double x);
double lo_rng_exponential(lo_rng *r);             /* mean 1 */
/* A cheap approximately normal draw (mean 0, variance 1, Irwin-Hall sum of four uniforms from
 * one 64-bit number, so |x| <= 3.46): for the random walks of the target models, where speed
 * matters and tails do not. Measurement noise uses lo_rng_normal. */
double lo_rng_normal_fast(lo_rng *r);
/* Poisson count with the given mean: exact (Knuth) below 30, normal approximation above. */
uint32_t lo_rng_poisson(lo_rng *r, double mean);

/* Fast angle wrapping for the hot loops (one or two turns at most off, as there). */
static inline double sim_wrap_2pi(double a)
{
    const double two_pi = 6.28318530717958647692;
    if (a >= two_pi || a < 0) a -= two_pi * floor(a / two_pi);
    return a >= two_pi ? 0.0 : a;
}
static inline double sim_wrap_pi(double a)
{
    const double pi = 3.14159265358979323846;
    a = sim_wrap_2pi(a + pi) - pi;
    return a == -pi ? pi : a;
}

/* ---- radar equations ------------------------------------------------------------------- */

/* SNR (linear) of a target of `rcs_m2` at slant range `range_m`:
 * snr_ref * (rcs / rcs_ref) * (range_ref / range)^4. */
double lo_radar_snr(const lo_sensor *s, double rcs_m2, double range_m);
/* Detection threshold on the normalised power (noise power 1) for a false-alarm probability
 * per cell: exp(-T) = pfa for square-law detection of Gaussian noise, so T = -ln(pfa). */
double lo_radar_threshold(double pfa);
/* Probability of detection for one look. Swerling I: Pd = pfa^(1 / (1 + snr)) (closed form).
 * Swerling 0 (steady target): Pd = Q1(sqrt(2 snr), sqrt(2 T)) with the Marcum Q function. */
double lo_pd_swerling1(double snr, double pfa);
double lo_pd_swerling0(double snr, double pfa);
/* Marcum Q function of order 1, Q1(a, b), by its Poisson-weighted series (relative error
 * below 1e-12 for a, b < 40). */
double lo_marcum_q1(double a, double b);

/* One look at a return of mean SNR `snr` (linear): draws the received power normalised to the
 * noise (Swerling I: exponential with mean 1 + snr, i.e. scan-to-scan fluctuation; Swerling 0:
 * a steady echo plus complex Gaussian noise). The look is a detection when the power exceeds
 * the threshold; this reproduces lo_pd_swerling1 / lo_pd_swerling0 exactly, and the power of a
 * detection is what the plot reports as its SNR estimate (power - 1). */
double lo_radar_look(lo_rng *r, int swerling, double snr);

/* How measurement noise grows as SNR falls: sigma = sigma0 * sqrt(max(1, snr_knee / snr)).
 * sigma0 is the sensor's accuracy at and above the knee SNR (lo_sim_scenario.sigma_knee_snr_db,
 * default 20 dB); below it the error grows like resolution / sqrt(2 SNR). */
double lo_radar_sigma_factor(double snr, double snr_knee);

/* ---- target models (targets.c) ------------------------------------------------------- */

/* A micro-Doppler part is measurable when its power stands this far above the noise. */
#define SIM_MD_VISIBLE_DB 10.0

typedef enum sim_kind {
    SIM_MULTIROTOR = 0,
    SIM_FIXED_WING,
    SIM_BIRD,
    SIM_BIRD_FLOCK,
    SIM_SOARING_BIRD,
    SIM_ROCKET,
    SIM_MORTAR,
    SIM_AIRLINER,
    SIM_HELICOPTER,
    SIM_GROUND_VEHICLE,
    SIM_REPLAY,
    SIM_WIND_TURBINE,   /* clutter: fixed echo with blade Doppler, truth_id 0 */
    SIM_KIND_COUNT
} sim_kind;

extern const char *const sim_kind_names[SIM_KIND_COUNT + 1];

/* The state every target has: what the radar model and the truth output read. The state is
 * valid at time t (the kinematic grid); positions at other times nearby are extrapolated
 * with the velocity and acceleration (sim_target_at). */
typedef struct sim_target {
    uint32_t truth_id;        /* 0 for clutter objects (wind turbines) */
    lo_class cls;
    uint8_t swerling;         /* 0 or 1 */
    bool started, done;
    double t_start, t_end;    /* active in [t_start, t_end) */
    double t;                 /* time of p, v, acc */
    double p[3];              /* flat coordinates: x east, y north, a above ground */
    double v[3];
    double acc[3];
    double rcs_m2;            /* mean RCS */
    double wingbeat_hz;       /* 0: no wing-beat modulation */
    double wingbeat_depth;    /* RCS multiplied by 1 + depth * sin(2 pi f t + phase) */
    double wingbeat_phase;
    double doppler_spread_mps;/* > 0: radial velocity replaced by a uniform draw in +-spread */
    /* Micro-Doppler (sim_micro_doppler): the RMS width its return's Doppler spectrum gets from
     * moving parts. `body` at the body's own power (wing beats, wheels); `blade` from rotors,
     * propellers, jet engines or turbine blades, blade_db below the body's power, seen only
     * where the return is strong enough for that part to stand above the noise, and then
     * only on the share md_catch of looks whose short dwell catches a blade flash. */
    float md_body_mps, md_blade_mps, md_blade_db, md_catch;
    uint32_t mode_s;          /* cooperative targets (secondary radar reply): 24-bit address */
    uint16_t mode_3a;         /* and Mode 3/A code as a 12-bit number; flags say which */
    uint8_t ssr_flags;        /* bit 0: mode_s valid, bit 1: mode_3a valid */
    int mover;                /* index of the sim_mover that moves it */
} sim_target;

typedef struct sim_mover sim_mover; /* one model instance (a flock moves many targets) */

/* A horizontal position and height, as parsed from the scenario, in flat coordinates. */
typedef struct sim_point {
    double x, y, a;
} sim_point;

#define SIM_MAX_WAYPOINTS 32

/* Everything the scenario says about one `targets:` entry, before randomisation. Ranges are
 * [lo, hi]; a single number in the file gives lo == hi. */
typedef struct sim_target_spec {
    sim_kind kind;
    char name[LO_NAME_MAX];
    char key_path[48];        /* "targets[3]": where it is in the file, for later errors */
    long line;
    lo_class cls;             /* replay: from the file's `class` key */
    int count;
    double spread_m;          /* horizontal scatter of copies / flock members around position */
    double start_s[2];        /* appear (launch) time after the scenario start */
    double end_s;             /* disappear after this many seconds of scenario time (<= 0: never) */
    double rcs_m2[2];
    int swerling;
    sim_point position;
    bool has_heading;
    double heading_deg[2];
    double speed_mps[2];
    double agl_m[2];          /* cruise / flock height band for birds */
    int n_waypoints;
    sim_point waypoints[SIM_MAX_WAYPOINTS];
    bool loop;
    double patrol_radius_m;   /* > 0 and no waypoints: random waypoints within this radius */
    double hover_s[2];
    bool has_aim;             /* one-way attack: aim point and terminal dive */
    sim_point aim;
    double aim_jitter_m;
    double dive_distance_m[2];
    double course_noise_deg;  /* 1-sigma of the slowly wandering course error */
    double max_turn_rate_deg_s;
    double stop_rate_per_min; /* multirotor stop-and-go */
    double home_radius_m;     /* birds: wander inside this radius of position */
    double wingbeat_hz[2];
    double split_rate_per_min;/* flocks */
    double flock_radius_m;
    /* ballistic */
    bool has_impact;
    sim_point impact;
    double flight_time_s[2];
    double elevation_deg[2];
    double azimuth_deg;
    double drag_per_m;        /* k in a = -g z - k |v| v (1/m) */
    /* road */
    /* replay */
    char replay_path[1024];
    char replay_gnss_path[1024];
    char replay_icao24[16];   /* ADS-B files with several aircraft: which one ("" = first) */
    double replay_from_s, replay_to_s;
    /* wind turbine */
    double tip_speed_mps;
    /* secondary radar: Mode S address and Mode 3/A code (copies count up from the address) */
    bool has_mode_s, has_mode_3a;
    uint32_t mode_s;
    uint16_t mode_3a;
} sim_target_spec;

/* Everything parsed from the scenario file (scenario.c). */
typedef struct sim_clutter_patch {
    sim_point center;
    double radius_m;
    double plots_per_scan;
    double snr_db;
    double height_m;          /* clutter heights drawn in [0, height_m] AGL */
    double doppler_sigma_mps;
    double drift_east_mps, drift_north_mps; /* rain moves with the wind */
} sim_clutter_patch;

typedef struct sim_scenario {
    double start_t;           /* UTC seconds */
    double duration_s;
    uint64_t seed;
    double step_s;            /* kinematic step */
    double truth_rate_s;      /* 0: the first sensor's scan period */
    double ground_height_m;   /* ground above the ellipsoid */
    double sigma_knee_snr;    /* linear */
    bool thermal;
    double split_probability; /* a strong detection (>= 20 dB) also gives a split plot */
    int n_specs;
    sim_target_spec *specs;
    int n_ground, n_rain;
    sim_clutter_patch *ground, *rain;
} sim_scenario;

struct lo_site;
/* Parse the simulation/targets/clutter sections of site->doc. Returns 0, or -1 after
 * reporting every error (key path and line) through sink. */
int sim_scenario_parse(const struct lo_site *site, sim_scenario *sc, lo_diag_sink *sink);
void sim_scenario_free(sim_scenario *sc);

/* Models (targets.c). The world is built once from the specs; movers are stepped on the
 * kinematic grid. */
typedef struct sim_world {
    int n_targets, cap_targets;
    sim_target *targets;
    int n_movers, cap_movers;
    sim_mover **movers;
    double earth_radius_m;
    double ground_minus_ref_m;   /* ground height minus reference height */
} sim_world;

int sim_world_build(sim_world *w, const sim_scenario *sc, double t0, lo_diag_sink *sink,
                    const char *source);
void sim_world_free(sim_world *w);
/* Advance every mover from time t to t + dt. */
void sim_world_step(sim_world *w, double t, double dt);
/* Position (flat) and velocity of a target at time t near its state time (extrapolated). */
void sim_target_at(const sim_target *tg, double t, double p[3], double v[3]);
/* The scenario name of the entry a target was built from. */
const char *sim_target_name(const sim_world *w, int target);
/* Mean number of thermal false alarms per scan: pfa x range cells x beam positions (x elevation
 * beams of a 3D radar). */
double sim_sensor_false_alarm_mean(const lo_sensor *s);
/* Flat coordinates -> system ENU (and a velocity alongside). */
void sim_flat_to_enu(const sim_world *w, const double p[3], const double v[3], double enu[3],
                     double venu[3]);

/* Load a real trajectory (replay.c): ADS-B CSV (timestamp ms, latitude, longitude, altitude
 * ft), the ALFA UAV log (%time ns, field.latitude/longitude/altitude m) or a EuRoC rocket log
 * (ts s, filtered_altitude_AGL m, with an optional GNSS file for the horizontal track).
 * Returns samples in flat coordinates relative to the first kept sample (x, y: metres east and
 * north of it; a: height change, or height above ground for the rocket logs) at times
 * t_start + (file time - first kept time). Arrays are malloc'ed; n >= 2 on success. */
int sim_replay_load(const sim_target_spec *s, double t_start, double **t, double **x, double **y,
                    double **a, int *n, lo_diag_sink *sink, const char *source);

/* Ballistic helpers, exposed for the tests: integrate a point mass with gravity and quadratic
 * drag (a = -g up - k |v| v) from p0/v0 (flat coordinates) until it comes down to height
 * `ground_a` or `t_max` passes; returns the flight time and the final state. */
double sim_ballistic_fly(const double p0[3], const double v0[3], double k, double ground_a,
                         double t_max, double p_end[3], double v_end[3]);
/* Launch velocity that brings a projectile from `from` to `to` in exactly `flight_time_s`
 * (drag k). Returns false when the shooting iteration does not converge. */
bool sim_ballistic_solve_time(const double from[3], const double to[3], double flight_time_s,
                              double k, double v0[3]);
/* The same for a given launch elevation (radians): finds the flight time. */
bool sim_ballistic_solve_elevation(const double from[3], const double to[3], double elev_rad,
                                   double k, double v0[3], double *flight_time_s);

#endif
