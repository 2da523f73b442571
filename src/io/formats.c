/*
 * Text file formats for plots, truth and tracks: CSV (libcsv) and JSON lines (jansson).
 * See lookout/formats.h for the contract and docs/formats.md for every column.
 *
 * Both formats go through one representation: a record is an array of text cells indexed by
 * the column's id in its kind's table (NULL = absent or empty). CSV maps header fields to
 * ids once; JSON maps each object's keys. The per-kind decoders then read typed values from
 * the cells and report a bad one with the line, the column number (CSV field number; 0 for
 * JSON, whose keys have no position) and the column name. Writers fill the same cells and
 * serialise them, so the two formats cannot drift apart.
 */
#include "lookout/formats.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "lookout/geo.h"

/* ---- column tables ------------------------------------------------------------------- */

enum {
    COL_REQUIRED = 1u << 0, /* a file without it is refused */
    COL_STRING = 1u << 1,   /* a JSON string, not a number */
    COL_INFO = 1u << 2,     /* written for people and other tools; ignored when read */
};

typedef struct col_def {
    const char *name;
    unsigned flags;
} col_def;

enum plot_col {
    P_TIME, P_SENSOR, P_RANGE, P_AZIMUTH, P_ELEVATION, P_RADIAL_VEL, P_DOPPLER_SPREAD, P_SNR,
    P_X, P_Y, P_Z,
    P_SIG_RANGE, P_SIG_AZ, P_SIG_EL, P_SIG_RV, P_SIG_X, P_SIG_Y, P_SIG_Z,
    P_MODE_S, P_MODE_3A, P_FLIGHT_LEVEL, P_TRUTH_ID,
    P_NCOLS
};

static const col_def plot_cols[P_NCOLS] = {
    [P_TIME] = {"time", COL_REQUIRED},
    [P_SENSOR] = {"sensor_id", COL_REQUIRED},
    [P_RANGE] = {"range_m", 0},
    [P_AZIMUTH] = {"azimuth_deg", 0},
    [P_ELEVATION] = {"elevation_deg", 0},
    [P_RADIAL_VEL] = {"radial_velocity_mps", 0},
    [P_DOPPLER_SPREAD] = {"doppler_spread_mps", 0},
    [P_SNR] = {"snr_db", 0},
    [P_X] = {"x_m", 0},
    [P_Y] = {"y_m", 0},
    [P_Z] = {"z_m", 0},
    [P_SIG_RANGE] = {"sigma_range_m", 0},
    [P_SIG_AZ] = {"sigma_azimuth_deg", 0},
    [P_SIG_EL] = {"sigma_elevation_deg", 0},
    [P_SIG_RV] = {"sigma_radial_velocity_mps", 0},
    [P_SIG_X] = {"sigma_x_m", 0},
    [P_SIG_Y] = {"sigma_y_m", 0},
    [P_SIG_Z] = {"sigma_z_m", 0},
    [P_MODE_S] = {"mode_s", COL_STRING},
    [P_MODE_3A] = {"mode_3a", COL_STRING},
    [P_FLIGHT_LEVEL] = {"flight_level", 0},
    [P_TRUTH_ID] = {"truth_id", 0},
};

enum truth_col { T_TIME, T_ID, T_CLASS, T_X, T_Y, T_Z, T_VX, T_VY, T_VZ, T_NCOLS };

static const col_def truth_cols[T_NCOLS] = {
    [T_TIME] = {"time", COL_REQUIRED},
    [T_ID] = {"truth_id", COL_REQUIRED},
    [T_CLASS] = {"class", COL_STRING},
    [T_X] = {"x_m", COL_REQUIRED},
    [T_Y] = {"y_m", COL_REQUIRED},
    [T_Z] = {"z_m", COL_REQUIRED},
    [T_VX] = {"vx_mps", COL_REQUIRED},
    [T_VY] = {"vy_mps", COL_REQUIRED},
    [T_VZ] = {"vz_mps", COL_REQUIRED},
};

enum track_col {
    K_TIME, K_ID, K_STATUS, K_X, K_Y, K_Z, K_VX, K_VY, K_VZ,
    K_LAT, K_LON, K_ALT,
    K_AX, K_AY, K_AZ,
    K_SIGMA_POS, K_SIGMA_VEL,
    K_PCOV_XX, K_PCOV_XY, K_PCOV_XZ, K_PCOV_YY, K_PCOV_YZ, K_PCOV_ZZ,
    K_VCOV_XX, K_VCOV_XY, K_VCOV_XZ, K_VCOV_YY, K_VCOV_YZ, K_VCOV_ZZ,
    K_N_MODELS, K_P_MODEL0, K_P_MODEL1, K_P_MODEL2, K_P_MODEL3,
    K_P_CLASS0, /* LO_CLASS_COUNT columns from here */
    K_CLASS = K_P_CLASS0 + LO_CLASS_COUNT, K_CLASS_PROB,
    K_T_FIRST, K_T_CONFIRMED, K_T_LAST_UPDATE, K_N_UPDATES, K_SCORE,
    K_PLOT_SENSOR, K_PLOT_TIME, K_PLOT_MODE_S, K_PLOT_MODE_3A, K_PLOT_SNR, K_PLOT_DOPPLER_SPREAD,
    K_PLOT_TRUTH_ID,
    K_NCOLS
};

_Static_assert(LO_CLASS_COUNT == 10, "add the p_<class> column for the new class below");
_Static_assert(LO_MAX_MODELS == 4, "add the p_model<i> column for the new model below");

static const col_def track_cols[K_NCOLS] = {
    [K_TIME] = {"time", COL_REQUIRED},
    [K_ID] = {"track_id", COL_REQUIRED},
    [K_STATUS] = {"status", COL_REQUIRED | COL_STRING},
    [K_X] = {"x_m", COL_REQUIRED},
    [K_Y] = {"y_m", COL_REQUIRED},
    [K_Z] = {"z_m", COL_REQUIRED},
    [K_VX] = {"vx_mps", COL_REQUIRED},
    [K_VY] = {"vy_mps", COL_REQUIRED},
    [K_VZ] = {"vz_mps", COL_REQUIRED},
    [K_LAT] = {"lat_deg", COL_INFO},
    [K_LON] = {"lon_deg", COL_INFO},
    [K_ALT] = {"alt_m", COL_INFO},
    [K_AX] = {"ax_mps2", 0},
    [K_AY] = {"ay_mps2", 0},
    [K_AZ] = {"az_mps2", 0},
    [K_SIGMA_POS] = {"sigma_pos_m", 0},
    [K_SIGMA_VEL] = {"sigma_vel_mps", 0},
    [K_PCOV_XX] = {"pos_cov_xx_m2", 0},
    [K_PCOV_XY] = {"pos_cov_xy_m2", 0},
    [K_PCOV_XZ] = {"pos_cov_xz_m2", 0},
    [K_PCOV_YY] = {"pos_cov_yy_m2", 0},
    [K_PCOV_YZ] = {"pos_cov_yz_m2", 0},
    [K_PCOV_ZZ] = {"pos_cov_zz_m2", 0},
    [K_VCOV_XX] = {"vel_cov_xx_m2ps2", 0},
    [K_VCOV_XY] = {"vel_cov_xy_m2ps2", 0},
    [K_VCOV_XZ] = {"vel_cov_xz_m2ps2", 0},
    [K_VCOV_YY] = {"vel_cov_yy_m2ps2", 0},
    [K_VCOV_YZ] = {"vel_cov_yz_m2ps2", 0},
    [K_VCOV_ZZ] = {"vel_cov_zz_m2ps2", 0},
    [K_N_MODELS] = {"n_models", 0},
    [K_P_MODEL0] = {"p_model0", 0},
    [K_P_MODEL1] = {"p_model1", 0},
    [K_P_MODEL2] = {"p_model2", 0},
    [K_P_MODEL3] = {"p_model3", 0},
    [K_P_CLASS0 + LO_CLASS_UNKNOWN] = {"p_unknown", 0},
    [K_P_CLASS0 + LO_CLASS_MULTIROTOR] = {"p_multirotor", 0},
    [K_P_CLASS0 + LO_CLASS_FIXED_WING] = {"p_fixed_wing", 0},
    [K_P_CLASS0 + LO_CLASS_BIRD] = {"p_bird", 0},
    [K_P_CLASS0 + LO_CLASS_AIRLINER] = {"p_airliner", 0},
    [K_P_CLASS0 + LO_CLASS_HELICOPTER] = {"p_helicopter", 0},
    [K_P_CLASS0 + LO_CLASS_LIGHT_AIRCRAFT] = {"p_light_aircraft", 0},
    [K_P_CLASS0 + LO_CLASS_ROCKET] = {"p_rocket", 0},
    [K_P_CLASS0 + LO_CLASS_GROUND_VEHICLE] = {"p_ground_vehicle", 0},
    [K_P_CLASS0 + LO_CLASS_CLUTTER] = {"p_clutter", 0},
    [K_CLASS] = {"class", COL_STRING},
    [K_CLASS_PROB] = {"class_prob", COL_INFO},
    [K_T_FIRST] = {"t_first", 0},
    [K_T_CONFIRMED] = {"t_confirmed", 0},
    [K_T_LAST_UPDATE] = {"t_last_update", 0},
    [K_N_UPDATES] = {"n_updates", 0},
    [K_SCORE] = {"score", 0},
    [K_PLOT_SENSOR] = {"plot_sensor_id", 0},
    [K_PLOT_TIME] = {"plot_time", 0},
    [K_PLOT_MODE_S] = {"plot_mode_s", COL_STRING},
    [K_PLOT_MODE_3A] = {"plot_mode_3a", COL_STRING},
    [K_PLOT_SNR] = {"plot_snr_db", 0},
    [K_PLOT_DOPPLER_SPREAD] = {"plot_doppler_spread_mps", 0},
    [K_PLOT_TRUTH_ID] = {"plot_truth_id", 0},
};

