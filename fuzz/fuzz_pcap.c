/* libFuzzer harness: the pcap recording reader (and the decoder behind it). */
#define FUZZ_FORMAT LO_REC_PCAP
#include "fuzz_recording.h"
