/* What the CAT034/048/062 libFuzzer harnesses share: the same bytes walked as data blocks
 * through lo_asterix_decode, once with the harness's category byte forced in front (so most
 * inputs reach that decoder) and once as they are. Each harness adds its own record loop. */
#ifndef LOOKOUT_FUZZ_CATEGORY_H
#define LOOKOUT_FUZZ_CATEGORY_H

#include <stddef.h>
#include <stdint.h>

#include "lookout/asterix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fuzz_quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

static void fuzz_ignore_record(void *ctx, const lo_asterix_record *rec)
{
    (void)ctx;
    (void)rec;
}

static void fuzz_as_blocks(const uint8_t *data, size_t size, uint8_t cat)
{
    lo_diag_sink sink = {fuzz_quiet, NULL, 0, 0};
    uint8_t buf[4096];
    size_t n = size < sizeof buf - 3 ? size : sizeof buf - 3;
    buf[0] = cat;
    buf[1] = (uint8_t)((n + 3) >> 8);
    buf[2] = (uint8_t)(n + 3);
    for (size_t i = 0; i < n; i++) buf[3 + i] = data[i];
    lo_asterix_stats st = {0};
    lo_asterix_decode(buf, n + 3, "fuzz", 0, fuzz_ignore_record, NULL, &st, &sink);
    lo_asterix_decode(data, size, "fuzz", 0, fuzz_ignore_record, NULL, &st, &sink);
}

#endif