#define MAX_COLS K_NCOLS

static const col_def *kind_table(int kind, int *ncols)
{
    switch (kind) {
    case LO_RECORD_PLOT: *ncols = P_NCOLS; return plot_cols;
    case LO_RECORD_TRUTH: *ncols = T_NCOLS; return truth_cols;
    default: *ncols = K_NCOLS; return track_cols;
    }
}

static const char *kind_name(int kind)
{
    return kind == LO_RECORD_PLOT ? "plots" : kind == LO_RECORD_TRUTH ? "truth" : "tracks";
}

static int find_column(const col_def *cols, int ncols, const char *name)
{
    for (int i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, name) == 0) return i;
    return -1;
}

/* Unit suffixes a column name may end in; used to spot a known quantity in the wrong unit. */
static const char *const unit_suffixes[] = {
    "m", "km", "nm", "ft", "deg", "rad", "mrad", "mps", "kmh", "kph", "kt", "kts", "fpm",
    "s", "ms", "us", "db", "dbm", "m2", "mps2", "g", "fl", "hex", "oct",
};

/* Name without its unit suffix ("range_km" -> "range"); into buf. */
static void column_stem(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s", name);
    for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
    char *us = strrchr(buf, '_');
    if (!us) return;
    for (size_t i = 0; i < sizeof unit_suffixes / sizeof unit_suffixes[0]; i++)
        if (strcmp(us + 1, unit_suffixes[i]) == 0) {
            *us = 0;
            return;
        }
}

/* The known column with the same quantity as `name` in another unit, or -1. */
static int same_quantity_column(const col_def *cols, int ncols, const char *name)
{
    char stem[64], other[64];
    column_stem(name, stem, sizeof stem);
    for (int i = 0; i < ncols; i++) {
        column_stem(cols[i].name, other, sizeof other);
        if (strcmp(stem, other) == 0) return i;
    }
    return -1;
}

/* ---- time ------------------------------------------------------------------------------ */

static bool parse_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i])) return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

bool lo_parse_time(const char *s, double *t)
{
    if (!s) return false;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && errno == 0 && isfinite(v)) {
        while (isspace((unsigned char)*end)) end++;
        if (!*end) {
            *t = v;
            return true;
        }
    }
    /* ISO 8601: YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]; a space may replace the T and
     * no zone means UTC. */
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (!parse_digits(&p, 4, &year) || *p++ != '-' || !parse_digits(&p, 2, &mon) || *p++ != '-' ||
        !parse_digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    if (!parse_digits(&p, 2, &hour) || *p++ != ':' || !parse_digits(&p, 2, &min) || *p++ != ':' ||
        !parse_digits(&p, 2, &sec))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return false;
    double frac = 0.0;
    if (*p == '.' || *p == ',') {
        p++;
        double scale = 0.1;
        if (!isdigit((unsigned char)*p)) return false;
        while (isdigit((unsigned char)*p)) {
            frac += (*p - '0') * scale;
            scale *= 0.1;
            p++;
        }
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (!parse_digits(&p, 2, &oh)) return false;
        if (*p == ':') p++;
        if (isdigit((unsigned char)*p) && !parse_digits(&p, 2, &om)) return false;
        if (oh > 23 || om > 59) return false;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    while (isspace((unsigned char)*p)) p++;
    if (*p) return false;
    struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = min, .tm_sec = sec};
    time_t epoch = timegm(&tm);
    if (epoch == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31)) return false;
    *t = (double)epoch + frac - offset_s;
    return true;
}

