/* libFuzzer harness: the gps recording reader (and the decoder behind it). */
#define FUZZ_FORMAT LO_REC_GPS
#include "fuzz_recording.h"
