/*
 * lookout/asterix.h: EUROCONTROL ASTERIX, the binary radar data format, in and out.
 *
 * Owns the decoders for CAT048 (monoradar target reports, editions 1.15 and later), CAT034
 * (monoradar service messages: north markers, sector crossings) and CAT062 (SDPS system tracks,
 * editions 1.16 and later), the matching encoders, and the conversions between those records
 * and the data model (lo_plot, lo_track). Recordings and sockets live in recording.h / udp.h.
 *
 * A data block is CAT (1 octet), LEN (2 octets, the whole block), then records; a record is an
 * FSPEC (7 item bits per octet plus an FX bit) then the items in field-reference-number (FRN)
 * order. The decoder knows the length rule (fixed, extended, repetitive, explicit, compound) of
 * every item of the three categories, so items it does not interpret are skipped and counted;
 * blocks of other categories are skipped whole by their LEN and counted. Nothing is fatal: a
 * malformed block is reported through the lo_diag_sink (byte offset, item) and the rest of that
 * block is dropped, the next block is decoded as usual.
 *
 * The record structs (lo_cat048, lo_cat034, lo_cat062) hold every decoded item as the raw
 * integer that was on the wire (so values compare to the LSB) plus a `present` bit per FRN.
 * Helper functions give SI values. Units: the record structs are in wire units (named in each
 * comment); lo_plot / lo_track are SI (metres, radians, seconds).
 *
 * Time: ASTERIX carries only the time of day (1/128 s since UTC midnight). lo_tod_resolver
 * turns it into UTC seconds since the epoch (double) from a reference date or a nearby
 * reference time, across midnight (a recording that crosses midnight keeps increasing).
 */
#ifndef LOOKOUT_ASTERIX_H
#define LOOKOUT_ASTERIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/diag.h"
#include "lookout/geo.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A UDP datagram payload never exceeds this; encoders fill blocks up to LO_ASTERIX_BLOCK_MAX. */
#define LO_ASTERIX_BLOCK_MAX 1400
#define LO_ASTERIX_TOD_LSB (1.0 / 128.0)

/* Presence bit of an item: bit FRN of `present` (FRN 1..35). */
#define LO_FRN(n) ((uint64_t)1 << (n))

/* ---- CAT048 ------------------------------------------------------------------------------ */

/* FRNs of CAT048 (UAP of editions 1.15 .. 1.32, unchanged across them). */
enum {
    LO_I048_010 = 1, LO_I048_140 = 2, LO_I048_020 = 3, LO_I048_040 = 4, LO_I048_070 = 5,
    LO_I048_090 = 6, LO_I048_130 = 7, LO_I048_220 = 8, LO_I048_240 = 9, LO_I048_250 = 10,
    LO_I048_161 = 11, LO_I048_042 = 12, LO_I048_200 = 13, LO_I048_170 = 14, LO_I048_210 = 15,
    LO_I048_030 = 16, LO_I048_080 = 17, LO_I048_100 = 18, LO_I048_110 = 19, LO_I048_120 = 20,
    LO_I048_230 = 21, LO_I048_260 = 22, LO_I048_055 = 23, LO_I048_050 = 24, LO_I048_065 = 25,
    LO_I048_060 = 26, LO_I048_SP = 27, LO_I048_RE = 28
};

/* I048/130 subfield presence bits (sub130_present). */
enum { LO_I130_SRL = 1, LO_I130_SRR = 2, LO_I130_SAM = 4, LO_I130_PRL = 8, LO_I130_PAM = 16,
       LO_I130_RPD = 32, LO_I130_APD = 64 };

/* lookout's own CAT048 SP field (see docs/asterix.md): present bits in sp_lookout. */
enum { LO_SP048_ELEVATION = 1, LO_SP048_SNR = 2, LO_SP048_RADIAL_VEL = 4, LO_SP048_TRUTH = 8,
       LO_SP048_FINE = 16, LO_SP048_SIGMAS = 32, LO_SP048_FINE_TIME = 64,
       LO_SP048_DOPPLER_SPREAD = 128 };

