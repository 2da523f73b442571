/*
 * lookout/types.h: the data model every pipeline stage shares.
 *
 * Owns the plain structs that travel through the pipeline (sensor, plot, track, truth sample,
 * zone, alert) and the target class enumeration. Nothing here allocates or does I/O.
 *
 * Units, everywhere in this header: SI. Metres, seconds, radians, m/s, m^2 (RCS), dB where a
 * name says _db. Angles: azimuth clockwise from true north, elevation up from the local
 * horizontal, latitude/longitude geodetic WGS-84. Positions called "enu" are east/north/up
 * metres in the system frame: the local tangent plane at the site reference point (see geo.h).
 *
 * Time: UTC seconds since the Unix epoch, as double (microsecond resolution for centuries);
 * fields are named t or t_*.
 */
#ifndef LOOKOUT_TYPES_H
#define LOOKOUT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LO_NAME_MAX 32

/* Times beyond +-1e10 s (the years 1653..2286) are refused wherever they come in (files,
 * ingest, the tracker): milliseconds or microseconds taken for seconds, or garbage. Far out, a
 * double no longer resolves a scan (at 1e17 s one step is 16 s) and time stepping downstream
 * cannot advance. */
#define LO_MAX_ABS_TIME_S 1e10

/* ---- target classes ------------------------------------------------------------------- */

/* Fine classes, what the classifier estimates and the simulator labels truth with.
 * Order is part of the file formats (class_prob columns) and of CAT062 SP: append only. */
typedef enum lo_class {
    LO_CLASS_UNKNOWN = 0,
    LO_CLASS_MULTIROTOR,     /* multirotor drone */
    LO_CLASS_FIXED_WING,     /* fixed-wing or one-way attack drone */
    LO_CLASS_BIRD,           /* single bird, flock member, soaring bird */
    LO_CLASS_AIRLINER,
    LO_CLASS_HELICOPTER,
    LO_CLASS_LIGHT_AIRCRAFT, /* general aviation, glider */
    LO_CLASS_ROCKET,         /* artillery rocket, mortar bomb, shell: anything ballistic */
    LO_CLASS_GROUND_VEHICLE,
    LO_CLASS_CLUTTER,        /* false track: no physical object */
    LO_CLASS_COUNT
} lo_class;

/* Coarse groups, what alerts and most figures speak of. */
typedef enum lo_class_group {
    LO_GROUP_UNKNOWN = 0,
    LO_GROUP_DRONE,
    LO_GROUP_BIRD,
    LO_GROUP_AIRCRAFT,
    LO_GROUP_ROCKET,
    LO_GROUP_VEHICLE,
    LO_GROUP_CLUTTER,
    LO_GROUP_COUNT
} lo_class_group;

/* Stable lower-case names used in every file format ("multirotor", "fixed_wing", "bird", ...).
 * lo_class_from_name also accepts a few aliases ("drone" -> multirotor is NOT one: a caller
 * that means a group must say so). Returns false for an unknown name. */
const char *lo_class_name(lo_class c);
bool lo_class_from_name(const char *name, lo_class *out);
lo_class_group lo_class_group_of(lo_class c);
const char *lo_class_group_name(lo_class_group g);

/* ---- sensors ---------------------------------------------------------------------------- */

typedef enum lo_sensor_kind {
    LO_SENSOR_ROTATING = 0, /* mechanically or electronically scanning, one look per scan */
    LO_SENSOR_STARING       /* staring array: all directions at a fixed update rate */
} lo_sensor_kind;

/* One radar. Configuration (site YAML) fills it; the simulator, ingest and tracker read it. */
typedef struct lo_sensor {
    char name[LO_NAME_MAX];
    uint16_t id;             /* unique in a configuration; by convention (SAC << 8) | SIC */
    uint8_t sac, sic;        /* ASTERIX system area code / system identification code */
    lo_sensor_kind kind;
    bool has_elevation;      /* 3D radar; a 2D radar's plots carry no elevation */

    double lat, lon;         /* antenna position, radians */
    double height_m;         /* antenna height above the WGS-84 ellipsoid, metres */
    double enu[3];           /* antenna position in the system frame (derived at load) */

    double scan_period_s;    /* rotation period, or update interval of a staring radar */
    double north_azimuth_rad;/* azimuth the beam points at when a scan starts (usually 0) */

    /* Measurement accuracy at high SNR (1 sigma) and known systematic errors. */
    double sigma_range_m;
    double sigma_azimuth_rad;
    double sigma_elevation_rad;
    double sigma_radial_velocity_mps;
    double bias_range_m;
    double bias_azimuth_rad;

    /* Coverage. */
    double min_range_m, max_range_m;
    double min_elevation_rad, max_elevation_rad;

    /* Detection: SNR = ref_snr * (rcs / ref_rcs) * (ref_range / R)^4, threshold from pfa. */
    double ref_rcs_m2;
    double ref_range_m;
    double ref_snr_db;
    double pfa;              /* false-alarm probability per resolution cell per look */

    /* Resolution cell: returns closer than this merge into one plot. */
    double range_cell_m;
    double beamwidth_az_rad;
    double beamwidth_el_rad;
    bool measures_radial_velocity; /* Doppler radar: plots carry radial velocity */
    bool measures_doppler_spread;  /* and the width of each return's Doppler spectrum (rotor,
                                      propeller and wing-beat micro-Doppler) */
} lo_sensor;

