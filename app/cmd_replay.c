/* lookout replay: play a recording onto the wire as UDP datagrams with its original timing,
 * so that `lookout serve` (or any ASTERIX receiver) can be driven like a real radar.
 *
 * Input: an ASTERIX recording (pcap, raw, GPS, final: whatever lo_recording_open reads), each
 * chunk sent as one datagram; or a plots file (CSV / JSON lines) encoded on the fly as CAT048 +
 * CAT034 by the asterix plot writer (needs the site file for the sensors' SAC/SIC).
 * Timing: the pcap capture time of each datagram, else the time of day of its first record
 * (CAT048 I048/140, CAT034 I034/030, CAT062 I062/070), scaled by 1/--speed on the monotonic
 * clock. Destination: an explicit udp://IPV4:PORT (or localhost); nothing is ever broadcast. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "lookout/asterix.h"
#include "lookout/config.h"
#include "lookout/formats.h"
#include "lookout/recording.h"
#include "lookout/udp.h"


static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout replay FILE --to udp://HOST:PORT [--speed X] [--loop]\n"
            "                      [--format auto|pcap|raw|gps|ff] [-c SITE.yaml]\n\n"
            "Sends a recording onto the network as UDP datagrams with its original timing,\n"
            "like the radar that made it. FILE is an ASTERIX recording (pcap, raw, GPS,\n"
            "final), or a plots file (.csv, .jsonl) that is encoded as CAT048 + CAT034 on the\n"
            "way (then -c names the site file whose sensors made the plots).\n\n"
            "Options:\n"
            "  --to udp://HOST:PORT  destination: an IPv4 address (or localhost) and port\n"
            "  --speed X             X times the original pace (default 1)\n"
            "  --loop                start again at the end, until Ctrl-C\n"
            "  --format F            recording format (default auto: by content)\n"
            "  -c, --config FILE     site file, for a plots file\n"
            "  -h, --help            this text\n");
}

/* "udp://HOST:PORT" -> "HOST:PORT" for the sender. Only explicit IPv4 unicast or multicast
 * addresses and localhost: no names that might resolve elsewhere, no broadcast. */
static bool parse_udp_url(const char *url, char *dest, size_t len, char *why, size_t whylen)
{
    if (strncmp(url, "udp://", 6) != 0) {
        snprintf(why, whylen, "expected udp://HOST:PORT, got '%s'", url);
        return false;
    }
    const char *hp = url + 6;
    const char *colon = strrchr(hp, ':');
    if (!colon || colon == hp) {
        snprintf(why, whylen, "'%s' has no HOST:PORT", url);
        return false;
    }
    char host[64];
    size_t hn = (size_t)(colon - hp);
    if (hn >= sizeof host) {
        snprintf(why, whylen, "host too long in '%s'", url);
        return false;
    }
    memcpy(host, hp, hn);
    host[hn] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535) {
        snprintf(why, whylen, "port must be 1..65535 in '%s'", url);
        return false;
    }
    struct in_addr a;
    if (strcmp(host, "localhost") == 0) {
        snprintf(host, sizeof host, "127.0.0.1");
    } else if (inet_pton(AF_INET, host, &a) != 1) {
        snprintf(why, whylen, "host must be an IPv4 address or localhost in '%s'", url);
        return false;
    } else if (ntohl(a.s_addr) == 0xffffffffu || ntohl(a.s_addr) == 0) {
        snprintf(why, whylen, "'%s': broadcast or unspecified address refused", host);
        return false;
    }
    snprintf(dest, len, "%s:%ld", host, port);
    return true;
}

/* Time of day of the first record that has one. */
typedef struct tod_probe {
    bool found;
    double tod_s;
} tod_probe;

