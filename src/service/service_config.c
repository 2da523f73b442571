/* The `service:` section of a site file, except `service.http` (see lookout/service.h). */
#include "lookout/service.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"

static int valid_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

int lo_service_parse_hostport(const char *text, char *addr, size_t addr_len, uint16_t *port,
                              int allow_zero)
{
    const char *colon = strrchr(text, ':');
    const char *num = colon ? colon + 1 : text;
    if (colon) {
        size_t n = (size_t)(colon - text);
        if (n == 0 || n >= addr_len) return -1;
        memcpy(addr, text, n);
        addr[n] = '\0';
    } else if (addr_len) {
        addr[0] = '\0';
    }
    if (!*num) return -1;
    char *end;
    long v = strtol(num, &end, 10);
    if (*end || v < (allow_zero ? 0 : 1) || v > 65535) return -1;
    *port = (uint16_t)v;
    return 0;
}

static void read_input(lo_yctx *c, const lo_site *site, const lo_ynode *n, const char *path,
                       lo_service_config *out)
{
    static const char *const keys[] = {"sensor", "listen", "group", "interface", "sources", NULL};
    if (lo_ynode_kind(c->doc, n) != LO_Y_MAPPING) {
        lo_yerror(c, n, path, "expected a mapping (sensor, listen, group, interface, sources)");
        return;
    }
    lo_ycheck_keys(c, n, path, keys);
    lo_service_input in = {.sensor_index = -1};
    char name[LO_NAME_MAX] = "", listen[96] = "";
    if (lo_yget_string(c, n, path, "sensor", true, name, sizeof name) && name[0]) {
        for (int i = 0; i < site->n_sensors; i++)
            if (strcmp(site->sensors[i].name, name) == 0) in.sensor_index = i;
        if (in.sensor_index < 0)
            lo_yerror(c, lo_ymap_get(c->doc, n, "sensor"), path,
                      "sensor '%s' is not one of this file's sensors", name);
    }
    if (lo_yget_string(c, n, path, "listen", true, listen, sizeof listen) && listen[0]) {
        if (lo_service_parse_hostport(listen, in.listen.bind_addr, sizeof in.listen.bind_addr,
                                      &in.listen.port, 1) != 0 ||
            (in.listen.bind_addr[0] && !valid_ipv4(in.listen.bind_addr)))
            lo_yerror(c, lo_ymap_get(c->doc, n, "listen"), path,
                      "listen: expected \"IPv4:PORT\" or \"PORT\" (0..65535; 0: any free port), got '%s'", listen);
    }
    if (lo_yget_string(c, n, path, "group", false, in.listen.multicast_group,
                       sizeof in.listen.multicast_group) && in.listen.multicast_group[0]) {
        struct in_addr a;
        if (inet_pton(AF_INET, in.listen.multicast_group, &a) != 1 ||
            !IN_MULTICAST(ntohl(a.s_addr)))
            lo_yerror(c, lo_ymap_get(c->doc, n, "group"), path,
                      "group: '%s' is not an IPv4 multicast address", in.listen.multicast_group);
    }
    if (lo_yget_string(c, n, path, "interface", false, in.listen.multicast_if,
                       sizeof in.listen.multicast_if) && in.listen.multicast_if[0] &&
        !valid_ipv4(in.listen.multicast_if))
        lo_yerror(c, lo_ymap_get(c->doc, n, "interface"), path,
                  "interface: '%s' is not an IPv4 address", in.listen.multicast_if);
    const lo_ynode *src = lo_ymap_get(c->doc, n, "sources");
    char sp[160];
    lo_ypath_key(sp, sizeof sp, path, "sources");
    if (!src) {
        lo_yerror(c, n, path, "sources: the sender addresses allowed for this sensor are required");
    } else if (lo_ynode_kind(c->doc, src) != LO_Y_SEQUENCE || lo_yseq_size(c->doc, src) == 0) {
        lo_yerror(c, src, sp, "expected a list of IPv4 addresses");
    } else {
        for (size_t i = 0; i < lo_yseq_size(c->doc, src); i++) {
            const lo_ynode *a = lo_yseq_at(c->doc, src, i);
            const char *s = lo_ynode_scalar(c->doc, a);
            char ip[160];
            lo_ypath_index(ip, sizeof ip, sp, i);
            if (in.n_sources == LO_SERVICE_MAX_SOURCES) {
                lo_yerror(c, a, ip, "at most %d sources per input", LO_SERVICE_MAX_SOURCES);
                break;
            }
            if (!s || strlen(s) >= sizeof in.sources[0] || !valid_ipv4(s)) {
                lo_yerror(c, a, ip, "expected an IPv4 address");
                continue;
            }
            strcpy(in.sources[in.n_sources++], s);
        }
    }
    if (out->n_inputs == LO_SERVICE_MAX_INPUTS) {
        lo_yerror(c, n, path, "at most %d inputs", LO_SERVICE_MAX_INPUTS);
        return;
    }
    out->inputs[out->n_inputs++] = in;
}