/* ---- plots ------------------------------------------------------------------------------ */

/* Which optional parts of a plot are filled. */
enum lo_plot_flags {
    LO_PLOT_POLAR      = 1u << 0, /* range/azimuth valid (sensor-relative) */
    LO_PLOT_ELEVATION  = 1u << 1, /* elevation valid: a 3D plot */
    LO_PLOT_CARTESIAN  = 1u << 2, /* enu valid (given, or converted from polar by ingest) */
    LO_PLOT_RADIAL_VEL = 1u << 3,
    LO_PLOT_SNR        = 1u << 4,
    LO_PLOT_MODE_S     = 1u << 5,
    LO_PLOT_MODE_3A    = 1u << 6,
    LO_PLOT_FLIGHT_LVL = 1u << 7, /* baro_altitude_m valid */
    LO_PLOT_SIGMAS     = 1u << 8, /* per-plot sigma_* given; otherwise the sensor's apply */
    LO_PLOT_COVARIANCE = 1u << 9, /* enu_cov valid */
    LO_PLOT_DOPPLER_SPREAD = 1u << 10, /* doppler_spread_mps valid */
};

/* One detection from one sensor. */
typedef struct lo_plot {
    double t;                 /* detection time, UTC seconds */
    uint16_t sensor_id;       /* lo_sensor.id of the radar that made it */
    uint32_t flags;           /* lo_plot_flags */

    /* Polar measurement relative to the sensor's antenna. */
    double range_m;           /* slant range */
    double azimuth_rad;       /* [0, 2pi), clockwise from true north */
    double elevation_rad;     /* only with LO_PLOT_ELEVATION */
    double radial_velocity_mps; /* positive receding; only with LO_PLOT_RADIAL_VEL */
    /* RMS width of the return's Doppler spectrum about its radial velocity, m/s; only with
     * LO_PLOT_DOPPLER_SPREAD. Rotors and propellers (blade flash), jet engines and wing beats
     * widen it; a rigid body, ground clutter and a noise peak leave it near the radar's
     * Doppler resolution. */
    double doppler_spread_mps;

    /* Per-plot 1-sigma accuracies (LO_PLOT_SIGMAS); zero means "use the sensor's". */
    double sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad, sigma_radial_velocity_mps;

    /* Cartesian position in the system ENU frame and its covariance (row-major 3x3).
     * For a 2D plot the up component is a guess and its variance is large. */
    double enu[3];
    double enu_cov[9];

    double snr_db;            /* only with LO_PLOT_SNR */
    uint32_t mode_s_address;  /* 24-bit ICAO address, only with LO_PLOT_MODE_S */
    uint16_t mode_3a;         /* octal code as a 12-bit number, only with LO_PLOT_MODE_3A */
    double baro_altitude_m;   /* pressure altitude from flight level, LO_PLOT_FLIGHT_LVL */

    uint32_t truth_id;        /* simulator only: the truth object behind it, 0 = false alarm
                                 or unknown. Evaluation reads it; the tracker must not. */
} lo_plot;

/* ---- tracks ----------------------------------------------------------------------------- */

typedef enum lo_track_status {
    LO_TRACK_TENTATIVE = 0,
    LO_TRACK_CONFIRMED,
    LO_TRACK_COASTING,        /* confirmed, but missed its last expected update(s) */
    LO_TRACK_DELETED          /* final report of a track */
} lo_track_status;

const char *lo_track_status_name(lo_track_status s);
bool lo_track_status_from_name(const char *name, lo_track_status *out);

#define LO_MAX_MODELS 4

