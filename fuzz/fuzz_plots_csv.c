/* libFuzzer harness: the CSV plot reader (libcsv, header mapping, typed cells, units). */
#define FUZZ_SUFFIX ".csv"
#define FUZZ_KINDS LO_RECORD_PLOT
#include "fuzz_text_reader.h"