typedef struct lo_cat048 {
    uint64_t present;          /* LO_FRN(LO_I048_xxx) per item present */
    uint8_t sac, sic;          /* 010 */
    uint32_t tod;              /* 140, 1/128 s since midnight */
    uint8_t i020[3];           /* 020 octets as received (len i020_len) */
    uint8_t i020_len;
    uint8_t typ;               /* 020 TYP: 1 PSR, 2 SSR, 3 SSR+PSR, 4 all-call, 5 roll-call, ... */
    bool sim, rdp, spi, rab, tst;
    uint16_t rho;              /* 040 RHO, 1/256 NM */
    uint16_t theta;            /* 040 THETA, 360/2^16 degrees */
    uint16_t mode3a;           /* 070 code as a 12-bit number (octal digits ABCD) */
    bool mode3a_v, mode3a_g, mode3a_l;
    int16_t fl;                /* 090, 1/4 FL (25 ft), 14-bit signed */
    bool fl_v, fl_g;
    uint8_t sub130_present;    /* 130 */
    uint8_t srl, srr, prl;     /* runlength 360/2^13 deg; SRR count */
    int8_t sam, pam;           /* amplitude, dBm */
    int8_t rpd, apd;           /* 1/256 NM, 360/2^14 deg */
    uint32_t address;          /* 220, 24-bit ICAO address */
    char ident[9];             /* 240, 8 characters, NUL-terminated, trailing spaces kept */
    uint8_t n_bds;             /* 250 repetitions */
    uint8_t bds[8];            /* BDS1<<4|BDS2 of the first 8 */
    uint16_t track_number;     /* 161, 12 bits */
    int16_t x, y;              /* 042, 1/128 NM */
    uint16_t gsp, hdg;         /* 200: 2^-14 NM/s, 360/2^16 degrees */
    uint8_t i170[2];           /* 170 octets (cnf = i170[0] >> 7 ...) */
    uint8_t i170_len;
    uint8_t sigx, sigy, sigv, sigh; /* 210 */
    uint8_t n_030;             /* 030 warning/error codes */
    uint8_t codes_030[8];
    uint16_t i080;             /* 080 */
    uint16_t modec;            /* 100 Mode C gray code (12 bits), with V/G */
    uint16_t modec_conf;
    bool modec_v, modec_g;
    int16_t height_3d;         /* 110, 25 ft, 14-bit signed */
    bool has_doppler_cal;      /* 120 CAL */
    int16_t doppler_cal;       /* m/s, 10-bit signed; lookout takes positive = receding */
    bool doppler_doubtful;
    uint8_t n_doppler_raw;     /* 120 RDS repetitions */
    uint16_t i230;             /* 230 */
    uint8_t i260[7];           /* 260 ACAS RA */
    uint8_t mode1, i065;       /* 055, 065 */
    uint16_t mode2, i060;      /* 050, 060 */
    uint8_t sp_len, re_len;    /* SP, RE: length octet value */
    /* lookout SP content (when sp_lookout != 0) */
    uint8_t sp_lookout;
    int16_t sp_elevation;      /* 180/2^15 degrees */
    int16_t sp_snr;            /* 1/256 dB */
    int16_t sp_radial_vel;     /* 1/64 m/s, positive receding */
    uint32_t sp_truth_id;
    int8_t sp_range_fine;      /* residual of RHO in 1/256 of its LSB: range = (rho + f/256)/256 NM */
    int8_t sp_azimuth_fine;    /* residual of THETA in 1/256 of its LSB */
    uint16_t sp_sigma_range;   /* per-plot 1-sigma range accuracy, 1/64 m */
    uint16_t sp_sigma_azimuth; /* azimuth, pi/2^20 rad */
    uint16_t sp_sigma_elevation; /* elevation, pi/2^20 rad */
    uint16_t sp_sigma_radial_vel; /* radial velocity, 1/256 m/s */
    int8_t sp_time_fine;       /* residual of I048/140 in 1/256 of its LSB (1/32768 s) */
    uint16_t sp_doppler_spread; /* Doppler spectrum RMS width, 1/64 m/s */
} lo_cat048;

/* ---- CAT034 ------------------------------------------------------------------------------ */

enum {
    LO_I034_010 = 1, LO_I034_000 = 2, LO_I034_030 = 3, LO_I034_020 = 4, LO_I034_041 = 5,
    LO_I034_050 = 6, LO_I034_060 = 7, LO_I034_070 = 8, LO_I034_100 = 9, LO_I034_110 = 10,
    LO_I034_120 = 11, LO_I034_090 = 12, LO_I034_RE = 13, LO_I034_SP = 14
};
enum { LO_CAT034_NORTH_MARKER = 1, LO_CAT034_SECTOR_CROSSING = 2 };

