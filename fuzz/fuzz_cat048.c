/* libFuzzer harness: the CAT048 record decoder and the block walker on arbitrary bytes. */
#include "fuzz_category.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo_cat048 r;
    long skipped = 0;
    const char *why = NULL, *item = NULL;
    /* The record decoder alone, as if the bytes were the records of one block. */
    size_t pos = 0;
    while (pos < size) {
        long n = lo_cat048_decode(data + pos, size - pos, &r, &skipped, &why, &item);
        if (n <= 0) break;
        if ((size_t)n > size - pos) __builtin_trap(); /* a record never claims more than it has */
        pos += (size_t)n;
        lo_plot p;
        lo_sensor s = {0};
        s.sac = r.sac;
        s.sic = r.sic;
        s.height_m = 100.0;
        lo_cat048_to_plot(&r, &s, 0.0, &p);
        uint8_t out[256];
        lo_cat048_encode(&r, out, sizeof out);
    }
    fuzz_as_blocks(data, size, 48);
    return 0;
}
