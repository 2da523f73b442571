/* libFuzzer harness: the CAT062 record decoder and the block walker on arbitrary bytes. */
#include "fuzz_category.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo_cat062 r;
    long skipped = 0;
    const char *why = NULL, *item = NULL;
    /* The record decoder alone, as if the bytes were the records of one block. */
    size_t pos = 0;
    while (pos < size) {
        long n = lo_cat062_decode(data + pos, size - pos, &r, &skipped, &why, &item);
        if (n <= 0) break;
        if ((size_t)n > size - pos) __builtin_trap(); /* a record never claims more than it has */
        pos += (size_t)n;
        lo_track t;
        lo_cat062_to_track(&r, NULL, 0.0, &t);
        uint8_t out[256];
        lo_cat062_encode(&r, out, sizeof out);
    }
    fuzz_as_blocks(data, size, 62);
    return 0;
}