typedef struct lo_cat034 {
    uint64_t present;
    uint8_t sac, sic;          /* 010 */
    uint8_t msg_type;          /* 000 */
    uint32_t tod;              /* 030, 1/128 s */
    uint8_t sector;            /* 020, 360/2^8 degrees */
    uint16_t rotation_period;  /* 041, 1/128 s */
    uint8_t i050_com;          /* 050 common part (NOGO, RDPC, ...), when subfield present */
    uint8_t i050_sub;          /* 050 primary subfield bits */
    uint8_t i060_sub;          /* 060 primary subfield bits */
    uint8_t n_counters;        /* 070 */
    uint16_t rho_start, rho_end, theta_start, theta_end; /* 100 */
    uint8_t data_filter;       /* 110 */
    int16_t site_height;       /* 120, m */
    int32_t site_lat, site_lon;/* 120, 180/2^23 degrees */
    int8_t coll_range, coll_azimuth; /* 090 */
    uint8_t sp_len, re_len;
} lo_cat034;

/* ---- CAT062 ------------------------------------------------------------------------------ */

enum {
    LO_I062_010 = 1, LO_I062_015 = 3, LO_I062_070 = 4, LO_I062_105 = 5, LO_I062_100 = 6,
    LO_I062_185 = 7, LO_I062_210 = 8, LO_I062_060 = 9, LO_I062_245 = 10, LO_I062_380 = 11,
    LO_I062_040 = 12, LO_I062_080 = 13, LO_I062_290 = 14, LO_I062_200 = 15, LO_I062_295 = 16,
    LO_I062_136 = 17, LO_I062_130 = 18, LO_I062_135 = 19, LO_I062_220 = 20, LO_I062_390 = 21,
    LO_I062_270 = 22, LO_I062_300 = 23, LO_I062_110 = 24, LO_I062_120 = 25, LO_I062_510 = 26,
    LO_I062_500 = 27, LO_I062_340 = 28, LO_I062_RE = 34, LO_I062_SP = 35
};

/* I062/290 subfields (sub290_present) and I062/500, I062/340 (sub500_present, sub340_present). */
enum { LO_I290_TRK = 1, LO_I290_PSR = 2, LO_I290_SSR = 4, LO_I290_MDS = 8 };
enum { LO_I500_APC = 1, LO_I500_COV = 2, LO_I500_APW = 4, LO_I500_AGA = 8, LO_I500_ABA = 16,
       LO_I500_ATV = 32, LO_I500_AA = 64, LO_I500_ARC = 128 };
enum { LO_I340_SID = 1, LO_I340_POS = 2, LO_I340_HEIGHT = 4, LO_I340_MDC = 8, LO_I340_MDA = 16,
       LO_I340_TYP = 32 };

typedef struct lo_cat062 {
    uint64_t present;
    uint8_t sac, sic;          /* 010 */
    uint8_t service_id;        /* 015 */
    uint32_t tod;              /* 070, 1/128 s */
    int32_t lat, lon;          /* 105, 180/2^25 degrees */
    int32_t x, y;              /* 100, 0.5 m, 24-bit signed */
    int16_t vx, vy;            /* 185, 0.25 m/s */
    int8_t ax, ay;             /* 210, 0.25 m/s^2 */
    uint16_t mode3a;           /* 060 (12 bits) */
    char ident[9];             /* 245 */
    uint8_t sub380_count;      /* 380: subfields present (interpreted: ADR, ID) */
    uint32_t address;          /* 380 ADR; has_address */
    bool has_address;
    char adr_ident[9];         /* 380 ID */
    uint16_t track_number;     /* 040 */
    uint8_t i080[7];           /* 080 octets as received */
    uint8_t i080_len;
    bool mon, cnf, tse, tsb, cst, sim; /* 080 bits that matter here */
    uint8_t sub290_present;
    uint8_t age_trk, age_psr, age_ssr, age_mds; /* 290, 1/4 s */
    uint8_t mode_of_movement;  /* 200 */
    int16_t measured_fl;       /* 136, 1/4 FL */
    int16_t geo_alt;           /* 130, 6.25 ft */
    int16_t baro_alt;          /* 135, 1/4 FL (15-bit signed), qnh bit below */
    bool baro_qnh;
    int16_t rocd;              /* 220, 6.25 ft/min */
    char callsign[8];          /* 390 CS, 7 characters */
    uint8_t sub500_present;
    uint16_t apc_x, apc_y;     /* 500 APC, 0.5 m */
    int16_t apc_cov;           /* 500 COV, 0.5 m */
    uint16_t apw_lat, apw_lon; /* 500 APW */
    uint8_t aga, aba, atv_x, atv_y, aa_x, aa_y, arc; /* 500 */
    uint8_t sub340_present;
    uint8_t m_sac, m_sic;      /* 340 SID */
    uint16_t m_rho, m_theta;   /* 340 POS: 1/256 NM, 360/2^16 degrees */
    int16_t m_height;          /* 340 HEIGHT, 25 ft */
    uint16_t m_mdc, m_mda;     /* 340 MDC, MDA raw */
    uint8_t m_typ;             /* 340 TYP raw octet */
    uint8_t n_510;             /* 510 repetitions (decoded, never encoded) */
    uint8_t sp_len, re_len;
    /* lookout SP content: class probabilities (docs/asterix.md) */
    bool sp_lookout;
    uint8_t sp_n_classes;
    uint8_t sp_class_prob[LO_CLASS_COUNT]; /* 1/255 */
} lo_cat062;