/* A track report: the tracker's public snapshot of one track at one time. */
typedef struct lo_track {
    uint32_t id;              /* stable for the track's life, never reused in a run */
    lo_track_status status;
    double t;                 /* time the state refers to */
    double t_first;           /* time of the first plot */
    double t_confirmed;       /* time of confirmation, 0 while tentative */
    double t_last_update;     /* time of the last associated plot */

    double pos[3];            /* ENU position, m */
    double vel[3];            /* ENU velocity, m/s */
    double acc[3];            /* ENU acceleration estimate, m/s^2 (0 where not modelled) */
    double pos_cov[9];        /* 3x3 position covariance, m^2, row-major */
    double vel_cov[9];        /* 3x3 velocity covariance, (m/s)^2 */

    int n_models;             /* IMM models in use, 0 for a single filter */
    double model_prob[LO_MAX_MODELS]; /* in the tracker's model order (see tracker.h) */

    double class_prob[LO_CLASS_COUNT]; /* filled by the classifier; all 0 before */
    double doppler_spread_mean_mps; /* filled by the classifier: the track's plots' mean Doppler
                                       spread (its radial_vel_spread feature), 0 when unknown
                                       (a measured width is never 0: the radar resolves
                                       no finer than its radial-velocity sigma) */
    uint32_t n_updates;       /* plots associated so far */
    double score;             /* track quality: log-likelihood ratio */

    /* The plot associated at the last update. */
    uint16_t last_sensor_id;
    double last_plot_t;
    uint32_t last_flags;      /* that plot's LO_PLOT_MODE_S / _MODE_3A / _DOPPLER_SPREAD (the
                                 tracker; readers of track files also set _SNR) */
    uint32_t mode_s_address;
    uint16_t mode_3a;
    double last_snr_db;
    double last_doppler_spread_mps; /* with LO_PLOT_DOPPLER_SPREAD in last_flags */
    uint32_t last_truth_id;   /* copied from the plot for evaluation; 0 when unknown */
} lo_track;

/* ---- truth -------------------------------------------------------------------------------- */

/* One sample of a true object's path (simulator output, or a real trajectory). */
typedef struct lo_truth {
    double t;
    uint32_t truth_id;        /* > 0 */
    lo_class cls;
    double pos[3];            /* ENU, m */
    double vel[3];            /* ENU, m/s */
} lo_truth;

/* ---- zones and alerts --------------------------------------------------------------------- */

#define LO_ZONE_MAX_VERTICES 64

typedef enum lo_zone_shape { LO_ZONE_CIRCLE = 0, LO_ZONE_POLYGON } lo_zone_shape;

/* A protected volume: a circle or polygon on the ground and an altitude band above it. */
typedef struct lo_zone {
    char name[LO_NAME_MAX];
    lo_zone_shape shape;
    int priority;             /* 1 = highest; a residence 1, a wider district 3 */
    double center_lat, center_lon; /* radians, circle */
    double radius_m;               /* circle */
    int n_vertices;                /* polygon */
    double vertex_lat[LO_ZONE_MAX_VERTICES], vertex_lon[LO_ZONE_MAX_VERTICES]; /* radians */
    double alt_min_m, alt_max_m;   /* height band: ENU up of the system frame, m */
    /* Derived at load, in the system ENU frame: */
    double center_enu[2];
    double vertex_enu[LO_ZONE_MAX_VERTICES][2];
} lo_zone;

typedef enum lo_alert_level {
    LO_ALERT_INFO = 0,
    LO_ALERT_WARNING,
    LO_ALERT_ALARM
} lo_alert_level;

typedef enum lo_alert_transition {
    LO_ALERT_RAISED = 0,
    LO_ALERT_UPDATED,
    LO_ALERT_CLEARED
} lo_alert_transition;

const char *lo_alert_level_name(lo_alert_level l);
const char *lo_alert_transition_name(lo_alert_transition t);

#define LO_REASON_MAX 160

/* One alert transition: what the journal stores and the display shows. */
typedef struct lo_alert {
    uint64_t alert_id;        /* one per (track, zone) episode */
    uint32_t track_id;
    int zone_index;           /* into the configuration's zones */
    char zone_name[LO_NAME_MAX];
    lo_alert_level level;
    lo_alert_transition transition;
    double t;                 /* time of the transition */
    lo_class cls;             /* most likely class at the transition */
    double class_confidence;  /* its probability */
    double distance_m;        /* horizontal distance to the zone edge, 0 inside */
    double time_to_entry_s;   /* < 0 when inside or not approaching; for ballistic tracks
                                 the time to impact */
    double time_to_entry_sigma_s;
    bool has_impact;          /* ballistic: predicted impact point below */
    double impact_enu[2];
    double impact_cov[4];     /* 2x2 horizontal, m^2 */
    bool has_launch;          /* ballistic: back-propagated launch point (for reports only) */
    double launch_enu[2];
    char reason[LO_REASON_MAX]; /* "drone, 2.3 km E of residence, 41 m/s, entry in 48 s" */
    lo_track snapshot;        /* the track as it was at the transition */
} lo_alert;

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_TYPES_H */
