/*
 * lookout decode: print the records of an ASTERIX recording, one line each (text or JSON).
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "lookout/asterix.h"
#include "lookout/config.h"
#include "lookout/formats.h"
#include "lookout/recording.h"
#include "lookout/udp.h"

typedef struct decode_ctx {
    bool json;
    bool have_date;
    lo_tod_resolver tod;
    double chunk_t;
    long chunk_index;
    long n;
    FILE *out;
} decode_ctx;

static void iso_time(double t, char *buf, size_t len)
{
    double sec = floor(t);
    time_t tt = (time_t)sec;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int ms = (int)floor((t - sec) * 1000.0 + 0.5);
    if (ms >= 1000) ms = 999;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static double resolve(decode_ctx *c, uint32_t tod_raw)
{
    double tod = tod_raw * LO_ASTERIX_TOD_LSB;
    if (!c->have_date && !isnan(c->chunk_t)) return lo_tod_nearest(tod, c->chunk_t);
    return lo_tod_resolve(&c->tod, tod);
}

/* Text output: "key=value" pairs appended to a line. */
typedef struct line {
    char buf[1024];
    size_t n;
} line;

static void add(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (l->n < sizeof l->buf) {
        int k = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
        if (k > 0) l->n += (size_t)k;
        if (l->n > sizeof l->buf) l->n = sizeof l->buf;
    }
    va_end(ap);
}

static void jset_real(json_t *o, const char *k, double v) { json_object_set_new(o, k, json_real(v)); }
static void jset_int(json_t *o, const char *k, long long v) { json_object_set_new(o, k, json_integer(v)); }
static void jset_str(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, json_string(v)); }

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ') s[--n] = 0;
}