/* ---- decoding ---------------------------------------------------------------------------- */

/* One decoded record, handed to the callback. Pointers are valid only during the call. */
typedef struct lo_asterix_record {
    uint8_t cat;               /* 48, 34 or 62 */
    long long offset;          /* byte offset of the record in the input (base + position) */
    long long block_offset;    /* byte offset of its data block */
    int index_in_block;        /* 0-based */
    const lo_cat048 *c048;     /* the one matching cat, others NULL */
    const lo_cat034 *c034;
    const lo_cat062 *c062;
} lo_asterix_record;

typedef void (*lo_asterix_record_fn)(void *ctx, const lo_asterix_record *rec);

/* Counters a decoder keeps across calls (zero-initialise). */
typedef struct lo_asterix_stats {
    long blocks;               /* well-formed block headers seen */
    long records;              /* records decoded and delivered */
    long records_by_cat[256];
    long skipped_blocks;       /* blocks of categories not decoded (skipped by LEN) */
    long skipped_items;        /* items skipped by their length rule, not interpreted */
    long malformed;            /* problems reported (each drops the rest of a block or chunk) */
} lo_asterix_stats;

/* Decode every data block in buf[0..len) (one datagram, one recorded chunk). `source` and
 * `base_offset` make diagnostics say where (base_offset: file offset of buf[0]). Returns the
 * number of records delivered. Never reads outside buf. sink may be NULL (stderr). */
long lo_asterix_decode(const uint8_t *buf, size_t len, const char *source, long long base_offset,
                       lo_asterix_record_fn fn, void *ctx, lo_asterix_stats *stats,
                       lo_diag_sink *sink);

/* Decode one record of category `cat` at p[0..avail). Returns the record's length, or -1 when
 * it is malformed (then *why and *item say what and where: item like "I048/130"). */
long lo_cat048_decode(const uint8_t *p, size_t avail, lo_cat048 *out, long *skipped_items,
                      const char **why, const char **item);
long lo_cat034_decode(const uint8_t *p, size_t avail, lo_cat034 *out, long *skipped_items,
                      const char **why, const char **item);
long lo_cat062_decode(const uint8_t *p, size_t avail, lo_cat062 *out, long *skipped_items,
                      const char **why, const char **item);

/* ---- encoding ---------------------------------------------------------------------------- */

/* Encode the items flagged in rec->present (those this encoder supports; others are ignored)
 * as one record into out. Returns the number of octets, or 0 when cap is too small. */
size_t lo_cat048_encode(const lo_cat048 *rec, uint8_t *out, size_t cap);
size_t lo_cat034_encode(const lo_cat034 *rec, uint8_t *out, size_t cap);
size_t lo_cat062_encode(const lo_cat062 *rec, uint8_t *out, size_t cap);

/* A data block being filled: records of one category appended until it is full. */
typedef struct lo_asterix_block {
    uint8_t data[LO_ASTERIX_BLOCK_MAX];
    size_t len;                /* 0 = empty, else 3 + records */
    uint8_t cat;
    int n_records;
} lo_asterix_block;

void lo_asterix_block_init(lo_asterix_block *b, uint8_t cat);
/* Append one encoded record. Returns false (block unchanged) when it does not fit. */
bool lo_asterix_block_add(lo_asterix_block *b, const uint8_t *rec, size_t n);

/* ---- conversions to and from the data model ---------------------------------------------- */

