/* lookout track: plots from a file -> ingest -> tracker -> track reports (docs/tracker.md). */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "lookout/config.h"
#include "lookout/formats.h"
#include "lookout/ingest.h"
#include "lookout/recording.h"
#include "lookout/tracker.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout track -c SITE_OR_SCENARIO.yaml -i PLOTS [-o TRACKS] [OPTIONS]\n"
            "Tracks radar plots from a file: each plot is converted into the site's ENU frame\n"
            "(ingest), sorted into time order, and fed to the tracker (IMM filters, gating,\n"
            "GNN or JPDA, track management; settings from the YAML's tracker: section, see\n"
            "docs/tracker.md). Every track update, status change and deletion is written as\n"
            "one track report. Files are CSV or JSON lines (docs/formats.md); '-' is stdin or\n"
            "stdout.\n\n"
            "Options:\n"
            "  -c, --config FILE     site or scenario YAML (sensors; optional tracker: section)\n"
            "  -i, --input FILE      plots (CSV or JSON lines, by file name), or an ASTERIX\n"
            "                        CAT048 recording (.pcap .ast .raw .bin .gps .ff, or pcap\n"
            "                        content; radars matched to sensors by SAC/SIC)\n"
            "  -o, --output FILE     track reports (default: stdout)\n"
            "  --format csv|jsonl|asterix  output format (default: from -o's name; csv on\n"
            "                        stdout); asterix: CAT062, pcap for *.pcap, else raw\n"
            "  --date YYYY-MM-DD     date of an ASTERIX recording without one (raw, GPS, final;\n"
            "                        default: the pcap capture date, else 1970-01-01)\n"
            "  --association gnn|jpda  override the YAML's association\n"
            "  --tentative           also report tentative tracks\n"
            "  -h, --help            this text\n");
}

typedef struct track_out {
    lo_writer *w;
    lo_asterix_track_writer *cat062; /* --format asterix: instead of w */
    long reports;
    bool failed;
} track_out;

static void on_report(void *ctx, const lo_track *tr)
{
    track_out *o = ctx;
    if (o->failed) return;
    if (o->cat062 ? lo_asterix_track_writer_write_batch(o->cat062, tr, 1) != 0
                  : lo_track_write(o->w, tr) != 0)
        o->failed = true;
    o->reports++;
}

/* An ASTERIX recording by its name, or by the pcap magic. */
static bool is_asterix_input(const char *path)
{
    static const char *const ext[] = {".pcap", ".pcapng", ".ast", ".raw", ".bin", ".gps", ".ff"};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
        if (!strcasecmp(dot, ext[i])) return true;
    unsigned char m[4] = {0};
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
    if (!f) return false;
    size_t n = fread(m, 1, 4, f);
    fclose(f);
    uint32_t magic = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    return n == 4 && (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u || magic == 0xa1b23c4du ||
                      magic == 0x4d3cb2a1u || magic == 0x0a0d0d0au);
}

static bool readable(const char *path)
{
    return strcmp(path, "-") == 0 || access(path, R_OK) == 0;
}

