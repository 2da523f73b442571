/*
 * bus_config.c: the `nats:` section of the site YAML (docs/nats.md lists every key).
 *
 * Read with the yamldoc getters so that a bad key is reported like every other section's:
 * file, line, column and key path ("nats.servers[1]"), all errors at once, then refused.
 * Defaults live in lo_bus_config_defaults and nowhere else.
 */
#include <stdio.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/bus.h"
#include "lookout/config.h"

void lo_bus_config_defaults(lo_bus_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->node, sizeof c->node, "node");
    snprintf(c->site, sizeof c->site, "site");
    c->role = LO_BUS_ROLE_EDGE;
    c->plot_buffer = 10000;
    c->track_buffer = 2000;
    c->buffer_mb = 64.0;
    c->reconnect_wait_s = 0.5;
    c->connect_timeout_s = 2.0;
    c->alert_ack_timeout_s = 2.0;
    c->alert_replicas = 3;
    c->alert_max_age_s = 7 * 86400.0;
    c->alert_dedup_window_s = 86400.0;
    c->plot_window_s = 600.0;
    c->plot_stream_mb = 1024.0;
    c->health_interval_s = 1.0;
}

static const char *const nats_keys[] = {
    "servers",          "node",            "site",
    "role",             "plot_buffer",     "track_buffer",
    "buffer_mb",        "reconnect_wait_s", "connect_timeout_s",
    "alert_ack_timeout_s", "alert_replicas", "alert_max_age_s",
    "alert_dedup_window_s", "plot_window_s", "plot_stream_mb",
    "alert_spool",      "health_interval_s", NULL,
};
static const char *const role_names[] = {"edge", "fusion", "display", NULL};

static bool url_ok(const char *u)
{
    if (strncmp(u, "nats://", 7) != 0 && strncmp(u, "tls://", 6) != 0)
        return false;
    for (const char *p = u; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == ',')
            return false;
    return strlen(u) > 7;
}

static void read_servers(lo_yctx *c, const lo_ynode *map, lo_bus_config *out)
{
    const lo_ydoc *d = c->doc;
    const lo_ynode *list = lo_ymap_get(d, map, "servers");
    if (!list) {
        lo_yerror(c, map, "nats.servers", "required: a list of server URLs (nats://host:port)");
        return;
    }
    if (lo_ynode_kind(d, list) != LO_Y_SEQUENCE) {
        lo_yerror(c, list, "nats.servers", "expected a list of server URLs (nats://host:port)");
        return;
    }
    size_t n = lo_yseq_size(d, list);
    if (n == 0)
        lo_yerror(c, list, "nats.servers", "at least one server URL is needed");
    if (n > LO_BUS_MAX_SERVERS) {
        lo_yerror(c, list, "nats.servers", "at most %d servers", LO_BUS_MAX_SERVERS);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[64];
        lo_ypath_index(path, sizeof path, "nats.servers", i);
        const lo_ynode *item = lo_yseq_at(d, list, i);
        const char *s = lo_ynode_scalar(d, item);
        if (!s || !url_ok(s)) {
            lo_yerror(c, item, path, "expected a URL like nats://127.0.0.1:4222");
            continue;
        }
        if (strlen(s) >= LO_BUS_URL_MAX) {
            lo_yerror(c, item, path, "URL longer than %d characters", LO_BUS_URL_MAX - 1);
            continue;
        }
        memcpy(out->servers[out->n_servers++], s, strlen(s) + 1);
    }
}

int lo_bus_config_read(const lo_site *site, lo_bus_config *out, lo_diag_sink *sink)
{
    lo_bus_config_defaults(out);
    if (site && site->name[0]) {
        lo_bus_token(site->name, out->site, sizeof out->site);
        lo_bus_token(site->name, out->node, sizeof out->node);
    }
    if (!site || !site->doc)
        return 0;
    const lo_ydoc *d = site->doc;
    const lo_ynode *root = lo_ydoc_root(d);
    const lo_ynode *map = root ? lo_ymap_get(d, root, "nats") : NULL;
    if (!map)
        return 0;
    lo_yctx c = {.doc = d, .sink = sink, .errors = 0};
    if (lo_ynode_kind(d, map) != LO_Y_MAPPING) {
        lo_yerror(&c, map, "nats", "expected a mapping (servers:, node:, role:, ...)");
        return -1;
    }
    out->present = true;
    lo_ycheck_keys(&c, map, "nats", nats_keys);
    read_servers(&c, map, out);

    char name[LO_NAME_MAX];
    snprintf(name, sizeof name, "%s", out->node);
    if (lo_yget_string(&c, map, "nats", "node", false, name, sizeof name))
        lo_bus_token(name, out->node, sizeof out->node);
    snprintf(name, sizeof name, "%s", out->site);
    if (lo_yget_string(&c, map, "nats", "site", false, name, sizeof name))
        lo_bus_token(name, out->site, sizeof out->site);
    int role = (int)out->role;
    if (lo_yget_enum(&c, map, "nats", "role", false, role_names, &role))
        out->role = (lo_bus_role)role;

    lo_yget_int(&c, map, "nats", "plot_buffer", false, 1, 100000000, &out->plot_buffer);
    lo_yget_int(&c, map, "nats", "track_buffer", false, 1, 100000000, &out->track_buffer);
    long replicas = out->alert_replicas;
    if (lo_yget_int(&c, map, "nats", "alert_replicas", false, 1, 5, &replicas))
        out->alert_replicas = (int)replicas;
    lo_yget_double(&c, map, "nats", "buffer_mb", false, 0.001, 65536, &out->buffer_mb);
    lo_yget_double(&c, map, "nats", "reconnect_wait_s", false, 0.01, 600,
                   &out->reconnect_wait_s);
    lo_yget_double(&c, map, "nats", "connect_timeout_s", false, 0.05, 600,
                   &out->connect_timeout_s);
    lo_yget_double(&c, map, "nats", "alert_ack_timeout_s", false, 0.05, 600,
                   &out->alert_ack_timeout_s);
    lo_yget_double(&c, map, "nats", "alert_max_age_s", false, 60, 1e10, &out->alert_max_age_s);
    lo_yget_double(&c, map, "nats", "alert_dedup_window_s", false, 1, 1e10,
                   &out->alert_dedup_window_s);
    lo_yget_double(&c, map, "nats", "plot_window_s", false, 0, 1e10, &out->plot_window_s);
    lo_yget_double(&c, map, "nats", "plot_stream_mb", false, 1, 1e7, &out->plot_stream_mb);
    lo_yget_double(&c, map, "nats", "health_interval_s", false, 0, 3600,
                   &out->health_interval_s);
    lo_yget_string(&c, map, "nats", "alert_spool", false, out->alert_spool,
                   sizeof out->alert_spool);

    /* JetStream refuses a duplicate window longer than the stream keeps messages. */
    if (out->alert_dedup_window_s > out->alert_max_age_s) {
        const lo_ynode *at = lo_ymap_get(d, map, "alert_dedup_window_s");
        lo_yerror(&c, at ? at : map, "nats.alert_dedup_window_s",
                  "%g s is longer than alert_max_age_s (%g s)", out->alert_dedup_window_s,
                  out->alert_max_age_s);
    }
    return c.errors ? -1 : 0;
}
