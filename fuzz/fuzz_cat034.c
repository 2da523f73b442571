/* libFuzzer harness: the CAT034 record decoder and the block walker on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "lookout/asterix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    (void)ctx;
    (void)rec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    lo_cat034 r;
    long skipped = 0;
    const char *why = NULL, *item = NULL;
    /* The record decoder alone, as if the bytes were the records of one block. */
    size_t pos = 0;
    while (pos < size) {
        long n = lo_cat034_decode(data + pos, size - pos, &r, &skipped, &why, &item);
        if (n <= 0) break;
        if ((size_t)n > size - pos) __builtin_trap(); /* a record never claims more than it has */
        pos += (size_t)n;
        uint8_t out[64];
        lo_cat034_encode(&r, out, sizeof out);
    }
    /* The same bytes as data blocks (category byte forced so most inputs reach the decoder). */
    uint8_t buf[4096];
    size_t n = size < sizeof buf - 3 ? size : sizeof buf - 3;
    buf[0] = 34;
    buf[1] = (uint8_t)((n + 3) >> 8);
    buf[2] = (uint8_t)(n + 3);
    for (size_t i = 0; i < n; i++) buf[3 + i] = data[i];
    lo_asterix_stats st = {0};
    lo_asterix_decode(buf, n + 3, "fuzz", 0, on_record, NULL, &st, &sink);
    lo_asterix_decode(data, size, "fuzz", 0, on_record, NULL, &st, &sink);
    return 0;
}