static void probe_record(void *ctx, const lo_asterix_record *rec)
{
    tod_probe *p = ctx;
    if (p->found) return;
    if (rec->c048 && (rec->c048->present & LO_FRN(LO_I048_140)))
        p->tod_s = rec->c048->tod * LO_ASTERIX_TOD_LSB, p->found = true;
    else if (rec->c034 && (rec->c034->present & LO_FRN(LO_I034_030)))
        p->tod_s = rec->c034->tod * LO_ASTERIX_TOD_LSB, p->found = true;
    else if (rec->c062 && (rec->c062->present & LO_FRN(LO_I062_070)))
        p->tod_s = rec->c062->tod * LO_ASTERIX_TOD_LSB, p->found = true;
}

static bool quiet_diag(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

/* Encode a plots file as a temporary pcap (CAT048 + CAT034 as the radar would send them). */
static int encode_plots(const char *plots, const char *site_path, char *tmp, size_t tmplen)
{
    lo_diag_sink diag = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    lo_site site;
    if (lo_site_load(site_path, &site, &diag) != 0) return -1;
    snprintf(tmp, tmplen, "/tmp/lookout-replay-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        lo_site_free(&site);
        return -1;
    }
    close(fd);
    int rc = -1;
    lo_reader *r = lo_plot_reader_open(plots, &diag);
    lo_asterix_plot_writer *w = r ? lo_asterix_plot_writer_open(tmp, LO_REC_PCAP, 8600, site.sensors,
                                                                site.n_sensors, 0) : NULL;
    if (r && w) {
        lo_plot p;
        int got;
        rc = 0;
        while ((got = lo_plot_reader_next(r, &p)) == 1)
            if (lo_asterix_plot_writer_write(w, &p) != 0) rc = -1;
        if (got < 0) rc = -1;
        long dropped = lo_asterix_plot_writer_dropped(w);
        if (dropped)
            fprintf(stderr, "lookout replay: %ld plots of sensors not in %s were left out\n",
                    dropped, site_path);
    }
    if (w && lo_asterix_plot_writer_close(w) != 0) rc = -1;
    if (r) lo_reader_close(r);
    lo_site_free(&site);
    if (rc != 0) unlink(tmp);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    enum { OPT_TO = 256, OPT_SPEED, OPT_LOOP, OPT_FORMAT };
    static const struct option opts[] = {
        {"to", required_argument, 0, OPT_TO},     {"speed", required_argument, 0, OPT_SPEED},
        {"loop", no_argument, 0, OPT_LOOP},       {"format", required_argument, 0, OPT_FORMAT},
        {"config", required_argument, 0, 'c'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *to = NULL, *site_path = NULL;
    double speed = 1;
    bool loop = false;
    lo_rec_format fmt = LO_REC_AUTO;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TO: to = optarg; break;
        case OPT_SPEED:
            if (!lo_cli_number(optarg, 0.01, 10000, &speed))
                return lo_usage_error("replay", "--speed takes a factor in [0.01, 10000], got '%s'",
                                      optarg);
            break;
        case OPT_LOOP: loop = true; break;
        case OPT_FORMAT:
            if (!lo_rec_format_from_name(optarg, &fmt))
                return lo_usage_error("replay", "--format takes auto, pcap, raw, gps or ff, got '%s'",
                                      optarg);
            break;
        case 'c': site_path = optarg; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("replay", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("replay", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return lo_usage_error("replay", "a recording or plots file is required");
    if (optind + 1 < argc) return lo_usage_error("replay", "unexpected argument '%s'", argv[optind + 1]);
    const char *file = argv[optind];
    if (!to) return lo_usage_error("replay", "--to udp://HOST:PORT is required");
    char dest[96], why[160];
    if (!parse_udp_url(to, dest, sizeof dest, why, sizeof why))
        return lo_usage_error("replay", "--to: %s", why);
    FILE *probe = fopen(file, "r");
    if (!probe) return lo_usage_error("replay", "cannot open '%s'", file);
    fclose(probe);

    const char *dot = strrchr(file, '.');
    bool plots_file = dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".jsonl") ||
                              !strcasecmp(dot, ".ndjson"));
    char tmp[64] = "";
    const char *path = file;
    if (plots_file) {
        if (!site_path)
            return lo_usage_error("replay", "a plots file needs the site file (-c SITE.yaml) for "
                                  "its sensors");
        probe = fopen(site_path, "r");
        if (!probe) return lo_usage_error("replay", "cannot open site file '%s'", site_path);
        fclose(probe);
        if (encode_plots(file, site_path, tmp, sizeof tmp) != 0) {
            fprintf(stderr, "lookout replay: cannot encode %s as CAT048\n", file);
            return LO_EXIT_FAIL;
        }
        path = tmp;
        fmt = LO_REC_PCAP;
    }

    lo_diag_sink diag = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    const char *dests[1] = {dest};
    lo_udp_sender *tx = lo_udp_sender_open(dests, 1, 1, NULL, &diag);
    if (!tx) {
        if (tmp[0]) unlink(tmp);
        return LO_EXIT_FAIL;
    }
    volatile sig_atomic_t *stop = lo_cli_catch_stop_signals();

    fprintf(stderr, "lookout replay: %s to udp://%s at %gx%s\n", file, dest, speed,
            loop ? ", looping" : "");
    int rc = LO_EXIT_OK;
    long sent = 0, failed = 0, untimed = 0;
    long long bytes = 0;
    double max_late = 0, data_span = 0;
    double wall_start = lo_cli_monotonic_s();
    lo_diag_sink quiet = {.fn = quiet_diag};
    do {
        lo_recording *rec = lo_recording_open(path, fmt, &diag);
        if (!rec) {
            rc = LO_EXIT_FAIL;
            break;
        }
        lo_tod_resolver res;
        lo_tod_resolver_init(&res, 0);
        double t0 = NAN, last_t = NAN, mono0 = lo_cli_monotonic_s();
        lo_rec_chunk ch;
        int got = 0;
        while (!*stop && (got = lo_recording_next(rec, &ch)) == 1) {
            double t = ch.capture_t;
            if (isnan(t)) {
                tod_probe tp = {0};
                lo_asterix_stats st = {0};
                lo_asterix_decode(ch.data, ch.len, "replay", ch.offset, probe_record, &tp, &st,
                                  &quiet);
                if (tp.found) t = lo_tod_resolve(&res, tp.tod_s);
            }
            if (isnan(t)) {
                t = last_t; /* no time in this chunk: send it with the previous one */
                untimed++;
            }
            if (!isnan(t)) {
                if (isnan(t0)) t0 = t;
                if (!isnan(last_t) && t < last_t) t = last_t; /* never go back in time */
                double due = mono0 + (t - t0) / speed, now = lo_cli_monotonic_s();
                if (due > now) lo_cli_sleep_s(due - now);
                else if (now - due > max_late) max_late = now - due;
                last_t = t;
            }
            if (lo_udp_sender_send(tx, ch.data, ch.len) != 0) failed++;
            else {
                sent++;
                bytes += (long long)ch.len;
            }
        }
        if (got < 0) rc = LO_EXIT_FAIL;
        if (!isnan(t0)) data_span += last_t - t0;
        lo_recording_close(rec);
    } while (loop && !*stop && rc == LO_EXIT_OK);
    double wall = lo_cli_monotonic_s() - wall_start;
    fprintf(stderr, "lookout replay: %ld datagrams (%lld octets) sent in %.1f s for %.1f s of "
            "recording; %ld failed; at most %.1f ms behind schedule%s\n", sent, bytes, wall,
            data_span, failed, 1e3 * max_late, untimed ? " (some chunks without a time)" : "");
    lo_udp_sender_close(tx);
    if (tmp[0]) unlink(tmp);
    if (failed) rc = LO_EXIT_FAIL;
    return rc;
}