/* Time of day -> UTC seconds since the epoch. */
typedef struct lo_tod_resolver {
    double day_start;          /* UTC midnight of the current day, seconds since the epoch */
    double last_t;             /* last resolved time, NAN before the first */
} lo_tod_resolver;

/* `date_midnight`: UTC midnight of the reference date (the first record is on that date). */
void lo_tod_resolver_init(lo_tod_resolver *r, double date_midnight);
/* Resolve; times after a midnight wrap go to the next day (a jump back of more than 12 h in
 * time of day is a wrap; a small step back, e.g. out-of-order records, stays on the day). */
double lo_tod_resolve(lo_tod_resolver *r, double tod_s);
/* Resolve with no history: the time with this time of day nearest to `near_t` (e.g. the
 * packet capture time or the receive time). */
double lo_tod_nearest(double tod_s, double near_t);
/* "YYYY-MM-DD" -> UTC midnight (seconds since the epoch). False when malformed. */
bool lo_parse_date(const char *s, double *midnight);

/* CAT048 -> plot. `sensor` (may be NULL) is the radar that made it; with a sensor, a 3D height
 * (I048/110) becomes an elevation (4/3-earth model) and the sensor's id is used when the
 * sensor's SAC/SIC match; otherwise sensor_id = (SAC << 8) | SIC. Time: `t` (resolved).
 * Primary-only plots without a height stay 2D (no LO_PLOT_ELEVATION). Returns false when the
 * record has no position (no I048/040). */
bool lo_cat048_to_plot(const lo_cat048 *rec, const lo_sensor *sensor, double t, lo_plot *out);
/* Plot (from `sensor`, may be NULL) -> CAT048 record: 010, 140, 020 (TYP 1 PSR, 3 SSR+PSR,
 * 5 Mode S), 040, 070/090/220 where the plot has them, 110 (3D height, needs the sensor's
 * antenna height) with an elevation, 120 CAL with a radial velocity, and the lookout SP
 * (exact elevation, SNR, radial velocity, truth id, fine range/azimuth; docs/asterix.md). */
void lo_cat048_from_plot(const lo_plot *p, const lo_sensor *sensor, lo_cat048 *out);

/* The plot as a receiver of our CAT048 will see it: encoded, the bytes decoded, the time of day
 * resolved next to p->t, exactly as lo_asterix_plot_source does. A simulator that writes its
 * plots through this in every output format makes a CSV and a CAT048 recording of one run hold
 * the very same plots (CAT048 is idempotent on the result). Plots CAT048 cannot carry (no
 * polar position, or a Cartesian position or covariance of their own) are copied unchanged;
 * returns false for those. */
bool lo_cat048_wire_plot(const lo_plot *p, const lo_sensor *sensor, lo_plot *out);

/* North marker / sector crossing for `sensor` at time t (sector in radians for crossings). */
void lo_cat034_make(const lo_sensor *sensor, int msg_type, double t, double sector_az_rad,
                    lo_cat034 *out);

/* Track -> CAT062: 010, 015, 070, 105 and 130 (via `sys`, may be NULL), 100, 185, 210, 060 and
 * 380 ADR (when the last plot had Mode 3/A / Mode S), 040, 080 (TSB on the first report, TSE
 * on the last or DELETED: pass first/last; CST when coasting), 290, 200, 220, 340, 500, SP
 * (class probabilities). Never 510. 136 is not filled (a track has no measured flight level).
 * `sensors` (n_sensors) supplies 340's SAC/SIC and polar position. */
void lo_cat062_from_track(const lo_track *trk, const lo_enu_frame *sys, uint8_t sac, uint8_t sic,
                          bool first, bool last, const lo_sensor *sensors, int n_sensors,
                          lo_cat062 *out);
/* CAT062 -> track report. Position from I062/105 through `sys` when both exist, else from
 * I062/100 (the sender's own Cartesian frame). Time `t` (resolved). */
void lo_cat062_to_track(const lo_cat062 *rec, const lo_enu_frame *sys, double t, lo_track *out);

/* SI helpers. */
double lo_cat048_range_m(const lo_cat048 *r);     /* with the fine SP bits when present */
double lo_cat048_azimuth_rad(const lo_cat048 *r);
/* Octal digits of a Mode 3/A code as an integer for printing (e.g. 07700 -> 7700). */
unsigned lo_mode3a_octal(uint16_t code);

#ifdef __cplusplus
}
#endif
#endif