void lo_format_time(double t, char *buf, size_t len)
{
    if (!isfinite(t)) {
        snprintf(buf, len, "invalid");
        return;
    }
    double whole = floor(t);
    long ms = lround((t - whole) * 1000.0);
    time_t secs = (time_t)whole;
    if (ms >= 1000) {
        ms -= 1000;
        secs += 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

lo_text_format lo_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson") || !strcasecmp(dot, ".json")))
        return LO_FORMAT_JSONL;
    return LO_FORMAT_CSV;
}

/* ---- readers -------------------------------------------------------------------------- */

typedef struct csv_record {
    char **fields;
    int n;
    long line;
} csv_record;

struct lo_reader {
    int kind;
    lo_text_format fmt;
    FILE *f;
    bool own_file;
    char *source;
    lo_diag_sink *sink;
    lo_diag_sink default_sink;

    const col_def *cols;
    int ncols;

    long line;          /* physical lines read so far */
    long record_line;   /* line of the record being decoded / last returned */
    bool stopped;       /* the sink asked to stop, or the file cannot be read */
    bool at_eof;
    bool header_done;
    long n_records;     /* data records seen (good or bad) */

    char *linebuf;
    size_t linecap;

    /* CSV */
    struct csv_parser parser;
    bool parser_ready;
    char **cur_fields;          /* fields of the record libcsv is assembling */
    int cur_n, cur_cap;
    csv_record *queue;          /* records libcsv completed, waiting for next() */
    int queue_head, queue_len, queue_cap;
    int field_to_col[256];      /* header field index -> column id, -1 ignored */
    int n_header_fields;
    int col_to_field[MAX_COLS]; /* column id -> header field index, -1 absent */
    char **held_fields;         /* strings of the record the cells point into */
    int held_n;

    /* JSON lines */
    json_t *json;
    char numbuf[MAX_COLS][40];
    char warned_keys[16][48];
    int n_warned_keys;

    /* The record being decoded. */
    const char *cell[MAX_COLS];
    long cell_column[MAX_COLS];
};

static bool reader_report(lo_reader *r, lo_diag_severity sev, long line, long column,
                          const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static bool reader_report(lo_reader *r, lo_diag_severity sev, long line, long column,
                          const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bool go_on = lo_diag_report(r->sink, sev, r->source, line, column, -1, field, "%s", msg);
    if (!go_on) r->stopped = true;
    return go_on;
}

static void csv_field_cb(void *data, size_t len, void *ctx)
{
    lo_reader *r = ctx;
    if (r->cur_n == r->cur_cap) {
        int cap = r->cur_cap ? r->cur_cap * 2 : 32;
        char **grown = realloc(r->cur_fields, (size_t)cap * sizeof(char *));
        if (!grown) return;
        r->cur_fields = grown;
        r->cur_cap = cap;
    }
    char *copy = NULL;
    if (data) {
        copy = malloc(len + 1);
        if (!copy) return;
        memcpy(copy, data, len);
        copy[len] = 0;
    }
    r->cur_fields[r->cur_n++] = copy;
}

static void csv_record_cb(int terminator, void *ctx)
{
    (void)terminator;
    lo_reader *r = ctx;
    if (r->queue_head + r->queue_len == r->queue_cap) {
        if (r->queue_head > 0) {
            memmove(r->queue, r->queue + r->queue_head, (size_t)r->queue_len * sizeof(csv_record));
            r->queue_head = 0;
        } else {
            int cap = r->queue_cap ? r->queue_cap * 2 : 8;
            csv_record *grown = realloc(r->queue, (size_t)cap * sizeof(csv_record));
            if (!grown) return;
            r->queue = grown;
            r->queue_cap = cap;
        }
    }
    csv_record *rec = &r->queue[r->queue_head + r->queue_len++];
    rec->fields = r->cur_fields;
    rec->n = r->cur_n;
    rec->line = r->line;
    r->cur_fields = NULL;
    r->cur_n = r->cur_cap = 0;
}

static void free_fields(char **fields, int n)
{
    for (int i = 0; i < n; i++) free(fields[i]);
    free(fields);
}

static void reset_parser(lo_reader *r)
{
    if (r->parser_ready) csv_free(&r->parser);
    free_fields(r->cur_fields, r->cur_n);
    r->cur_fields = NULL;
    r->cur_n = r->cur_cap = 0;
    r->parser_ready = csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL |
                                               CSV_EMPTY_IS_NULL) == 0;
}

/* A line longer than this is refused (a binary file given as text, a corrupt file): the reader
 * keeps its memory bounded and goes on after the line. A plot line is about 200 bytes. */
#define MAX_LINE_BYTES ((size_t)1 << 20)
#define LINE_TOO_LONG ((ssize_t)-2)

/* Like getline, with MAX_LINE_BYTES (newline included) as the ceiling: the line's length,
 * -1 at the end or on a read error, LINE_TOO_LONG for a line over the ceiling (read up to its
 * newline and thrown away) or one that memory could not hold. */
static ssize_t read_line_capped(lo_reader *r)
{
    size_t n = 0;
    bool refused = false;
    int c = EOF;
    while ((c = getc_unlocked(r->f)) != EOF) {
        if (!refused && n + 2 > r->linecap) {
            /* Room for MAX_LINE_BYTES octets (newline included) and the NUL, no more. */
            size_t cap = r->linecap ? r->linecap * 2 : 512;
            if (cap > MAX_LINE_BYTES + 1) cap = MAX_LINE_BYTES + 1;
            char *grown = n + 2 <= cap ? realloc(r->linebuf, cap) : NULL;
            if (grown) {
                r->linebuf = grown;
                r->linecap = cap;
            } else {
                refused = true;
            }
        }
        if (!refused) r->linebuf[n++] = (char)c;
        if (c == '\n') break;
    }
    if (refused) return LINE_TOO_LONG;
    if (n == 0) return -1;
    r->linebuf[n] = 0;
    return (ssize_t)n;
}

/* Feeds lines to libcsv until a record is complete. Returns false at the end or when stopped. */
static bool csv_next_record(lo_reader *r, csv_record *out)
{
    while (r->queue_len == 0) {
        if (r->stopped || r->at_eof) return false;
        ssize_t n = read_line_capped(r);
        if (n == LINE_TOO_LONG) {
            r->line++;
            reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL,
                          "line longer than %zu bytes (not a CSV of records?): skipped", MAX_LINE_BYTES);
            reset_parser(r); /* whatever quoting state that line left is unknown */
            continue;
        }
        if (n < 0) {
            r->at_eof = true;
            if (ferror(r->f)) {
                reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL, "read error: %s", strerror(errno));
                r->stopped = true;
                return false;
            }
            if (csv_fini(&r->parser, csv_field_cb, csv_record_cb, r) != 0)
                reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL,
                              "unterminated quoted field at the end of the file");
            continue;
        }
        r->line++;
        const char *text = r->linebuf;
        if (r->line == 1 && n >= 3 && (unsigned char)text[0] == 0xEF &&
            (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF) {
            text += 3; /* UTF-8 byte order mark */
            n -= 3;
        }
        if (csv_parse(&r->parser, text, (size_t)n, csv_field_cb, csv_record_cb, r) != (size_t)n) {
            reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL, "malformed CSV: %s",
                          csv_strerror(csv_error(&r->parser)));
            reset_parser(r);
        }
    }
    *out = r->queue[r->queue_head++];
    r->queue_len--;
    return true;
}

/* Reads the CSV header and maps its fields. Returns false when the file cannot be used. */
static bool csv_read_header(lo_reader *r)
{
    csv_record h;
    r->header_done = true;
    for (int c = 0; c < r->ncols; c++) r->col_to_field[c] = -1;
    if (!csv_next_record(r, &h)) {
        if (!r->stopped)
            reader_report(r, LO_DIAG_ERROR, r->line ? r->line : 1, 0, NULL,
                          "empty file: expected a header row naming the %s columns",
                          kind_name(r->kind));
        return false;
    }
    if (h.n > (int)(sizeof r->field_to_col / sizeof r->field_to_col[0])) {
        reader_report(r, LO_DIAG_ERROR, h.line, 0, NULL, "header has %d columns, at most %zu allowed",
                      h.n, sizeof r->field_to_col / sizeof r->field_to_col[0]);
        free_fields(h.fields, h.n);
        r->stopped = true;
        return false;
    }
    r->n_header_fields = h.n;
    bool ok = true;
    for (int i = 0; i < h.n; i++) {
        const char *name = h.fields[i] ? h.fields[i] : "";
        int c = find_column(r->cols, r->ncols, name);
        r->field_to_col[i] = -1;
        if (c < 0) {
            int like = same_quantity_column(r->cols, r->ncols, name);
            if (like >= 0)
                ok = reader_report(r, LO_DIAG_WARNING, h.line, i + 1, name,
                                   "unknown column, ignored: lookout reads '%s' (the unit is part "
                                   "of the name); convert the values and rename the column",
                                   r->cols[like].name) && ok;
            else
                ok = reader_report(r, LO_DIAG_WARNING, h.line, i + 1, name[0] ? name : NULL,
                                   "unknown column, ignored (see docs/formats.md for the %s columns)",
                                   kind_name(r->kind)) && ok;
        } else if (r->col_to_field[c] >= 0) {
            ok = reader_report(r, LO_DIAG_ERROR, h.line, i + 1, name,
                               "duplicate column (first in column %d); this one is ignored",
                               r->col_to_field[c] + 1) && ok;
        } else {
            r->col_to_field[c] = i;
            r->field_to_col[i] = c;
        }
    }
    long header_line = h.line;
    free_fields(h.fields, h.n);
    if (!ok) return false;

    bool missing = false;
    for (int c = 0; c < r->ncols; c++)
        if ((r->cols[c].flags & COL_REQUIRED) && r->col_to_field[c] < 0) {
            reader_report(r, LO_DIAG_ERROR, header_line, 0, r->cols[c].name,
                          "required column missing from the header");
            missing = true;
        }
    if (r->kind == LO_RECORD_PLOT) {
        bool polar = r->col_to_field[P_RANGE] >= 0 && r->col_to_field[P_AZIMUTH] >= 0;
        bool cart = r->col_to_field[P_X] >= 0 && r->col_to_field[P_Y] >= 0 &&
                    r->col_to_field[P_Z] >= 0;
        if (!polar && !cart) {
            reader_report(r, LO_DIAG_ERROR, header_line, 0, NULL,
                          "plots need the polar columns range_m and azimuth_deg or the Cartesian "
                          "columns x_m, y_m and z_m");
            missing = true;
        }
    }
    if (missing) {
        r->stopped = true; /* no record of this file can be read */
        return false;
    }
    return true;
}

/* Next CSV record into r->cell[]. 1 ok, 0 end, -1 stopped; bad shape is reported here and
 * the record skipped. */
static int csv_fill_cells(lo_reader *r)
{
    if (!r->header_done && !csv_read_header(r)) return r->stopped ? -1 : 0;
    for (;;) {
        csv_record rec;
        if (!csv_next_record(r, &rec)) return r->stopped ? -1 : 0;
        r->record_line = rec.line;
        r->n_records++;
        bool bad = false;
        if (rec.n != r->n_header_fields) {
            /* Name the first missing column, or the first surplus field. */
            if (rec.n < r->n_header_fields) {
                int c = r->field_to_col[rec.n];
                reader_report(r, LO_DIAG_ERROR, rec.line, rec.n + 1, c >= 0 ? r->cols[c].name : NULL,
                              "record has %d fields, the header names %d (truncated line?)",
                              rec.n, r->n_header_fields);
            } else {
                reader_report(r, LO_DIAG_ERROR, rec.line, r->n_header_fields + 1, NULL,
                              "record has %d fields, the header names %d", rec.n,
                              r->n_header_fields);
            }
            bad = true;
        }
        if (bad) {
            free_fields(rec.fields, rec.n);
            if (r->stopped) return -1;
            continue;
        }
        /* The cells point into this record's strings: keep them until the next call. */
        free_fields(r->held_fields, r->held_n);
        r->held_fields = rec.fields;
        r->held_n = rec.n;
        for (int c = 0; c < r->ncols; c++) {
            r->cell[c] = NULL;
            r->cell_column[c] = 0;
        }
        for (int i = 0; i < rec.n; i++) {
            int c = r->field_to_col[i];
            if (c < 0) continue;
            const char *text = rec.fields[i];
            r->cell[c] = (text && *text) ? text : NULL;
            r->cell_column[c] = i + 1;
        }
        return 1;
    }
}