int cmd_track(int argc, char **argv)
{
    enum { OPT_FORMAT = 1000, OPT_ASSOC, OPT_TENTATIVE, OPT_DATE };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"association", required_argument, NULL, OPT_ASSOC},
        {"tentative", no_argument, NULL, OPT_TENTATIVE},
        {"date", required_argument, NULL, OPT_DATE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *input_path = NULL, *output_path = "-", *format = NULL,
               *assoc = NULL;
    bool tentative = false, cat062_out = false;
    double date_midnight = NAN;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hc:i:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': usage(stdout); return LO_EXIT_OK;
        case 'c': config_path = optarg; break;
        case 'i': input_path = optarg; break;
        case 'o': output_path = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_ASSOC: assoc = optarg; break;
        case OPT_TENTATIVE: tentative = true; break;
        case OPT_DATE:
            if (!lo_parse_date(optarg, &date_midnight))
                return lo_usage_error("track", "--date takes YYYY-MM-DD, not '%s'", optarg);
            break;
        case ':': return lo_usage_error("track", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("track", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("track", "unexpected argument '%s'", argv[optind]);
    if (!config_path) return lo_usage_error("track", "-c SITE_OR_SCENARIO.yaml is required");
    if (!input_path) return lo_usage_error("track", "-i PLOTS is required");
    if (access(config_path, R_OK) != 0)
        return lo_usage_error("track", "cannot read '%s': %s", config_path, strerror(errno));
    if (!readable(input_path))
        return lo_usage_error("track", "cannot read '%s': %s", input_path, strerror(errno));
    lo_text_format fmt = lo_format_from_path(output_path);
    if (!strcmp(output_path, "-")) fmt = LO_FORMAT_CSV;
    if (format) {
        if (!strcmp(format, "csv")) fmt = LO_FORMAT_CSV;
        else if (!strcmp(format, "jsonl")) fmt = LO_FORMAT_JSONL;
        else if (!strcmp(format, "asterix")) cat062_out = true;
        else return lo_usage_error("track", "--format takes csv, jsonl or asterix, not '%s'", format);
    }
    if (cat062_out && !strcmp(output_path, "-"))
        return lo_usage_error("track", "--format asterix needs -o FILE (.pcap, or raw blocks)");
    bool asterix_in = is_asterix_input(input_path);
    if (assoc && strcmp(assoc, "gnn") && strcmp(assoc, "jpda"))
        return lo_usage_error("track", "--association takes gnn or jpda, not '%s'", assoc);

    lo_diag_sink sink = {0}; /* print each problem on stderr, skip the record, go on */
    lo_site site;
    if (lo_site_load(config_path, &site, &sink) != 0) {
        fprintf(stderr, "lookout track: cannot use the configuration '%s' (see above)\n", config_path);
        return LO_EXIT_FAIL;
    }
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    if (lo_tracker_config_from_site(&site, &cfg, &sink) != 0) {
        fprintf(stderr, "lookout track: bad tracker settings in '%s' (see above)\n", config_path);
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    if (assoc) cfg.association = strcmp(assoc, "gnn") ? LO_ASSOC_JPDA : LO_ASSOC_GNN;
    if (tentative) cfg.report_tentative = true;
    lo_tracker *tracker = lo_tracker_new(&site, &cfg);
    lo_asterix_plot_source *asterix = tracker && asterix_in
        ? lo_asterix_plot_source_open(input_path, LO_REC_AUTO, site.sensors, site.n_sensors,
                                      date_midnight, 0, &sink)
        : NULL;
    lo_reader *reader = tracker && !asterix_in ? lo_plot_reader_open(input_path, &sink) : NULL;
    lo_writer *writer = NULL;
    track_out out = {0};
    if (cat062_out && (reader || asterix)) {
        const char *dot = strrchr(output_path, '.');
        bool pcap = dot && (!strcasecmp(dot, ".pcap") || !strcasecmp(dot, ".pcapng"));
        out.cat062 = lo_asterix_track_writer_open(output_path, pcap ? LO_REC_PCAP : LO_REC_RAW,
                                                  8600, NULL, &site.frame, 0, 1, site.sensors,
                                                  site.n_sensors);
    } else if (reader || asterix) {
        writer = lo_track_writer_open(output_path, fmt, &site.frame);
    }
    if (!writer && !out.cat062) {
        if (!tracker) fprintf(stderr, "lookout track: invalid tracker settings\n");
        else if (reader) fprintf(stderr, "lookout track: cannot write '%s': %s\n", output_path, strerror(errno));
        lo_reader_close(reader);
        lo_asterix_plot_source_close(asterix);
        lo_tracker_free(tracker);
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    out.w = writer;
    lo_tracker_set_report(tracker, on_report, &out);

    long n_read = 0, n_unusable = 0;
    double latest = -INFINITY;
    lo_plot p;
    int got;
    while ((got = asterix ? lo_asterix_plot_source_next(asterix, &p)
                          : lo_plot_reader_next(reader, &p)) == 1 && !out.failed) {
        n_read++;
        const char *why = NULL;
        if (lo_ingest_plot(&site, &p, cfg.default_height_m, &why) != 0) {
            lo_diag_report(&sink, LO_DIAG_WARNING, input_path, reader ? lo_reader_line(reader) : 0, 0, -1, NULL,
                           "plot skipped: %s", why ? why : "not usable");
            n_unusable++;
            continue;
        }
        if (lo_tracker_add_plot(tracker, &p) != 0) continue; /* late or unusable: counted */
        /* The file's own clock drives the tracker: plots up to the reorder window out of
         * order are sorted back in. */
        if (p.t > latest) {
            latest = p.t;
            lo_tracker_advance(tracker, latest);
        }
        if (n_read % 100000 == 0 && lo_progress_wanted())
            fprintf(stderr, "\rlookout track: %ld plots, %zu tracks   ", n_read,
                    lo_tracker_track_count(tracker));
    }
    if (lo_progress_wanted() && n_read >= 100000) fputc('\n', stderr);
    lo_tracker_finish(tracker);
    lo_tracker_stats st;
    lo_tracker_get_stats(tracker, &st);
    int status = LO_EXIT_OK;
    if (got < 0) status = LO_EXIT_FAIL;
    if ((writer && lo_writer_close(writer) != 0) ||
        (out.cat062 && lo_asterix_track_writer_close(out.cat062) != 0) || out.failed) {
        fprintf(stderr, "lookout track: writing '%s' failed\n", output_path);
        status = LO_EXIT_FAIL;
    }
    fprintf(stderr,
            "lookout track: %ld plots read, %ld not usable, %llu late (dropped), %llu tracks "
            "started, %llu confirmed, %llu merged, %ld reports\n",
            n_read, n_unusable, (unsigned long long)st.late_plots,
            (unsigned long long)st.tracks_created, (unsigned long long)st.tracks_confirmed,
            (unsigned long long)st.tracks_merged, out.reports);
    lo_reader_close(reader);
    lo_asterix_plot_source_close(asterix);
    lo_tracker_free(tracker);
    lo_site_free(&site);
    return status;
}
