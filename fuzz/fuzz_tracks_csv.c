/* libFuzzer harness: the CSV track and truth readers (the evaluation's inputs). */
#define FUZZ_SUFFIX ".csv"
#define FUZZ_KINDS LO_RECORD_TRACK, LO_RECORD_TRUTH
#include "fuzz_text_reader.h"