/* Remembers that a JSON key was warned about, so a file with 10^6 lines warns once. */
static bool json_key_warned(lo_reader *r, const char *key)
{
    for (int i = 0; i < r->n_warned_keys; i++)
        if (strcmp(r->warned_keys[i], key) == 0) return true;
    if (r->n_warned_keys == (int)(sizeof r->warned_keys / sizeof r->warned_keys[0]))
        return true; /* enough said: the first 16 distinct names were reported */
    snprintf(r->warned_keys[r->n_warned_keys++], sizeof r->warned_keys[0], "%s", key);
    return false;
}

/* Next JSON object into r->cell[]. 1 ok, 0 end, -1 stopped. */
static int json_fill_cells(lo_reader *r)
{
    for (;;) {
        if (r->stopped) return -1;
        ssize_t n = read_line_capped(r);
        if (n == LINE_TOO_LONG) {
            r->line++;
            reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL,
                          "line longer than %zu bytes (not JSON lines?): skipped", MAX_LINE_BYTES);
            continue;
        }
        if (n < 0) {
            if (ferror(r->f)) {
                reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL, "read error: %s", strerror(errno));
                r->stopped = true;
                return -1;
            }
            return 0;
        }
        r->line++;
        char *text = r->linebuf;
        if (r->line == 1 && n >= 3 && (unsigned char)text[0] == 0xEF &&
            (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF) {
            text += 3;
            n -= 3;
        }
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = 0;
        size_t skip = strspn(text, " \t");
        if ((ssize_t)skip == n) continue; /* blank line */
        r->record_line = r->line;
        r->n_records++;

        json_error_t err;
        json_t *obj = json_loadb(text, (size_t)n, 0, &err);
        if (!obj) {
            reader_report(r, LO_DIAG_ERROR, r->line, err.column > 0 ? err.column : 0, NULL,
                          "invalid JSON: %s", err.text);
            continue;
        }
        if (!json_is_object(obj)) {
            json_decref(obj);
            reader_report(r, LO_DIAG_ERROR, r->line, 0, NULL, "expected one JSON object per line");
            continue;
        }
        if (r->json) json_decref(r->json);
        r->json = obj;
        for (int c = 0; c < r->ncols; c++) {
            r->cell[c] = NULL;
            r->cell_column[c] = 0;
        }
        bool bad = false;
        const char *key;
        json_t *value;
        json_object_foreach(obj, key, value) {
            int c = find_column(r->cols, r->ncols, key);
            if (c < 0) {
                if (json_key_warned(r, key)) continue;
                int like = same_quantity_column(r->cols, r->ncols, key);
                if (like >= 0)
                    reader_report(r, LO_DIAG_WARNING, r->line, 0, key,
                                  "unknown key, ignored: lookout reads '%s' (the unit is part of "
                                  "the name); convert the values and rename the key",
                                  r->cols[like].name);
                else
                    reader_report(r, LO_DIAG_WARNING, r->line, 0, key,
                                  "unknown key, ignored (see docs/formats.md for the %s keys)",
                                  kind_name(r->kind));
                if (r->stopped) return -1;
                continue;
            }
            if (json_is_null(value)) continue;
            if (json_is_string(value)) {
                const char *s = json_string_value(value);
                r->cell[c] = *s ? s : NULL;
            } else if (json_is_integer(value)) {
                snprintf(r->numbuf[c], sizeof r->numbuf[c], "%" JSON_INTEGER_FORMAT,
                         json_integer_value(value));
                r->cell[c] = r->numbuf[c];
            } else if (json_is_real(value)) {
                snprintf(r->numbuf[c], sizeof r->numbuf[c], "%.17g", json_real_value(value));
                r->cell[c] = r->numbuf[c];
            } else {
                reader_report(r, LO_DIAG_ERROR, r->line, 0, key, "expected a number or a string");
                bad = true;
                break;
            }
        }
        if (!bad)
            for (int c = 0; c < r->ncols; c++)
                if ((r->cols[c].flags & COL_REQUIRED) && !r->cell[c]) {
                    reader_report(r, LO_DIAG_ERROR, r->line, 0, r->cols[c].name,
                                  "required key missing");
                    bad = true;
                    break;
                }
        if (bad) continue;
        return 1;
    }
}

/* ---- typed cell access for the decoders -------------------------------------------------- */

