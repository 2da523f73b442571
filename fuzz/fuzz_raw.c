/* libFuzzer harness: the raw recording reader (and the decoder behind it). */
#define FUZZ_FORMAT LO_REC_RAW
#include "fuzz_recording.h"
