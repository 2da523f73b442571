/* Shared body of the recording-reader harnesses (fuzz_pcap.c, fuzz_raw.c, fuzz_gps.c,
 * fuzz_ff.c): read every chunk of the input as a recording of format FUZZ_FORMAT, decode it. */
#include <stddef.h>
#include <stdint.h>

#include "lookout/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    lo_recording *r = lo_recording_open_memory(data, size, FUZZ_FORMAT, "fuzz", &sink);
    if (!r) return 0;
    lo_rec_chunk c;
    lo_asterix_stats st = {0};
    int guard = 0;
    while (lo_recording_next(r, &c) == 1 && guard++ < 100000) {
        if (FUZZ_FORMAT != LO_REC_PCAP &&
            (c.data < data || c.data + c.len > data + size)) __builtin_trap();
        lo_asterix_decode(c.data, c.len, "fuzz", c.offset, NULL, NULL, &st, &sink);
    }
    lo_recording_close(r);
    return 0;
}