static bool bad_cell(lo_reader *r, int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reports a bad value of column c in the current record; always returns false. */
static bool bad_cell(lo_reader *r, int c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *text = r->cell[c];
    reader_report(r, LO_DIAG_ERROR, r->record_line, r->cell_column[c], r->cols[c].name, "%s%s%.40s%s",
                  msg, text ? " (got '" : "", text ? text : "", text ? "')" : "");
    return false;
}

static bool parse_double_text(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE with a tiny result is underflow to a subnormal or zero: a valid, small value
     * (a class probability of 1e-318 is 0 for every purpose). Only overflow is an error. */
    if (end == s || (errno == ERANGE && fabs(v) > 1.0)) return false;
    while (isspace((unsigned char)*end)) end++;
    if (*end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Optional number: *present says whether it was there. Returns false on a bad value. */
static bool get_number(lo_reader *r, int c, double *out, bool *present)
{
    *present = r->cell[c] != NULL;
    if (!*present) return true;
    if (!parse_double_text(r->cell[c], out)) return bad_cell(r, c, "expected a finite number");
    return true;
}

static bool get_required_number(lo_reader *r, int c, double *out)
{
    bool present;
    if (!get_number(r, c, out, &present)) return false;
    if (!present) return bad_cell(r, c, "required value is empty");
    return true;
}


static bool get_time(lo_reader *r, int c, double *out, bool *present, bool required)
{
    *present = r->cell[c] != NULL;
    if (!*present) return required ? bad_cell(r, c, "required value is empty") : true;
    if (!lo_parse_time(r->cell[c], out))
        return bad_cell(r, c, "expected UTC seconds since the epoch or ISO 8601 UTC time");
    if (fabs(*out) > LO_MAX_ABS_TIME_S)
        return bad_cell(r, c, "time beyond the years 1653..2286: seconds expected "
                              "(milliseconds or microseconds?)");
    return true;
}

static bool get_uint(lo_reader *r, int c, unsigned long max, unsigned long *out, bool *present,
                     bool required)
{
    *present = r->cell[c] != NULL;
    if (!*present) return required ? bad_cell(r, c, "required value is empty") : true;
    const char *s = r->cell[c];
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+') return bad_cell(r, c, "expected an integer 0..%lu", max);
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno == ERANGE || *end || v > max)
        return bad_cell(r, c, "expected an integer 0..%lu", max);
    *out = (unsigned long)v;
    return true;
}

/* Mode S address: 1-6 hex digits, optional 0x. */
static bool get_mode_s(lo_reader *r, int c, uint32_t *out, bool *present)
{
    *present = r->cell[c] != NULL;
    if (!*present) return true;
    const char *s = r->cell[c];
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    size_t n = strlen(s);
    if (n < 1 || n > 6 || strspn(s, "0123456789abcdefABCDEF") != n)
        return bad_cell(r, c, "expected a 24-bit Mode S address as 6 hex digits");
    *out = (uint32_t)strtoul(s, NULL, 16);
    return true;
}

/* Mode 3/A: 1-4 octal digits. */
static bool get_mode_3a(lo_reader *r, int c, uint16_t *out, bool *present)
{
    *present = r->cell[c] != NULL;
    if (!*present) return true;
    const char *s = r->cell[c];
    size_t n = strlen(s);
    if (n < 1 || n > 4 || strspn(s, "01234567") != n)
        return bad_cell(r, c, "expected a Mode 3/A code as 4 octal digits");
    *out = (uint16_t)strtoul(s, NULL, 8);
    return true;
}

static bool get_probability(lo_reader *r, int c, double *out, bool *present)
{
    if (!get_number(r, c, out, present)) return false;
    if (*present && (*out < -1e-9 || *out > 1.0 + 1e-9))
        return bad_cell(r, c, "expected a probability in [0, 1]");
    return true;
}

static bool get_nonnegative(lo_reader *r, int c, double *out, bool *present)
{
    if (!get_number(r, c, out, present)) return false;
    if (*present && *out < 0) return bad_cell(r, c, "expected a value >= 0");
    return true;
}

/* All of a group of columns or none; names the first one missing. */
static bool get_vector(lo_reader *r, const int *c, int n, double *out, bool *present)
{
    int have = 0, first_missing = -1;
    for (int i = 0; i < n; i++) {
        bool p;
        if (!get_number(r, c[i], &out[i], &p)) return false;
        if (p) have++;
        else if (first_missing < 0) first_missing = i;
    }
    *present = have == n;
    if (have > 0 && have < n) {
        reader_report(r, LO_DIAG_ERROR, r->record_line, r->cell_column[c[first_missing]],
                      r->cols[c[first_missing]].name, "value is empty but %s is given; give all of "
                      "the group or none", r->cols[c[first_missing == 0 ? 1 : 0]].name);
        return false;
    }
    return true;
}

/* Degrees as text -> radians, through long double: a double holding degrees is too coarse
 * (57 times the magnitude, the same 53 bits) to reach every double in radians, so a plot
 * written in degrees could not come back to the bit otherwise. The plot writer checks its
 * text with this very function. Where long double is double, angles come back to within an
 * ulp. */
static const long double DEG2RAD_L = 0.0174532925199432957692369076848861271L;

static double degrees_text_to_rad(const char *text)
{
    return (double)(strtold(text, NULL) * DEG2RAD_L);
}

/* Azimuth column -> [0, 2 pi). In range (what every writer writes) the text's own value is
 * used to the bit (degrees_text_to_rad); out of range it is wrapped first. */
static double azimuth_cell_to_rad(const char *text, double deg)
{
    if (deg >= 0.0 && deg < 360.0) {
        double rad = degrees_text_to_rad(text);
        return rad < 2.0 * LO_PI ? rad : 0.0; /* "359.99999999999997" rounds up to 2 pi */
    }
    double a = fmod(deg, 360.0);
    if (a < 0) a += 360.0;
    if (a >= 360.0) a = 0.0;
    return a * LO_DEG2RAD;
}

/* ---- decoders ----------------------------------------------------------------------------- */

static bool decode_plot(lo_reader *r, lo_plot *p)
{
    memset(p, 0, sizeof *p);
    bool present;
    unsigned long u;
    double v;
    if (!get_time(r, P_TIME, &p->t, &present, true)) return false;
    if (!get_uint(r, P_SENSOR, 65535, &u, &present, true)) return false;
    p->sensor_id = (uint16_t)u;

    double polar[2];
    if (!get_vector(r, (const int[]){P_RANGE, P_AZIMUTH}, 2, polar, &present)) return false;
    if (present) {
        if (polar[0] < 0) return bad_cell(r, P_RANGE, "expected a range >= 0");
        p->range_m = polar[0];
        p->azimuth_rad = azimuth_cell_to_rad(r->cell[P_AZIMUTH], polar[1]);
        p->flags |= LO_PLOT_POLAR;
    }
    if (!get_number(r, P_ELEVATION, &v, &present)) return false;
    if (present) {
        if (v < -90.0 || v > 90.0) return bad_cell(r, P_ELEVATION, "expected degrees in [-90, 90]");
        p->elevation_rad = degrees_text_to_rad(r->cell[P_ELEVATION]);
        p->flags |= LO_PLOT_ELEVATION;
    }
    if (!get_vector(r, (const int[]){P_X, P_Y, P_Z}, 3, p->enu, &present)) return false;
    if (present) p->flags |= LO_PLOT_CARTESIAN;
    if (!(p->flags & (LO_PLOT_POLAR | LO_PLOT_CARTESIAN))) {
        reader_report(r, LO_DIAG_ERROR, r->record_line, 0, NULL,
                      "no position: give range_m and azimuth_deg, or x_m, y_m and z_m");
        return false;
    }
    if (!get_number(r, P_RADIAL_VEL, &p->radial_velocity_mps, &present)) return false;
    if (present) p->flags |= LO_PLOT_RADIAL_VEL;
    if (!get_nonnegative(r, P_DOPPLER_SPREAD, &p->doppler_spread_mps, &present)) return false;
    if (present) p->flags |= LO_PLOT_DOPPLER_SPREAD;
    if (!get_number(r, P_SNR, &p->snr_db, &present)) return false;
    if (present) p->flags |= LO_PLOT_SNR;

    if (!get_nonnegative(r, P_SIG_RANGE, &p->sigma_range_m, &present)) return false;
    if (present) p->flags |= LO_PLOT_SIGMAS;
    if (!get_nonnegative(r, P_SIG_AZ, &v, &present)) return false;
    if (present) {
        p->sigma_azimuth_rad = degrees_text_to_rad(r->cell[P_SIG_AZ]);
        p->flags |= LO_PLOT_SIGMAS;
    }
    if (!get_nonnegative(r, P_SIG_EL, &v, &present)) return false;
    if (present) {
        p->sigma_elevation_rad = degrees_text_to_rad(r->cell[P_SIG_EL]);
        p->flags |= LO_PLOT_SIGMAS;
    }
    if (!get_nonnegative(r, P_SIG_RV, &p->sigma_radial_velocity_mps, &present)) return false;
    if (present) p->flags |= LO_PLOT_SIGMAS;
    double sig[3];
    if (!get_vector(r, (const int[]){P_SIG_X, P_SIG_Y, P_SIG_Z}, 3, sig, &present)) return false;
    if (present) {
        for (int i = 0; i < 3; i++) {
            if (sig[i] < 0) return bad_cell(r, P_SIG_X + i, "expected a value >= 0");
            p->enu_cov[4 * i] = sig[i] * sig[i];
        }
        p->flags |= LO_PLOT_COVARIANCE;
    }
    if (!get_mode_s(r, P_MODE_S, &p->mode_s_address, &present)) return false;
    if (present) p->flags |= LO_PLOT_MODE_S;
    if (!get_mode_3a(r, P_MODE_3A, &p->mode_3a, &present)) return false;
    if (present) p->flags |= LO_PLOT_MODE_3A;
    if (!get_number(r, P_FLIGHT_LEVEL, &v, &present)) return false;
    if (present) {
        if (v < -20 || v > 1000) return bad_cell(r, P_FLIGHT_LEVEL, "expected a flight level in [-20, 1000]");
        p->baro_altitude_m = v * 100.0 * LO_FT2M;
        p->flags |= LO_PLOT_FLIGHT_LVL;
    }
    if (!get_uint(r, P_TRUTH_ID, UINT32_MAX, &u, &present, false)) return false;
    if (present) p->truth_id = (uint32_t)u;
    return true;
}

static bool decode_truth(lo_reader *r, lo_truth *t)
{
    memset(t, 0, sizeof *t);
    bool present;
    unsigned long u;
    if (!get_time(r, T_TIME, &t->t, &present, true)) return false;
    if (!get_uint(r, T_ID, UINT32_MAX, &u, &present, true)) return false;
    if (u == 0) return bad_cell(r, T_ID, "truth_id must be > 0");
    t->truth_id = (uint32_t)u;
    t->cls = LO_CLASS_UNKNOWN;
    if (r->cell[T_CLASS] && !lo_class_from_name(r->cell[T_CLASS], &t->cls))
        return bad_cell(r, T_CLASS, "unknown class name (see docs/formats.md)");
    for (int i = 0; i < 3; i++) {
        if (!get_required_number(r, T_X + i, &t->pos[i])) return false;
        if (!get_required_number(r, T_VX + i, &t->vel[i])) return false;
    }
    return true;
}

/* Symmetric 3x3 from the six upper-triangle columns starting at `first` (xx xy xz yy yz zz). */
static bool get_covariance(lo_reader *r, int first, double cov[9], bool *present)
{
    double v[6];
    int c[6];
    for (int i = 0; i < 6; i++) c[i] = first + i;
    if (!get_vector(r, c, 6, v, present)) return false;
    if (!*present) return true;
    static const int idx[6][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}};
    for (int i = 0; i < 6; i++) {
        cov[idx[i][0] * 3 + idx[i][1]] = v[i];
        cov[idx[i][1] * 3 + idx[i][0]] = v[i];
    }
    for (int i = 0; i < 3; i++)
        if (cov[4 * i] < 0) return bad_cell(r, first + (i == 0 ? 0 : i == 1 ? 3 : 5), "variance must be >= 0");
    return true;
}

static bool decode_track(lo_reader *r, lo_track *k)
{
    memset(k, 0, sizeof *k);
    bool present;
    unsigned long u;
    double v;
    if (!get_time(r, K_TIME, &k->t, &present, true)) return false;
    if (!get_uint(r, K_ID, UINT32_MAX, &u, &present, true)) return false;
    k->id = (uint32_t)u;
    if (!lo_track_status_from_name(r->cell[K_STATUS], &k->status))
        return bad_cell(r, K_STATUS, "expected tentative, confirmed, coasting or deleted");
    for (int i = 0; i < 3; i++) {
        if (!get_required_number(r, K_X + i, &k->pos[i])) return false;
        if (!get_required_number(r, K_VX + i, &k->vel[i])) return false;
        if (!get_number(r, K_AX + i, &k->acc[i], &present)) return false;
    }
    if (!get_covariance(r, K_PCOV_XX, k->pos_cov, &present)) return false;
    if (!present) {
        if (!get_nonnegative(r, K_SIGMA_POS, &v, &present)) return false;
        for (int i = 0; present && i < 3; i++) k->pos_cov[4 * i] = v * v / 3.0;
    }
    if (!get_covariance(r, K_VCOV_XX, k->vel_cov, &present)) return false;
    if (!present) {
        if (!get_nonnegative(r, K_SIGMA_VEL, &v, &present)) return false;
        for (int i = 0; present && i < 3; i++) k->vel_cov[4 * i] = v * v / 3.0;
    }
    if (!get_uint(r, K_N_MODELS, LO_MAX_MODELS, &u, &present, false)) return false;
    if (present) k->n_models = (int)u;
    for (int i = 0; i < LO_MAX_MODELS; i++)
        if (!get_probability(r, K_P_MODEL0 + i, &k->model_prob[i], &present)) return false;
    bool any_class_prob = false;
    for (int i = 0; i < LO_CLASS_COUNT; i++) {
        if (!get_probability(r, K_P_CLASS0 + i, &k->class_prob[i], &present)) return false;
        any_class_prob |= present;
    }
    if (r->cell[K_CLASS]) {
        lo_class cls;
        if (!lo_class_from_name(r->cell[K_CLASS], &cls))
            return bad_cell(r, K_CLASS, "unknown class name (see docs/formats.md)");
        if (!any_class_prob) k->class_prob[cls] = 1.0; /* only a label: take it as certain */
    }
    if (!get_time(r, K_T_FIRST, &k->t_first, &present, false)) return false;
    if (!get_time(r, K_T_CONFIRMED, &k->t_confirmed, &present, false)) return false;
    if (!get_time(r, K_T_LAST_UPDATE, &k->t_last_update, &present, false)) return false;
    if (!get_uint(r, K_N_UPDATES, UINT32_MAX, &u, &present, false)) return false;
    if (present) k->n_updates = (uint32_t)u;
    if (!get_number(r, K_SCORE, &k->score, &present)) return false;
    if (!get_uint(r, K_PLOT_SENSOR, 65535, &u, &present, false)) return false;
    if (present) k->last_sensor_id = (uint16_t)u;
    if (!get_time(r, K_PLOT_TIME, &k->last_plot_t, &present, false)) return false;
    if (!get_mode_s(r, K_PLOT_MODE_S, &k->mode_s_address, &present)) return false;
    if (present) k->last_flags |= LO_PLOT_MODE_S;
    if (!get_mode_3a(r, K_PLOT_MODE_3A, &k->mode_3a, &present)) return false;
    if (present) k->last_flags |= LO_PLOT_MODE_3A;
    if (!get_number(r, K_PLOT_SNR, &k->last_snr_db, &present)) return false;
    if (present) k->last_flags |= LO_PLOT_SNR;
    if (!get_nonnegative(r, K_PLOT_DOPPLER_SPREAD, &k->last_doppler_spread_mps, &present)) return false;
    if (present) k->last_flags |= LO_PLOT_DOPPLER_SPREAD;
    if (!get_uint(r, K_PLOT_TRUTH_ID, UINT32_MAX, &u, &present, false)) return false;
    if (present) k->last_truth_id = (uint32_t)u;
    return true;
}

/* ---- reader open / next / close ----------------------------------------------------------- */

static lo_reader *reader_open(const char *path, lo_diag_sink *sink, int kind)
{
    lo_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->kind = kind;
    r->cols = kind_table(kind, &r->ncols);
    if (sink) {
        r->sink = sink;
    } else {
        r->default_sink.fn = NULL; /* print and go on */
        r->sink = &r->default_sink;
    }
    bool is_stdin = !path || strcmp(path, "-") == 0;
    r->source = strdup(is_stdin ? "<stdin>" : path);
    if (is_stdin) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "r");
        r->own_file = true;
        struct stat st;
        if (r->f && fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode)) {
            /* fopen takes a directory; reading it would fail with a bare "read error". */
            fclose(r->f);
            r->f = NULL;
            errno = EISDIR;
        }
    }
    if (!r->source || !r->f) {
        if (r->source)
            lo_diag_report(r->sink, LO_DIAG_ERROR, r->source, 0, 0, -1, NULL, "cannot open: %s",
                           strerror(errno));
        free(r->source);
        free(r);
        return NULL;
    }
    /* The name decides; stdin (no name) is sniffed: a '{' first means JSON lines. */
    r->fmt = lo_format_from_path(path);
    if (is_stdin) {
        int ch;
        while ((ch = getc(r->f)) != EOF && isspace(ch)) {
        }
        if (ch != EOF) ungetc(ch, r->f);
        r->fmt = ch == '{' ? LO_FORMAT_JSONL : LO_FORMAT_CSV;
    }
    if (r->fmt == LO_FORMAT_CSV) reset_parser(r);
    return r;
}