static void emit048(decode_ctx *c, const lo_asterix_record *rec, json_t *o, line *l)
{
    const lo_cat048 *r = rec->c048;
    uint64_t p = r->present;
    char buf[64];
    if (p & LO_FRN(LO_I048_140)) {
        double t = resolve(c, r->tod);
        iso_time(t, buf, sizeof buf);
        if (o) { jset_real(o, "tod_s", r->tod / 128.0); jset_real(o, "t", t); jset_str(o, "time", buf); }
        else add(l, " %s", buf);
    }
    if (p & LO_FRN(LO_I048_020)) {
        if (o) { jset_int(o, "typ", r->typ); jset_int(o, "sim", r->sim); jset_int(o, "tst", r->tst); }
        else add(l, " TYP=%u%s%s", r->typ, r->sim ? " SIM" : "", r->tst ? " TST" : "");
    }
    if (p & LO_FRN(LO_I048_040)) {
        double rho = r->rho / 256.0, th = r->theta * (360.0 / 65536.0);
        if (o) { jset_real(o, "rho_nm", rho); jset_real(o, "theta_deg", th); jset_real(o, "range_m", lo_cat048_range_m(r)); }
        else add(l, " RHO=%.4fNM THETA=%.4fdeg", rho, th);
    }
    if (p & LO_FRN(LO_I048_070)) {
        snprintf(buf, sizeof buf, "%04u", lo_mode3a_octal(r->mode3a));
        if (o) { jset_str(o, "mode3a", buf); jset_int(o, "mode3a_v", r->mode3a_v); }
        else add(l, " M3A=%s%s", buf, r->mode3a_v ? "(nv)" : "");
    }
    if (p & LO_FRN(LO_I048_090)) {
        if (o) jset_real(o, "fl", r->fl / 4.0); else add(l, " FL=%.2f", r->fl / 4.0);
    }
    if ((p & LO_FRN(LO_I048_130)) && o) {
        if (r->sub130_present & LO_I130_SAM) jset_int(o, "sam_dbm", r->sam);
        if (r->sub130_present & LO_I130_PAM) jset_int(o, "pam_dbm", r->pam);
        if (r->sub130_present & LO_I130_SRR) jset_int(o, "srr", r->srr);
    }
    if (p & LO_FRN(LO_I048_220)) {
        snprintf(buf, sizeof buf, "%06x", r->address);
        if (o) jset_str(o, "address", buf); else add(l, " ADDR=%s", buf);
    }
    if (p & LO_FRN(LO_I048_240)) {
        char id[9];
        memcpy(id, r->ident, sizeof id);
        trim(id);
        if (o) jset_str(o, "ident", id); else add(l, " ID=%s", id);
    }
    if (p & LO_FRN(LO_I048_250)) { if (o) jset_int(o, "n_bds", r->n_bds); else add(l, " BDS*%u", r->n_bds); }
    if (p & LO_FRN(LO_I048_161)) {
        if (o) jset_int(o, "track_number", r->track_number); else add(l, " TN=%u", r->track_number);
    }
    if (p & LO_FRN(LO_I048_042)) {
        if (o) { jset_real(o, "x_nm", r->x / 128.0); jset_real(o, "y_nm", r->y / 128.0); }
        else add(l, " X=%.3fNM Y=%.3fNM", r->x / 128.0, r->y / 128.0);
    }
    if (p & LO_FRN(LO_I048_200)) {
        double gs = r->gsp / 16384.0 * 3600.0, hdg = r->hdg * (360.0 / 65536.0);
        if (o) { jset_real(o, "gsp_kt", gs); jset_real(o, "hdg_deg", hdg); }
        else add(l, " GS=%.1fkt HDG=%.2fdeg", gs, hdg);
    }
    if (p & LO_FRN(LO_I048_110)) {
        if (o) jset_int(o, "height_3d_ft", r->height_3d * 25); else add(l, " H3D=%dft", r->height_3d * 25);
    }
    if (r->has_doppler_cal) {
        if (o) jset_int(o, "doppler_mps", r->doppler_cal); else add(l, " DOP=%dm/s", r->doppler_cal);
    }
    if (r->sp_lookout && o) {
        if (r->sp_lookout & LO_SP048_ELEVATION) jset_real(o, "sp_elevation_deg", r->sp_elevation * (180.0 / 32768.0));
        if (r->sp_lookout & LO_SP048_SNR) jset_real(o, "sp_snr_db", r->sp_snr / 256.0);
        if (r->sp_lookout & LO_SP048_RADIAL_VEL) jset_real(o, "sp_radial_velocity_mps", r->sp_radial_vel / 64.0);
        if (r->sp_lookout & LO_SP048_TRUTH) jset_int(o, "sp_truth_id", r->sp_truth_id);
        if (r->sp_lookout & LO_SP048_DOPPLER_SPREAD)
            jset_real(o, "sp_doppler_spread_mps", r->sp_doppler_spread / 64.0);
    }
}

static void emit034(decode_ctx *c, const lo_asterix_record *rec, json_t *o, line *l)
{
    const lo_cat034 *r = rec->c034;
    uint64_t p = r->present;
    char buf[64];
    if (p & LO_FRN(LO_I034_000)) {
        const char *name = r->msg_type == 1 ? "north_marker" : r->msg_type == 2 ? "sector_crossing" : "other";
        if (o) { jset_int(o, "msg_type", r->msg_type); jset_str(o, "message", name); }
        else add(l, " %s(%u)", name, r->msg_type);
    }
    if (p & LO_FRN(LO_I034_030)) {
        double t = resolve(c, r->tod);
        iso_time(t, buf, sizeof buf);
        if (o) { jset_real(o, "tod_s", r->tod / 128.0); jset_real(o, "t", t); jset_str(o, "time", buf); }
        else add(l, " %s", buf);
    }
    if (p & LO_FRN(LO_I034_020)) {
        if (o) jset_real(o, "sector_deg", r->sector * (360.0 / 256.0)); else add(l, " SECTOR=%.2fdeg", r->sector * (360.0 / 256.0));
    }
    if (p & LO_FRN(LO_I034_041)) {
        if (o) jset_real(o, "rotation_period_s", r->rotation_period / 128.0);
        else add(l, " PERIOD=%.3fs", r->rotation_period / 128.0);
    }
    if ((p & LO_FRN(LO_I034_120)) && o) {
        jset_real(o, "site_lat_deg", r->site_lat * (180.0 / 8388608.0));
        jset_real(o, "site_lon_deg", r->site_lon * (180.0 / 8388608.0));
        jset_int(o, "site_height_m", r->site_height);
    }
}

