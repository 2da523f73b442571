/*
 * lookout/service.h: the settings of the live service (`lookout serve`) that are not HTTP.
 *
 * Owns the parsing of the site file's `service:` section except `service.http` (http.h):
 *
 *   service:
 *     inputs:                          # ASTERIX CAT048/CAT034 over UDP, one entry per sensor
 *       - sensor: compound-radar       # a sensors[].name of the same file
 *         listen: "0.0.0.0:8600"       # local address and port ("8600" alone: 0.0.0.0;
 *                                      # port 0: any free one, printed at start)
 *         group: 239.1.1.1             # optional multicast group (joined on `interface`)
 *         interface: 127.0.0.1         # optional local interface address for the group
 *         sources: ["127.0.0.1"]       # sender addresses allowed for this sensor (required)
 *     outputs:
 *       cat062:                        # system tracks over UDP
 *         - to: "127.0.0.1:8700"
 *     system: {sac: 0, sic: 1}         # SAC/SIC written in CAT062 I062/010
 *     report_interval_s: 0.5           # classify and evaluate threats this often (data time);
 *                                      # default: half the shortest scan period
 *
 * A datagram is accepted only from a listed source address, and each of its records only
 * when its SAC/SIC are those of a sensor listed with that address (udp.h allow-list).
 * Every other key is an error naming its key path and line (yamldoc.h).
 *
 * Units: SI, seconds. No time is kept here.
 */
#ifndef LOOKOUT_SERVICE_H
#define LOOKOUT_SERVICE_H

#include <stdint.h>

#include "lookout/config.h"
#include "lookout/diag.h"
#include "lookout/udp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LO_SERVICE_MAX_INPUTS 16   /* the UDP receiver's limit on sockets */
#define LO_SERVICE_MAX_SOURCES 8   /* sender addresses per input */
#define LO_SERVICE_MAX_OUTPUTS 8

typedef struct lo_service_input {
    int sensor_index;                 /* into lo_site.sensors */
    lo_udp_listen listen;
    int n_sources;
    char sources[LO_SERVICE_MAX_SOURCES][64];
} lo_service_input;

typedef struct lo_service_config {
    int n_inputs;
    lo_service_input inputs[LO_SERVICE_MAX_INPUTS];
    int n_cat062;
    char cat062_to[LO_SERVICE_MAX_OUTPUTS][96];   /* "host:port" */
    uint8_t system_sac, system_sic;                /* default 0 / 1 */
    double report_interval_s;                      /* 0: the pipeline's default */
} lo_service_config;

/* Read `service` (inputs, outputs, system, report_interval_s; `http` is left to
 * lo_http_config_from_site) from the site's document. A site without the section gives an
 * empty configuration. Returns 0, or -1 after reporting every error through `sink`. */
int lo_service_config_from_site(const lo_site *site, lo_service_config *out, lo_diag_sink *sink);

/* Split "ADDR:PORT" or "PORT" into an IPv4 address text ("" when absent) and a port (1..65535,
 * or 0 when allow_zero). Returns 0, or -1 when malformed. */
int lo_service_parse_hostport(const char *text, char *addr, size_t addr_len, uint16_t *port,
                              int allow_zero);

/* The distinct sockets to open (inputs sharing address, port and group share one) and the
 * allow-list (one entry per input and source). Returns the number of listens written. */
int lo_service_listens(const lo_service_config *cfg, lo_udp_listen *listens, int max_listens);
int lo_service_allow_list(const lo_service_config *cfg, const lo_site *site, lo_udp_allow *allow,
                          int max_allow);

#ifdef __cplusplus
}
#endif
#endif