lo_reader *lo_plot_reader_open(const char *path, lo_diag_sink *sink)
{
    return reader_open(path, sink, LO_RECORD_PLOT);
}

lo_reader *lo_truth_reader_open(const char *path, lo_diag_sink *sink)
{
    return reader_open(path, sink, LO_RECORD_TRUTH);
}

lo_reader *lo_track_reader_open(const char *path, lo_diag_sink *sink)
{
    return reader_open(path, sink, LO_RECORD_TRACK);
}

/* Next well-formed record of the reader's kind into out. 1, 0 at the end, -1 stopped. */
static int reader_next(lo_reader *r, int kind, void *out)
{
    if (!r || r->kind != kind) return -1;
    for (;;) {
        if (r->stopped) return -1;
        int got = r->fmt == LO_FORMAT_CSV ? csv_fill_cells(r) : json_fill_cells(r);
        if (got <= 0) return got;
        bool ok = kind == LO_RECORD_PLOT    ? decode_plot(r, out)
                  : kind == LO_RECORD_TRUTH ? decode_truth(r, out)
                                            : decode_track(r, out);
        if (ok) return 1;
        /* A bad record was reported; the sink chose whether we go on. */
    }
}

int lo_plot_reader_next(lo_reader *r, lo_plot *out) { return reader_next(r, LO_RECORD_PLOT, out); }
int lo_truth_reader_next(lo_reader *r, lo_truth *out) { return reader_next(r, LO_RECORD_TRUTH, out); }
int lo_track_reader_next(lo_reader *r, lo_track *out) { return reader_next(r, LO_RECORD_TRACK, out); }

long lo_reader_line(const lo_reader *r) { return r ? r->record_line : 0; }

void lo_reader_close(lo_reader *r)
{
    if (!r) return;
    if (r->own_file && r->f) fclose(r->f);
    if (r->parser_ready) csv_free(&r->parser);
    free_fields(r->cur_fields, r->cur_n);
    free_fields(r->held_fields, r->held_n);
    for (int i = 0; i < r->queue_len; i++)
        free_fields(r->queue[r->queue_head + i].fields, r->queue[r->queue_head + i].n);
    free(r->queue);
    if (r->json) json_decref(r->json);
    free(r->linebuf);
    free(r->source);
    free(r);
}

