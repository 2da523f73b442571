/* libFuzzer harness: the ff recording reader (and the decoder behind it). */
#define FUZZ_FORMAT LO_REC_FF
#include "fuzz_recording.h"