static void emit062(decode_ctx *c, const lo_asterix_record *rec, json_t *o, line *l)
{
    const lo_cat062 *r = rec->c062;
    uint64_t p = r->present;
    char buf[64];
    if (p & LO_FRN(LO_I062_070)) {
        double t = resolve(c, r->tod);
        iso_time(t, buf, sizeof buf);
        if (o) { jset_real(o, "tod_s", r->tod / 128.0); jset_real(o, "t", t); jset_str(o, "time", buf); }
        else add(l, " %s", buf);
    }
    if (p & LO_FRN(LO_I062_040)) {
        if (o) jset_int(o, "track_number", r->track_number); else add(l, " TN=%u", r->track_number);
    }
    if (p & LO_FRN(LO_I062_105)) {
        double lat = r->lat * (180.0 / 33554432.0), lon = r->lon * (180.0 / 33554432.0);
        if (o) { jset_real(o, "lat_deg", lat); jset_real(o, "lon_deg", lon); }
        else add(l, " LAT=%.6f LON=%.6f", lat, lon);
    }
    if (p & LO_FRN(LO_I062_100)) {
        if (o) { jset_real(o, "x_m", r->x * 0.5); jset_real(o, "y_m", r->y * 0.5); }
        else add(l, " X=%.1fm Y=%.1fm", r->x * 0.5, r->y * 0.5);
    }
    if (p & LO_FRN(LO_I062_185)) {
        if (o) { jset_real(o, "vx_mps", r->vx * 0.25); jset_real(o, "vy_mps", r->vy * 0.25); }
        else add(l, " VX=%.2f VY=%.2f", r->vx * 0.25, r->vy * 0.25);
    }
    if (p & LO_FRN(LO_I062_060)) {
        snprintf(buf, sizeof buf, "%04u", lo_mode3a_octal(r->mode3a));
        if (o) jset_str(o, "mode3a", buf); else add(l, " M3A=%s", buf);
    }
    if (r->has_address) {
        snprintf(buf, sizeof buf, "%06x", r->address);
        if (o) jset_str(o, "address", buf); else add(l, " ADDR=%s", buf);
    }
    if (p & LO_FRN(LO_I062_245)) {
        char id[9];
        memcpy(id, r->ident, sizeof id);
        trim(id);
        if (o) jset_str(o, "ident", id); else add(l, " ID=%s", id);
    }
    if (p & LO_FRN(LO_I062_080)) {
        if (o) {
            jset_int(o, "cnf", r->cnf); jset_int(o, "tsb", r->tsb); jset_int(o, "tse", r->tse); jset_int(o, "cst", r->cst);
        } else {
            add(l, "%s%s%s%s", r->cnf ? " TENTATIVE" : "", r->tsb ? " TSB" : "", r->tse ? " TSE" : "", r->cst ? " CST" : "");
        }
    }
    if (p & LO_FRN(LO_I062_136)) { if (o) jset_real(o, "measured_fl", r->measured_fl / 4.0); else add(l, " FL=%.2f", r->measured_fl / 4.0); }
    if (p & LO_FRN(LO_I062_130)) { if (o) jset_real(o, "geo_alt_ft", r->geo_alt * 6.25); else add(l, " ALT=%.2fft", r->geo_alt * 6.25); }
    if (p & LO_FRN(LO_I062_220)) { if (o) jset_real(o, "rocd_ftmin", r->rocd * 6.25); }
    if (r->sp_lookout) {
        int best = 0;
        for (int i = 1; i < r->sp_n_classes; i++) if (r->sp_class_prob[i] > r->sp_class_prob[best]) best = i;
        if (best < LO_CLASS_COUNT) {
            if (o) { jset_str(o, "class", lo_class_name((lo_class)best)); jset_real(o, "class_prob", r->sp_class_prob[best] / 255.0); }
            else add(l, " CLASS=%s(%.2f)", lo_class_name((lo_class)best), r->sp_class_prob[best] / 255.0);
        }
    }
}

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    decode_ctx *c = ctx;
    c->n++;
    uint8_t sac = rec->cat == 48 ? rec->c048->sac : rec->cat == 34 ? rec->c034->sac : rec->c062->sac;
    uint8_t sic = rec->cat == 48 ? rec->c048->sic : rec->cat == 34 ? rec->c034->sic : rec->c062->sic;
    if (c->json) {
        json_t *o = json_object();
        jset_int(o, "cat", rec->cat);
        jset_int(o, "offset", rec->offset);
        jset_int(o, "chunk", c->chunk_index);
        jset_int(o, "sac", sac);
        jset_int(o, "sic", sic);
        if (rec->cat == 48) emit048(c, rec, o, NULL);
        else if (rec->cat == 34) emit034(c, rec, o, NULL);
        else emit062(c, rec, o, NULL);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        if (s) { fputs(s, c->out); fputc('\n', c->out); free(s); }
        json_decref(o);
    } else {
        line l = {.n = 0};
        add(&l, "@%lld CAT%03u %u/%u", rec->offset, rec->cat, sac, sic);
        if (rec->cat == 48) emit048(c, rec, NULL, &l);
        else if (rec->cat == 34) emit034(c, rec, NULL, &l);
        else emit062(c, rec, NULL, &l);
        fprintf(c->out, "%.*s\n", (int)l.n, l.buf);
    }
}