/* ---- writers ------------------------------------------------------------------------------- */

struct lo_writer {
    FILE *f;
    bool own_file;
    bool failed;
    lo_text_format fmt;
    int kind;
    const col_def *cols;
    int ncols;
    bool geo;
    lo_enu_frame frame;
    char cell[MAX_COLS][48];
    bool has[MAX_COLS];
};

static bool writer_column_used(const lo_writer *w, int c)
{
    if (w->kind == LO_RECORD_TRACK && !w->geo && (c == K_LAT || c == K_LON || c == K_ALT)) return false;
    return true;
}

static void write_header(lo_writer *w)
{
    if (w->fmt != LO_FORMAT_CSV) return;
    bool first = true;
    for (int c = 0; c < w->ncols; c++) {
        if (!writer_column_used(w, c)) continue;
        if (fprintf(w->f, "%s%s", first ? "" : ",", w->cols[c].name) < 0) w->failed = true;
        first = false;
    }
    if (fputc('\n', w->f) == EOF) w->failed = true;
}

static lo_writer *writer_new(FILE *f, bool own, lo_text_format fmt, int kind)
{
    lo_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->f = f;
    w->own_file = own;
    w->fmt = fmt;
    w->kind = kind;
    w->cols = kind_table(kind, &w->ncols);
    return w;
}

static lo_writer *writer_open(const char *path, lo_text_format fmt, int kind,
                              const lo_enu_frame *geo)
{
    bool is_stdout = !path || strcmp(path, "-") == 0;
    FILE *f = is_stdout ? stdout : fopen(path, "w");
    if (!f) return NULL;
    lo_writer *w = writer_new(f, !is_stdout, fmt, kind);
    if (!w) {
        if (!is_stdout) fclose(f);
        return NULL;
    }
    if (geo) {
        w->geo = true;
        w->frame = *geo;
    }
    write_header(w);
    return w;
}

lo_writer *lo_plot_writer_open(const char *path, lo_text_format fmt)
{
    return writer_open(path, fmt, LO_RECORD_PLOT, NULL);
}

lo_writer *lo_truth_writer_open(const char *path, lo_text_format fmt)
{
    return writer_open(path, fmt, LO_RECORD_TRUTH, NULL);
}

lo_writer *lo_track_writer_open(const char *path, lo_text_format fmt,
                                const struct lo_enu_frame *geo_origin)
{
    return writer_open(path, fmt, LO_RECORD_TRACK, geo_origin);
}

lo_writer *lo_writer_from_stream(FILE *f, lo_text_format fmt, int record_kind)
{
    if (!f || record_kind < LO_RECORD_PLOT || record_kind > LO_RECORD_TRACK) return NULL;
    lo_writer *w = writer_new(f, false, fmt, record_kind);
    if (w) write_header(w);
    return w;
}

/* Number with `decimals` places, trailing zeros dropped ("12.5000" -> "12.5", "3.0" -> "3"). */
static void set_fixed(lo_writer *w, int c, double v, int decimals)
{
    if (!isfinite(v)) return; /* left empty (CSV) or out (JSON): "nan" is neither */
    char *s = w->cell[c];
    snprintf(s, sizeof w->cell[c], "%.*f", decimals, v);
    if (strchr(s, '.')) {
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '0') s[--n] = 0;
        if (n > 0 && s[n - 1] == '.') s[--n] = 0;
    }
    if (strcmp(s, "-0") == 0) strcpy(s, "0");
    w->has[c] = true;
}

/* A plot's numbers are written so that reading the file gives back the very same doubles:
 * `decimals` places when that is enough (most hand-made and rounded values), otherwise the
 * shortest %.15g..%.17g that parses back to v. Plots are data a tracker is sensitive to at the
 * last bit (a simulated run written as CSV and as CAT048 must be tracked identically), tracks
 * are reports for people, so only plots take this care. */
/* Whether v has at most `decimals` places, so that the short form may give it back (a cheap
 * test that spares most simulated and decoded values a print they would fail). */
static bool looks_short(double v, int decimals)
{
    static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double x = v * scale[decimals < 0 ? 0 : decimals > 9 ? 9 : decimals];
    return fabs(x) < 1e15 && x == nearbyint(x);
}

static void set_exact(lo_writer *w, int c, double v, int decimals)
{
    if (!isfinite(v)) return;
    if (looks_short(v, decimals)) {
        set_fixed(w, c, v, decimals);
        if (strtod(w->cell[c], NULL) == v) return;
    }
    /* 17 significant digits always come back (IEEE double); 16 often do and read better. */
    char *s = w->cell[c];
    snprintf(s, sizeof w->cell[c], "%.16g", v);
    if (strtod(s, NULL) != v) snprintf(s, sizeof w->cell[c], "%.17g", v);
    w->has[c] = true;
}

/* An angle held in radians and written in degrees, so that the reader's degrees_text_to_rad
 * gives back `rad`: the short form when it does, else up to 21 significant digits. */
static void set_exact_degrees(lo_writer *w, int c, double rad, int decimals)
{
    if (!isfinite(rad)) return;
    if (looks_short(rad * LO_RAD2DEG, decimals)) {
        set_fixed(w, c, rad * LO_RAD2DEG, decimals);
        if (degrees_text_to_rad(w->cell[c]) == rad) return;
    }
    char *s = w->cell[c];
    w->has[c] = true;
    /* The double's 17 digits are enough for about 3 angles in 4 and print fast; the rest need
     * the long double's (17 of them did for every angle tried). */
    snprintf(s, sizeof w->cell[c], "%.17g", rad * LO_RAD2DEG);
    if (degrees_text_to_rad(s) == rad) return;
    long double deg = (long double)rad / DEG2RAD_L;
    for (int prec = 17; prec <= 21; prec++) {
        snprintf(s, sizeof w->cell[c], "%.*Lg", prec, deg);
        if (degrees_text_to_rad(s) == rad) break;
    }
}

static void set_general(lo_writer *w, int c, double v)
{
    if (!isfinite(v)) return;
    snprintf(w->cell[c], sizeof w->cell[c], "%.10g", v);
    w->has[c] = true;
}

static void set_text(lo_writer *w, int c, const char *text)
{
    snprintf(w->cell[c], sizeof w->cell[c], "%s", text);
    w->has[c] = true;
}

static void set_uint(lo_writer *w, int c, unsigned long v)
{
    snprintf(w->cell[c], sizeof w->cell[c], "%lu", v);
    w->has[c] = true;
}

static void set_time(lo_writer *w, int c, double t)
{
    set_fixed(w, c, t, 6); /* microseconds, like the data model */
}

static void set_mode_s(lo_writer *w, int c, uint32_t a)
{
    snprintf(w->cell[c], sizeof w->cell[c], "%06X", (unsigned)(a & 0xFFFFFFu));
    w->has[c] = true;
}

static void set_mode_3a(lo_writer *w, int c, uint16_t code)
{
    snprintf(w->cell[c], sizeof w->cell[c], "%04o", (unsigned)(code & 07777u));
    w->has[c] = true;
}

/* Positions with 0.1 mm, angles with 1e-9 degree (2 um at 100 km). */
#define POS_DECIMALS 4
#define DEG_DECIMALS 9

static int flush_record(lo_writer *w)
{
    FILE *f = w->f;
    int rc = 0;
    if (w->fmt == LO_FORMAT_CSV) {
        bool first = true;
        for (int c = 0; c < w->ncols; c++) {
            if (!writer_column_used(w, c)) continue;
            if (!first && fputc(',', f) == EOF) rc = -1;
            if (w->has[c] && fputs(w->cell[c], f) == EOF) rc = -1;
            first = false;
        }
    } else {
        bool first = true;
        if (fputc('{', f) == EOF) rc = -1;
        for (int c = 0; c < w->ncols; c++) {
            if (!w->has[c] || !writer_column_used(w, c)) continue;
            bool quote = (w->cols[c].flags & COL_STRING) != 0;
            if (fprintf(f, "%s\"%s\":%s%s%s", first ? "" : ",", w->cols[c].name, quote ? "\"" : "",
                        w->cell[c], quote ? "\"" : "") < 0)
                rc = -1;
            first = false;
        }
        if (fputc('}', f) == EOF) rc = -1;
    }
    if (fputc('\n', f) == EOF) rc = -1;
    if (rc) w->failed = true;
    memset(w->has, 0, sizeof w->has);
    return rc;
}