static void read_outputs(lo_yctx *c, const lo_ynode *n, lo_service_config *out)
{
    static const char *const keys[] = {"cat062", NULL};
    if (lo_ynode_kind(c->doc, n) != LO_Y_MAPPING) {
        lo_yerror(c, n, "service.outputs", "expected a mapping (cat062)");
        return;
    }
    lo_ycheck_keys(c, n, "service.outputs", keys);
    const lo_ynode *list = lo_ymap_get(c->doc, n, "cat062");
    if (!list) return;
    if (lo_ynode_kind(c->doc, list) != LO_Y_SEQUENCE) {
        lo_yerror(c, list, "service.outputs.cat062", "expected a list of {to: \"HOST:PORT\"}");
        return;
    }
    static const char *const okeys[] = {"to", NULL};
    for (size_t i = 0; i < lo_yseq_size(c->doc, list); i++) {
        const lo_ynode *o = lo_yseq_at(c->doc, list, i);
        char p[96];
        lo_ypath_index(p, sizeof p, "service.outputs.cat062", i);
        if (lo_ynode_kind(c->doc, o) != LO_Y_MAPPING) {
            lo_yerror(c, o, p, "expected a mapping {to: \"HOST:PORT\"}");
            continue;
        }
        lo_ycheck_keys(c, o, p, okeys);
        if (out->n_cat062 == LO_SERVICE_MAX_OUTPUTS) {
            lo_yerror(c, o, p, "at most %d CAT062 destinations", LO_SERVICE_MAX_OUTPUTS);
            break;
        }
        char *to = out->cat062_to[out->n_cat062];
        if (!lo_yget_string(c, o, p, "to", true, to, sizeof out->cat062_to[0]) || !to[0]) continue;
        char host[64];
        uint16_t port;
        if (lo_service_parse_hostport(to, host, sizeof host, &port, 0) != 0 || !host[0]) {
            lo_yerror(c, lo_ymap_get(c->doc, o, "to"), p, "to: expected \"HOST:PORT\", got '%s'", to);
            continue;
        }
        out->n_cat062++;
    }
}

int lo_service_config_from_site(const lo_site *site, lo_service_config *out, lo_diag_sink *sink)
{
    memset(out, 0, sizeof *out);
    out->system_sic = 1;
    if (!site->doc) return 0;
    const lo_ynode *root = lo_ydoc_root(site->doc);
    const lo_ynode *svc = root ? lo_ymap_get(site->doc, root, "service") : NULL;
    if (!svc) return 0;
    lo_yctx c = {.doc = site->doc, .sink = sink};
    if (lo_ynode_kind(site->doc, svc) != LO_Y_MAPPING) {
        lo_yerror(&c, svc, "service", "expected a mapping (http, inputs, outputs, system, "
                  "report_interval_s)");
        return -1;
    }
    static const char *const keys[] = {"http", "inputs", "outputs", "system", "report_interval_s",
                                       NULL};
    lo_ycheck_keys(&c, svc, "service", keys);
    const lo_ynode *inputs = lo_ymap_get(site->doc, svc, "inputs");
    if (inputs) {
        if (lo_ynode_kind(site->doc, inputs) != LO_Y_SEQUENCE) {
            lo_yerror(&c, inputs, "service.inputs", "expected a list of inputs");
        } else {
            for (size_t i = 0; i < lo_yseq_size(site->doc, inputs); i++) {
                char p[64];
                lo_ypath_index(p, sizeof p, "service.inputs", i);
                read_input(&c, site, lo_yseq_at(site->doc, inputs, i), p, out);
            }
        }
    }
    const lo_ynode *outputs = lo_ymap_get(site->doc, svc, "outputs");
    if (outputs) read_outputs(&c, outputs, out);
    const lo_ynode *sys = lo_ymap_get(site->doc, svc, "system");
    if (sys) {
        static const char *const skeys[] = {"sac", "sic", NULL};
        if (lo_ynode_kind(site->doc, sys) != LO_Y_MAPPING) {
            lo_yerror(&c, sys, "service.system", "expected a mapping {sac: N, sic: N}");
        } else {
            lo_ycheck_keys(&c, sys, "service.system", skeys);
            long sac = out->system_sac, sic = out->system_sic;
            if (lo_yget_int(&c, sys, "service.system", "sac", false, 0, 255, &sac)) out->system_sac = (uint8_t)sac;
            if (lo_yget_int(&c, sys, "service.system", "sic", false, 0, 255, &sic)) out->system_sic = (uint8_t)sic;
        }
    }
    lo_yget_double(&c, svc, "service", "report_interval_s", false, 0.001, 60,
                   &out->report_interval_s);
    return c.errors ? -1 : 0;
}

int lo_service_listens(const lo_service_config *cfg, lo_udp_listen *listens, int max_listens)
{
    int n = 0;
    for (int i = 0; i < cfg->n_inputs; i++) {
        const lo_udp_listen *l = &cfg->inputs[i].listen;
        bool seen = false;
        for (int j = 0; j < n && !seen; j++)
            seen = listens[j].port == l->port && strcmp(listens[j].bind_addr, l->bind_addr) == 0 &&
                   strcmp(listens[j].multicast_group, l->multicast_group) == 0;
        if (!seen && n < max_listens) listens[n++] = *l;
    }
    return n;
}

int lo_service_allow_list(const lo_service_config *cfg, const lo_site *site, lo_udp_allow *allow,
                          int max_allow)
{
    int n = 0;
    for (int i = 0; i < cfg->n_inputs; i++) {
        const lo_service_input *in = &cfg->inputs[i];
        if (in->sensor_index < 0 || in->sensor_index >= site->n_sensors) continue;
        const lo_sensor *s = &site->sensors[in->sensor_index];
        for (int k = 0; k < in->n_sources && n < max_allow; k++) {
            allow[n].sac = s->sac;
            allow[n].sic = s->sic;
            snprintf(allow[n].address, sizeof allow[n].address, "%s", in->sources[k]);
            n++;
        }
    }
    return n;
}