static void on_udp_record(void *ctx, const lo_asterix_record *rec, const lo_udp_from *from)
{
    decode_ctx *c = ctx;
    c->chunk_t = from->t_recv; /* times of day resolve against the receive time */
    on_record(c, rec);
}

static volatile sig_atomic_t stop_listening;
static void on_signal(int sig)
{
    (void)sig;
    stop_listening = 1;
}

/* --listen: decode a live feed from any sender until --count records or --seconds passed. */
static int listen_udp(decode_ctx *c, const char *spec, const char *group, long count, double seconds)
{
    lo_udp_listen l;
    memset(&l, 0, sizeof l);
    const char *colon = strrchr(spec, ':');
    const char *port_s = colon ? colon + 1 : spec;
    char *end;
    long port = strtol(port_s, &end, 10);
    if (*end || port < 0 || port > 65535 || (colon && (size_t)(colon - spec) >= sizeof l.bind_addr))
        return lo_usage_error("decode", "bad --listen '%s' (want [ADDR:]PORT)", spec);
    l.port = (uint16_t)port;
    if (colon) memcpy(l.bind_addr, spec, (size_t)(colon - spec));
    if (group) snprintf(l.multicast_group, sizeof l.multicast_group, "%s", group);
    lo_diag_sink sink = {0};
    lo_udp_receiver *r = lo_udp_receiver_open(&l, 1, NULL, 0, true, 10, &sink);
    if (!r) return LO_EXIT_FAIL;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "lookout decode: listening on udp port %u (any sender)\n", lo_udp_receiver_port(r, 0));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = LO_EXIT_OK;
    while (!stop_listening && (count <= 0 || c->n < count)) {
        if (lo_udp_receiver_poll(r, 100, on_udp_record, c) < 0) { rc = LO_EXIT_FAIL; break; }
        fflush(c->out);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (seconds > 0 && (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9 >= seconds) break;
    }
    const lo_udp_rx_stats *st = lo_udp_receiver_stats(r);
    fprintf(stderr, "lookout decode: %ld datagrams, %ld records, %ld malformed datagrams\n",
            st->datagrams, st->records, st->malformed_datagrams);
    lo_udp_receiver_close(r);
    return rc;
}

/* --plots / --tracks: the recording as data-model records in time order, through the text
 * writers (CSV, or JSON lines for *.jsonl), for `lookout track` and `lookout eval`. */