/* The flight level whose reading (FL * 100 * LO_FT2M, decode_plot) gives back baro_m: the
 * rounded level (FL 60.25 from a 25 ft Mode C step) or a neighbour of the quotient. */
static double flight_level_of(double baro_m)
{
    double fl = baro_m / (100.0 * LO_FT2M);
    double rounded = round(fl * 1e6) / 1e6;
    if (rounded * 100.0 * LO_FT2M == baro_m) return rounded;
    double below = fl, above = fl;
    for (int step = 0; step < 4; step++) {
        if (below * 100.0 * LO_FT2M == baro_m) return below;
        if (above * 100.0 * LO_FT2M == baro_m) return above;
        below = nextafter(below, -INFINITY);
        above = nextafter(above, INFINITY);
    }
    return fl;
}

int lo_plot_write(lo_writer *w, const lo_plot *p)
{
    if (!w || w->kind != LO_RECORD_PLOT || !p) return -1;
    set_exact(w, P_TIME, p->t, 6);
    set_uint(w, P_SENSOR, p->sensor_id);
    if (p->flags & LO_PLOT_POLAR) {
        set_exact(w, P_RANGE, p->range_m, POS_DECIMALS);
        set_exact_degrees(w, P_AZIMUTH, p->azimuth_rad, DEG_DECIMALS);
    }
    if (p->flags & LO_PLOT_ELEVATION) set_exact_degrees(w, P_ELEVATION, p->elevation_rad, DEG_DECIMALS);
    if (p->flags & LO_PLOT_RADIAL_VEL) set_exact(w, P_RADIAL_VEL, p->radial_velocity_mps, POS_DECIMALS);
    if (p->flags & LO_PLOT_DOPPLER_SPREAD) set_exact(w, P_DOPPLER_SPREAD, p->doppler_spread_mps, POS_DECIMALS);
    if (p->flags & LO_PLOT_SNR) set_exact(w, P_SNR, p->snr_db, 3);
    if (p->flags & LO_PLOT_CARTESIAN)
        for (int i = 0; i < 3; i++) set_exact(w, P_X + i, p->enu[i], POS_DECIMALS);
    if (p->flags & LO_PLOT_SIGMAS) {
        if (p->sigma_range_m > 0) set_exact(w, P_SIG_RANGE, p->sigma_range_m, POS_DECIMALS);
        if (p->sigma_azimuth_rad > 0) set_exact_degrees(w, P_SIG_AZ, p->sigma_azimuth_rad, DEG_DECIMALS);
        if (p->sigma_elevation_rad > 0)
            set_exact_degrees(w, P_SIG_EL, p->sigma_elevation_rad, DEG_DECIMALS);
        if (p->sigma_radial_velocity_mps > 0)
            set_exact(w, P_SIG_RV, p->sigma_radial_velocity_mps, POS_DECIMALS);
    }
    if (p->flags & LO_PLOT_COVARIANCE)
        for (int i = 0; i < 3; i++) set_fixed(w, P_SIG_X + i, sqrt(fmax(p->enu_cov[4 * i], 0.0)), POS_DECIMALS);
    if (p->flags & LO_PLOT_MODE_S) set_mode_s(w, P_MODE_S, p->mode_s_address);
    if (p->flags & LO_PLOT_MODE_3A) set_mode_3a(w, P_MODE_3A, p->mode_3a);
    if (p->flags & LO_PLOT_FLIGHT_LVL) set_exact(w, P_FLIGHT_LEVEL, flight_level_of(p->baro_altitude_m), 6);
    if (p->truth_id) set_uint(w, P_TRUTH_ID, p->truth_id);
    return flush_record(w);
}

int lo_truth_write(lo_writer *w, const lo_truth *t)
{
    if (!w || w->kind != LO_RECORD_TRUTH || !t) return -1;
    set_time(w, T_TIME, t->t);
    set_uint(w, T_ID, t->truth_id);
    set_text(w, T_CLASS, lo_class_name(t->cls));
    for (int i = 0; i < 3; i++) {
        set_fixed(w, T_X + i, t->pos[i], POS_DECIMALS);
        set_fixed(w, T_VX + i, t->vel[i], POS_DECIMALS);
    }
    return flush_record(w);
}

static void set_covariance(lo_writer *w, int first, const double cov[9])
{
    static const int idx[6] = {0, 1, 2, 4, 5, 8};
    for (int i = 0; i < 6; i++) set_general(w, first + i, cov[idx[i]]);
}

int lo_track_write(lo_writer *w, const lo_track *k)
{
    if (!w || w->kind != LO_RECORD_TRACK || !k) return -1;
    set_time(w, K_TIME, k->t);
    set_uint(w, K_ID, k->id);
    set_text(w, K_STATUS, lo_track_status_name(k->status));
    for (int i = 0; i < 3; i++) {
        set_fixed(w, K_X + i, k->pos[i], POS_DECIMALS);
        set_fixed(w, K_VX + i, k->vel[i], POS_DECIMALS);
        set_fixed(w, K_AX + i, k->acc[i], POS_DECIMALS);
    }
    if (w->geo) {
        lo_geodetic g;
        lo_enu_to_geodetic(&w->frame, k->pos, &g);
        set_fixed(w, K_LAT, g.lat * LO_RAD2DEG, DEG_DECIMALS);
        set_fixed(w, K_LON, g.lon * LO_RAD2DEG, DEG_DECIMALS);
        set_fixed(w, K_ALT, g.h, POS_DECIMALS);
    }
    set_fixed(w, K_SIGMA_POS, sqrt(fmax(k->pos_cov[0] + k->pos_cov[4] + k->pos_cov[8], 0.0)), POS_DECIMALS);
    set_fixed(w, K_SIGMA_VEL, sqrt(fmax(k->vel_cov[0] + k->vel_cov[4] + k->vel_cov[8], 0.0)), POS_DECIMALS);
    set_covariance(w, K_PCOV_XX, k->pos_cov);
    set_covariance(w, K_VCOV_XX, k->vel_cov);
    set_uint(w, K_N_MODELS, (unsigned long)(k->n_models > 0 ? k->n_models : 0));
    for (int i = 0; i < LO_MAX_MODELS && i < k->n_models; i++) set_general(w, K_P_MODEL0 + i, k->model_prob[i]);
    int best = -1;
    for (int i = 0; i < LO_CLASS_COUNT; i++) {
        set_general(w, K_P_CLASS0 + i, k->class_prob[i]);
        if (k->class_prob[i] > 0 && (best < 0 || k->class_prob[i] > k->class_prob[best])) best = i;
    }
    if (best >= 0) {
        set_text(w, K_CLASS, lo_class_name((lo_class)best));
        set_general(w, K_CLASS_PROB, k->class_prob[best]);
    }
    if (k->t_first != 0) set_time(w, K_T_FIRST, k->t_first);
    if (k->t_confirmed != 0) set_time(w, K_T_CONFIRMED, k->t_confirmed);
    if (k->t_last_update != 0) set_time(w, K_T_LAST_UPDATE, k->t_last_update);
    set_uint(w, K_N_UPDATES, k->n_updates);
    set_general(w, K_SCORE, k->score);
    if (k->last_plot_t != 0) {
        set_uint(w, K_PLOT_SENSOR, k->last_sensor_id);
        set_time(w, K_PLOT_TIME, k->last_plot_t);
    }
    if (k->last_flags & LO_PLOT_MODE_S) set_mode_s(w, K_PLOT_MODE_S, k->mode_s_address);
    if (k->last_flags & LO_PLOT_MODE_3A) set_mode_3a(w, K_PLOT_MODE_3A, k->mode_3a);
    if ((k->last_flags & LO_PLOT_SNR) || k->last_snr_db != 0) set_fixed(w, K_PLOT_SNR, k->last_snr_db, 3);
    if (k->last_flags & LO_PLOT_DOPPLER_SPREAD) set_fixed(w, K_PLOT_DOPPLER_SPREAD, k->last_doppler_spread_mps, 3);
    if (k->last_truth_id) set_uint(w, K_PLOT_TRUTH_ID, k->last_truth_id);
    return flush_record(w);
}

int lo_writer_close(lo_writer *w)
{
    if (!w) return -1;
    if (fflush(w->f) != 0 || ferror(w->f)) w->failed = true;
    if (w->own_file && fclose(w->f) != 0) w->failed = true;
    int rc = w->failed ? -1 : 0;
    free(w);
    return rc;
}
