/*
 * lookout/http.h: the HTTP + WebSocket server of the live service (display and read-only API).
 *
 * Owns a civetweb server that reads an lo_picture (picture.h) and serves:
 *   GET /                 the display (web/, embedded into the binary at build time)
 *   GET /api/tracks       live tracks with trails            (JSON)
 *   GET /api/alerts       kept alerts                        (JSON)
 *   GET /api/zones        site, sensors and zones            (JSON)
 *   GET /api/health       clock, status, counts, uptime      (JSON)
 *   GET /metrics          Prometheus text
 *   WS  /ws               pushes the picture at push_hz: the first message has everything
 *                         (site, zones, trails), later ones tracks without trails, alerts
 *                         and status (the display extends trails itself).
 * It never writes to the picture and owns no pipeline state.
 *
 * Security: the API is read-only (any method but GET/HEAD gets 405). Binding an address other
 * than loopback needs a token (at least LO_HTTP_TOKEN_MIN characters); when a token is set, every /api, /metrics and /ws request must
 * carry it ("Authorization: Bearer T", "X-Lookout-Token: T" or "?token=T"), compared in
 * constant time. Without a token (loopback only), the Host header must name a loopback host,
 * which defeats DNS rebinding, and a WebSocket's Origin, when sent, must match its Host.
 * Request size and timeouts are capped by civetweb options. No CORS headers are sent.
 *
 * Time: push_hz is wall-clock; the data clock comes from the picture.
 */
#ifndef LOOKOUT_HTTP_H
#define LOOKOUT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lookout/diag.h"
#include "lookout/picture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* More Prometheus text for /metrics from the owner (e.g. the NATS bus counters of a node),
 * snprintf style: writes at most len bytes into buf (NUL included) and returns the length of
 * the whole text, or < 0 on failure. Called on an HTTP worker thread: must be thread-safe. */
typedef int (*lo_http_metrics_fn)(void *ctx, char *buf, size_t len);

typedef struct lo_http_config {
    const char *bind_addr;  /* IPv4 address to listen on; default "127.0.0.1" */
    int port;               /* default 8080; 0 = any free port (see lo_http_port) */
    const char *token;      /* NULL or "" = none; required when bind_addr is not loopback */
    const char *web_root;   /* NULL = the embedded copy of web/; else serve those same file
                               names from this directory (for working on the display) */
    double push_hz;         /* WebSocket push rate, default 4 */
    int threads;            /* worker threads (each holds one connection), default 16 */
    lo_http_metrics_fn extra_metrics; /* NULL = none; appended to GET /metrics */
    void *extra_metrics_ctx;
} lo_http_config;

typedef struct lo_http_server lo_http_server;

/* Shortest token accepted: a guessable token is no protection. */
#define LO_HTTP_TOKEN_MIN 16
#define LO_HTTP_TOKEN_MAX 127

void lo_http_config_defaults(lo_http_config *cfg);

/* The `service.http` section of a site file (all keys optional; every other key is an error):
 *   service:
 *     http:
 *       bind: 0.0.0.0          # IPv4 address
 *       port: 8080
 *       token_file: token.txt  # first line is the token; relative to the site file
 *       push_hz: 4
 * `out->cfg` starts from the defaults and points into `out`'s buffers; command-line options
 * given by the user should be applied on top. Returns 0, or -1 after reporting every error
 * (key path and line) through `sink`. A site without the section gives the defaults. */
typedef struct lo_http_site_config {
    lo_http_config cfg;
    char bind[64];
    char token[LO_HTTP_TOKEN_MAX + 1];
} lo_http_site_config;
struct lo_site;
int lo_http_config_from_site(const struct lo_site *site, lo_http_site_config *out, lo_diag_sink *sink);

/* Read a token from the first line of a file (surrounding white space dropped). Returns 0, or
 * -1 with one line in `err` (unreadable, empty, shorter than LO_HTTP_TOKEN_MIN, too long). */
int lo_http_read_token_file(const char *path, char *token, size_t len, char *err, size_t errlen);

/* True for 127.0.0.0/8, "localhost" and "::1". */
bool lo_http_is_loopback(const char *addr);

/* Start serving `pic` (which must outlive the server). Returns NULL and writes one line into
 * `err` when the configuration is refused (non-loopback bind without a token, bad address)
 * or the port cannot be bound. */
lo_http_server *lo_http_start(const lo_http_config *cfg, lo_picture *pic, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int lo_http_port(const lo_http_server *srv);

/* The display's URL, "http://127.0.0.1:8080/" (with "?token=..." when a token is set). */
const char *lo_http_url(const lo_http_server *srv);

/* WebSocket clients connected now. */
int lo_http_ws_clients(lo_http_server *srv);

/* Stop: closes every connection, joins every thread, frees the server. NULL is fine. */
void lo_http_stop(lo_http_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_HTTP_H */
