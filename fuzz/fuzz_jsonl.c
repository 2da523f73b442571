/* libFuzzer harness: the JSON lines readers (jansson), every record kind. */
#define FUZZ_SUFFIX ".jsonl"
#define FUZZ_KINDS LO_RECORD_PLOT, LO_RECORD_TRUTH, LO_RECORD_TRACK
#include "fuzz_text_reader.h"