static int convert(const char *path, lo_rec_format fmt, double midnight, const lo_site *site,
                   const char *plots_out, const char *tracks_out)
{
    lo_diag_sink sink = {0};
    int rc = LO_EXIT_OK;
    if (plots_out) {
        lo_asterix_plot_source *src = lo_asterix_plot_source_open(
            path, fmt, site ? site->sensors : NULL, site ? site->n_sensors : 0, midnight, 0, &sink);
        if (!src) return LO_EXIT_FAIL;
        lo_writer *w = lo_plot_writer_open(plots_out, lo_format_from_path(plots_out));
        if (!w) {
            lo_asterix_plot_source_close(src);
            fprintf(stderr, "lookout decode: cannot write '%s'\n", plots_out);
            return LO_EXIT_FAIL;
        }
        lo_plot p;
        long n = 0;
        int r;
        while ((r = lo_asterix_plot_source_next(src, &p)) == 1) {
            if (lo_plot_write(w, &p) < 0) { rc = LO_EXIT_FAIL; break; }
            n++;
        }
        if (r < 0) rc = LO_EXIT_FAIL;
        if (lo_writer_close(w) < 0) rc = LO_EXIT_FAIL;
        fprintf(stderr, "lookout decode: %ld plots to %s (%ld records without a usable plot%s)\n", n,
                plots_out, lo_asterix_plot_source_dropped(src), site ? " or from unknown radars" : "");
        lo_asterix_plot_source_close(src);
    }
    if (tracks_out) {
        lo_asterix_track_source *src = lo_asterix_track_source_open(
            path, fmt, site ? &site->frame : NULL, midnight, 0, &sink);
        if (!src) return LO_EXIT_FAIL;
        lo_writer *w = lo_track_writer_open(tracks_out, lo_format_from_path(tracks_out),
                                            site ? &site->frame : NULL);
        if (!w) {
            lo_asterix_track_source_close(src);
            fprintf(stderr, "lookout decode: cannot write '%s'\n", tracks_out);
            return LO_EXIT_FAIL;
        }
        lo_track t;
        long n = 0;
        int r;
        while ((r = lo_asterix_track_source_next(src, &t)) == 1) {
            if (lo_track_write(w, &t) < 0) { rc = LO_EXIT_FAIL; break; }
            n++;
        }
        if (r < 0) rc = LO_EXIT_FAIL;
        if (lo_writer_close(w) < 0) rc = LO_EXIT_FAIL;
        fprintf(stderr, "lookout decode: %ld track reports to %s\n", n, tracks_out);
        lo_asterix_track_source_close(src);
    }
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout decode FILE [--json] [--format auto|pcap|raw|gps|ff] [--date YYYY-MM-DD]\n"
            "       lookout decode --listen [ADDR:]PORT [--group MCAST] [--count N] [--seconds S] [--json]\n"
            "Print every CAT048, CAT034 and CAT062 record of an ASTERIX recording, one per line.\n"
            "Other categories are skipped and counted. Bad data is reported with the file and byte\n"
            "offset on stderr and skipped.\n\n"
            "  --json           one JSON object per record per line\n"
            "  --format F       container format (default: auto-detect)\n"
            "  --date D         UTC date of the recording (times of day become absolute times;\n"
            "                   default: the pcap capture date, or 1970-01-01)\n"
            "  --plots OUT      write the CAT048 plots (time order) to OUT (.csv, or .jsonl) instead\n"
            "  --tracks OUT     write the CAT062 track reports (time order) to OUT instead\n"
            "  --site FILE      site YAML: radars by SAC/SIC (ids, antenna heights), system frame\n"
            "                   (CAT062 WGS-84 -> ENU); without it sensor_id = SAC*256+SIC and\n"
            "                   CAT062 positions come from I062/100\n"
            "  --listen A:P     decode a live UDP feed (from any sender) instead of a file\n"
            "  --group G        join IPv4 multicast group G for --listen\n"
            "  --count N        stop --listen after N records;  --seconds S  after S seconds\n"
            "  -h, --help       this text\n");
}

int cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"format", required_argument, NULL, 'f'},
        {"date", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {"listen", required_argument, NULL, 'l'}, {"group", required_argument, NULL, 'g'},
        {"count", required_argument, NULL, 'c'}, {"seconds", required_argument, NULL, 's'},
        {"plots", required_argument, NULL, 'P'}, {"tracks", required_argument, NULL, 'T'},
        {"site", required_argument, NULL, 'S'}, {0, 0, 0, 0}};
    const char *plots_out = NULL, *tracks_out = NULL, *site_path = NULL;
    const char *listen = NULL, *group = NULL;
    long count = 0;
    double seconds = 0;
    decode_ctx c = {.out = stdout, .chunk_t = NAN};
    lo_rec_format fmt = LO_REC_AUTO;
    double midnight = 0.0;
    int o;
    opterr = 0;
    double v;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'j': c.json = true; break;
        case 'f':
            if (!lo_rec_format_from_name(optarg, &fmt))
                return lo_usage_error("decode", "unknown format '%s' (auto, pcap, raw, gps, ff)", optarg);
            break;
        case 'd':
            if (!lo_parse_date(optarg, &midnight))
                return lo_usage_error("decode", "bad date '%s' (want YYYY-MM-DD)", optarg);
            c.have_date = true;
            break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case 'l': listen = optarg; break;
        case 'g': group = optarg; break;
        case 'c':
            if (!lo_cli_number(optarg, 1, 1e15, &v) || v != floor(v))
                return lo_usage_error("decode", "--count takes a whole number >= 1, got '%s'", optarg);
            count = (long)v;
            break;
        case 's':
            if (!lo_cli_number(optarg, 0.001, 1e9, &seconds))
                return lo_usage_error("decode", "--seconds takes seconds > 0, got '%s'", optarg);
            break;
        case 'P': plots_out = optarg; break;
        case 'T': tracks_out = optarg; break;
        case 'S': site_path = optarg; break;
        case ':': return lo_usage_error("decode", "option '%s' needs a value", argv[optind - 1]);
        default:
            return lo_usage_error("decode", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (listen) {
        if (optind != argc) return lo_usage_error("decode", "--listen takes no FILE");
        return listen_udp(&c, listen, group, count, seconds);
    }
    if (optind != argc - 1)
        return lo_usage_error("decode", optind >= argc ? "missing FILE" : "more than one FILE");
    const char *path = argv[optind];
    if (!lo_cli_input_ok("decode", NULL, path)) return LO_EXIT_USAGE;
    lo_tod_resolver_init(&c.tod, midnight);
    if (plots_out || tracks_out) {
        lo_site site;
        memset(&site, 0, sizeof site);
        lo_diag_sink sink = {0};
        if (site_path && lo_site_load(site_path, &site, &sink) < 0) return LO_EXIT_FAIL;
        int rc = convert(path, fmt, c.have_date ? midnight : NAN, site_path ? &site : NULL,
                         plots_out, tracks_out);
        if (site_path) lo_site_free(&site);
        return rc;
    }

    lo_diag_sink sink = {0};
    lo_recording *rec = lo_recording_open(path, fmt, &sink);
    if (!rec) return LO_EXIT_FAIL;
    lo_asterix_stats stats = {0};
    lo_rec_chunk chunk;
    int rc;
    while ((rc = lo_recording_next(rec, &chunk)) == 1) {
        c.chunk_t = chunk.capture_t;
        c.chunk_index = chunk.index;
        lo_asterix_decode(chunk.data, chunk.len, path, chunk.offset, on_record, &c, &stats, &sink);
    }
    fflush(stdout);
    fprintf(stderr,
            "lookout decode: %s (%s): %ld records (CAT048 %ld, CAT034 %ld, CAT062 %ld), %ld blocks, "
            "%ld blocks of other categories skipped, %ld items skipped, %ld malformed%s\n",
            path, lo_rec_format_name(lo_recording_format(rec)), stats.records,
            stats.records_by_cat[48], stats.records_by_cat[34], stats.records_by_cat[62], stats.blocks,
            stats.skipped_blocks, stats.skipped_items, stats.malformed,
            rc < 0 ? "; reading stopped at a framing error" : "");
    lo_recording_close(rec);
    return rc < 0 ? LO_EXIT_FAIL : LO_EXIT_OK;
}
