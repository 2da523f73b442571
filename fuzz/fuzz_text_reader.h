/* Shared body of the text-reader harnesses (fuzz_plots_csv.c, fuzz_tracks_csv.c, fuzz_jsonl.c):
 * the readers open files by name (the extension picks CSV or JSON lines), so every input is
 * written to one temporary file per process with the right extension and read back through the
 * public API until the end. FUZZ_SUFFIX is ".csv" or ".jsonl"; FUZZ_KINDS lists the record
 * kinds to read (each input is read once per kind). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

static char fuzz_path[64];

static void remove_fuzz_file(void) { unlink(fuzz_path); }

static const char *fuzz_file(const uint8_t *data, size_t size)
{
    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/lookout-fuzz-XXXXXX%s", FUZZ_SUFFIX);
        int fd = mkstemps(fuzz_path, (int)strlen(FUZZ_SUFFIX));
        if (fd < 0) abort();
        close(fd);
        atexit(remove_fuzz_file);
    }
    FILE *f = fopen(fuzz_path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return fuzz_path;
}

/* Read every record; a record that comes back must be one the format allows. */
static void read_all(const char *path, int kind)
{
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    lo_reader *r = kind == LO_RECORD_PLOT    ? lo_plot_reader_open(path, &sink)
                   : kind == LO_RECORD_TRUTH ? lo_truth_reader_open(path, &sink)
                                             : lo_track_reader_open(path, &sink);
    if (!r) return;
    for (int guard = 0; guard < 1000000; guard++) {
        int got;
        if (kind == LO_RECORD_PLOT) {
            lo_plot p;
            got = lo_plot_reader_next(r, &p);
            if (got == 1 && (!(p.flags & (LO_PLOT_POLAR | LO_PLOT_CARTESIAN)) || p.range_m < 0 ||
                             !(p.azimuth_rad >= 0 && p.azimuth_rad < 6.2832)))
                __builtin_trap();
        } else if (kind == LO_RECORD_TRUTH) {
            lo_truth t;
            got = lo_truth_reader_next(r, &t);
            if (got == 1 && (t.truth_id == 0 || t.pos[0] != t.pos[0])) __builtin_trap();
        } else {
            lo_track k;
            got = lo_track_reader_next(r, &k);
            if (got == 1 && (k.pos[0] != k.pos[0] || k.pos_cov[0] < 0)) __builtin_trap();
        }
        if (got == 1 && lo_reader_line(r) <= 0) __builtin_trap();
        if (got != 1) break;
    }
    lo_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    static const int kinds[] = {FUZZ_KINDS};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) read_all(path, kinds[i]);
    return 0;
}
