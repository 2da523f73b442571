/*
 * http.c: the live service's HTTP + WebSocket server on civetweb (see lookout/http.h).
 *
 * Threads: civetweb runs a pool of worker threads, one per open connection; each HTTP request
 * builds its answer from the picture (copied under the picture's lock, formatted outside it).
 * A WebSocket client holds its worker for its whole life. One "pusher" thread of ours wakes
 * push_hz times a second, builds the update message once, and hands it to every WebSocket
 * client's own sender thread, which writes it; a client that just connected gets the full
 * picture (site, zones, trails) first. A display that stops reading blocks only its sender.
 * The pusher and the senders run at a lower priority (nice +5) than the pipeline thread.
 *
 * Lifetime of a WebSocket client: added in the ready handler, removed in the close handler,
 * which also joins its sender before returning, so no write ever reaches a connection that
 * civetweb has released.
 */
#include "lookout/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "common/yamldoc.h"
#include "lookout/config.h"
#include "serve/web_assets.h"

#define TOKEN_MAX (LO_HTTP_TOKEN_MAX + 1)
#define FILE_MAX (4u << 20) /* a web_root file larger than this is refused */
/* Niceness added to the display's threads (pusher, senders): building a 10,000-track message
 * takes tens of ms of CPU, and on a busy machine the pipeline thread, which wakes for every
 * datagram, should win the core from them; it is then preferred about 3:1 (nice 5). */
#define DISPLAY_NICE 5

/* A message shared by every client it goes to; the last to finish with it frees it. */
typedef struct ws_msg {
    atomic_int refs;
    bool full;
    size_t len;
    char *text;
} ws_msg;

/* One WebSocket display. Its own sender thread writes to it, so a display that stops reading
 * holds up only itself; it is handed only the newest message (older unsent ones are dropped,
 * except that a pending full picture is never replaced by an update). */
typedef struct ws_client {
    struct lo_http_server *srv;
    struct mg_connection *conn;
    bool need_full;          /* guarded by srv->ws_lock: the pusher still owes it a full one */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;    /* guards the fields below */
    pthread_cond_t wake;
    ws_msg *pending;
    bool stop;
    bool dead;               /* a write failed: nothing more is written */
    struct ws_client *next;
} ws_client;

struct lo_http_server {
    struct mg_context *ctx;
    lo_picture *pic;
    char token[TOKEN_MAX];
    bool has_token;
    int port;
    char url[640];
    char *web_root;
    double push_hz;
    double started; /* CLOCK_MONOTONIC seconds */
    lo_http_metrics_fn extra_metrics;
    void *extra_metrics_ctx;

    pthread_mutex_t ws_lock;
    ws_client *clients;
    /* Counters read without ws_lock, so /metrics never waits behind a slow WebSocket write. */
    atomic_int n_clients;
    atomic_ullong ws_messages; /* messages written */

    pthread_t pusher;
    bool pusher_running;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void lo_http_config_defaults(lo_http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind_addr = "127.0.0.1";
    cfg->port = 8080;
    cfg->push_hz = 4.0;
    cfg->threads = 16;
}

bool lo_http_is_loopback(const char *addr)
{
    if (!addr) return false;
    if (!strcmp(addr, "localhost") || !strcmp(addr, "::1") || !strcmp(addr, "[::1]")) return true;
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1) return false;
    return (ntohl(a.s_addr) >> 24) == 127;
}

/* ---- request checks ----------------------------------------------------------------------- */

/* Constant-time comparison: the time taken does not tell how much of a guess was right. */
static bool token_equal(const char *given, const char *want)
{
    size_t lg = strlen(given), lw = strlen(want);
    unsigned diff = (unsigned)(lg ^ lw);
    for (size_t i = 0; i < lw; i++) diff |= (unsigned char)want[i] ^ (unsigned char)(i < lg ? given[i] : 0);
    return diff == 0;
}

/* The host part of a Host header or an Origin's authority: "[::1]:8080" -> "::1". */
static void host_part(const char *hostport, char *out, size_t len)
{
    const char *s = hostport;
    size_t n;
    if (*s == '[') {
        s++;
        const char *end = strchr(s, ']');
        n = end ? (size_t)(end - s) : strlen(s);
    } else {
        const char *colon = strchr(s, ':');
        n = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (n >= len) n = len - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

/* 0 when the request may read the API, else the HTTP status to refuse it with. */
static int check_access(const lo_http_server *srv, const struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (srv->has_token) {
        char given[TOKEN_MAX + 1] = "";
        const char *auth = mg_get_header(conn, "Authorization");
        const char *hdr = mg_get_header(conn, "X-Lookout-Token");
        if (auth && !strncmp(auth, "Bearer ", 7))
            snprintf(given, sizeof given, "%s", auth + 7);
        else if (hdr)
            snprintf(given, sizeof given, "%s", hdr);
        else if (ri->query_string)
            if (mg_get_var(ri->query_string, strlen(ri->query_string), "token", given, sizeof given) < 0)
                given[0] = 0;
        return given[0] && token_equal(given, srv->token) ? 0 : 401;
    }
    /* No token: loopback only. A page from elsewhere that resolves its own name to 127.0.0.1
     * (DNS rebinding) sends its own name as Host; refuse it. */
    const char *host = mg_get_header(conn, "Host");
    if (host) {
        char h[256];
        host_part(host, h, sizeof h);
        if (!lo_http_is_loopback(h)) return 403;
    }
    return 0;
}

/* ---- responses ---------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    default: return "Error";
    }
}

static int send_body(struct mg_connection *conn, int status, const char *type, const void *body,
                     size_t len, const char *extra_headers)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\n"
              "Content-Type: %s\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "X-Content-Type-Options: nosniff\r\n"
              "X-Frame-Options: DENY\r\n"
              "Referrer-Policy: no-referrer\r\n"
              "%s"
              "Connection: close\r\n\r\n",
              status, reason_phrase(status), type, len, extra_headers ? extra_headers : "");
    if (strcmp(ri->request_method, "HEAD") != 0 && len > 0) mg_write(conn, body, len);
    return status;
}

static int send_text(struct mg_connection *conn, int status, const char *text)
{
    return send_body(conn, status, "text/plain; charset=utf-8", text, strlen(text),
                     status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

static int send_json(struct mg_connection *conn, json_t *j)
{
    if (!j) return send_text(conn, 500, "out of memory\n");
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!s) return send_text(conn, 500, "out of memory\n");
    int rc = send_body(conn, 200, "application/json", s, strlen(s), NULL);
    free(s);
    return rc;
}

static int send_picture(struct mg_connection *conn, lo_picture *pic, unsigned parts)
{
    size_t len;
    char *s = lo_picture_json_text(pic, parts, NULL, &len);
    if (!s) return send_text(conn, 500, "out of memory\n");
    int rc = send_body(conn, 200, "application/json", s, len, NULL);
    free(s);
    return rc;
}

static const char *mime_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".ico")) return "image/x-icon";
    if (!strcmp(dot, ".json")) return "application/json";
    return "application/octet-stream";
}

/* The display may load only itself: no script, style or connection elsewhere. */
#define STATIC_HEADERS                                                                           \
    "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' " \
    "data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'\r\n"

static int serve_static(lo_http_server *srv, struct mg_connection *conn, const char *uri)
{
    if (!strcmp(uri, "/")) uri = "/index.html";
    const lo_web_asset *asset = NULL;
    for (size_t i = 0; i < lo_web_asset_count; i++)
        if (!strcmp(lo_web_assets[i].path, uri)) asset = &lo_web_assets[i];
    /* Only the names of the embedded files are served, from web_root too: no path is ever
     * built from the request beyond those names. */
    if (!asset) return send_text(conn, 404, "not found\n");
    if (srv->web_root) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", srv->web_root, asset->path);
        FILE *f = fopen(path, "rb");
        if (f) {
            char *buf = malloc(FILE_MAX);
            size_t n = buf ? fread(buf, 1, FILE_MAX, f) : 0;
            fclose(f);
            int rc = buf ? send_body(conn, 200, mime_type(uri), buf, n, STATIC_HEADERS)
                         : send_text(conn, 500, "out of memory\n");
            free(buf);
            return rc;
        }
        /* Fall back to the embedded copy. */
    }
    return send_body(conn, 200, mime_type(uri), asset->data, asset->size, STATIC_HEADERS);
}

static json_t *health_json(lo_http_server *srv)
{
    json_t *j = lo_picture_json(srv->pic, LO_PIC_STATUS);
    if (!j) return NULL;
    json_object_set_new(j, "ok", json_true());
    json_object_set_new(j, "uptime_s", json_real(round((now_mono() - srv->started) * 10) / 10));
    json_object_set_new(j, "ws_clients", json_integer(lo_http_ws_clients(srv)));
    return j;
}

/* The server's own /metrics lines, followed by the owner's (lo_http_config.extra_metrics):
 * `own` itself when there is no owner text, else a malloc'ed copy; NULL when out of memory. */
static char *append_owner_metrics(lo_http_server *srv, char *own)
{
    if (!srv->extra_metrics) return own;
    size_t n_own = strlen(own);
    int need = srv->extra_metrics(srv->extra_metrics_ctx, NULL, 0);
    for (int attempt = 0; need > 0 && attempt < 3; attempt++) {
        char *buf = malloc(n_own + (size_t)need + 1);
        if (!buf) return NULL;
        memcpy(buf, own, n_own);
        int got = srv->extra_metrics(srv->extra_metrics_ctx, buf + n_own, (size_t)need + 1);
        if (got >= 0 && got <= need) return buf;
        free(buf);
        need = got; /* the text grew meanwhile (a counter gained a digit): again */
    }
    return own;
}

static int handle_request(struct mg_connection *conn, void *cbdata)
{
    lo_http_server *srv = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *uri = ri->local_uri ? ri->local_uri : "/";

    if (strcmp(ri->request_method, "GET") != 0 && strcmp(ri->request_method, "HEAD") != 0)
        return send_text(conn, 405, "read-only: only GET and HEAD\n");

    bool api = !strncmp(uri, "/api/", 5) || !strcmp(uri, "/metrics");
    if (!api) return serve_static(srv, conn, uri);

    int refuse = check_access(srv, conn);
    if (refuse) return send_text(conn, refuse, refuse == 401 ? "token required\n" : "host not allowed\n");

    if (!strcmp(uri, "/api/tracks")) {
        unsigned parts = LO_PIC_TRACKS | LO_PIC_STATUS | LO_PIC_TRAILS;
        char v[8];
        if (ri->query_string && mg_get_var(ri->query_string, strlen(ri->query_string), "trail", v, sizeof v) > 0 &&
            !strcmp(v, "0"))
            parts &= ~(unsigned)LO_PIC_TRAILS;
        return send_picture(conn, srv->pic, parts);
    }
    if (!strcmp(uri, "/api/alerts")) return send_picture(conn, srv->pic, LO_PIC_ALERTS | LO_PIC_STATUS);
    if (!strcmp(uri, "/api/zones")) return send_picture(conn, srv->pic, LO_PIC_SITE);
    if (!strcmp(uri, "/api/health")) return send_json(conn, health_json(srv));
    if (!strcmp(uri, "/metrics")) {
        char extra[512];
        int clients = atomic_load(&srv->n_clients);
        unsigned long long msgs = atomic_load(&srv->ws_messages);
        snprintf(extra, sizeof extra,
                 "# HELP lookout_websocket_clients Display clients connected.\n"
                 "# TYPE lookout_websocket_clients gauge\n"
                 "lookout_websocket_clients %d\n"
                 "# HELP lookout_websocket_messages_total Picture messages pushed to clients.\n"
                 "# TYPE lookout_websocket_messages_total counter\n"
                 "lookout_websocket_messages_total %llu\n"
                 "# HELP lookout_uptime_seconds Seconds since the server started.\n"
                 "# TYPE lookout_uptime_seconds gauge\n"
                 "lookout_uptime_seconds %.1f\n",
                 clients, msgs, now_mono() - srv->started);
        char *owner = append_owner_metrics(srv, extra);
        char *text = owner ? lo_picture_metrics_text(srv->pic, owner) : NULL;
        if (owner != extra) free(owner);
        if (!text) return send_text(conn, 500, "out of memory\n");
        int rc = send_body(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), NULL);
        free(text);
        return rc;
    }
    return send_text(conn, 404, "not found\n");
}

/* ---- WebSocket ---------------------------------------------------------------------------- */

static int ws_connect(const struct mg_connection *conn, void *cbdata)
{
    lo_http_server *srv = cbdata;
    if (check_access(srv, conn) != 0) return 1;
    /* A browser sends Origin: a page of another site must not read the picture through the
     * operator's browser (cross-site WebSocket hijacking). */
    const char *origin = mg_get_header(conn, "Origin");
    const char *host = mg_get_header(conn, "Host");
    if (origin) {
        const char *auth = strstr(origin, "://");
        if (!auth || !host) return 1;
        auth += 3;
        if (strcmp(auth, host) != 0) return 1;
    }
    return 0;
}

static void msg_unref(ws_msg *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
        free(m->text);
        free(m);
    }
}

/* This thread (Linux: a thread has its own nice value) yields to the pipeline. */
static void lower_priority(void)
{
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (errno == 0) setpriority(PRIO_PROCESS, tid, now + DISPLAY_NICE);
}

static void *client_main(void *arg)
{
    ws_client *c = arg;
    lower_priority();
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->stop) pthread_cond_wait(&c->wake, &c->lock);
        if (c->stop) break;
        ws_msg *m = c->pending;
        c->pending = NULL;
        bool dead = c->dead;
        pthread_mutex_unlock(&c->lock);
        /* A display that stopped reading blocks here until civetweb's write timeout; then it
         * is written to no more, until it goes. */
        if (!dead && mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, m->text, m->len) > 0)
            atomic_fetch_add(&c->srv->ws_messages, 1);
        else
            dead = true;
        msg_unref(m);
        pthread_mutex_lock(&c->lock);
        c->dead = dead;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Hand `m` to the client's sender (called with ws_lock held). */
static void client_post(ws_client *c, ws_msg *m)
{
    pthread_mutex_lock(&c->lock);
    if (!(c->pending && c->pending->full && !m->full)) {
        msg_unref(c->pending);
        atomic_fetch_add(&m->refs, 1);
        c->pending = m;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
}

/* Stop the sender and free the client (not in the list any more). */
static void client_free(ws_client *c)
{
    if (c->thread_started) {
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    msg_unref(c->pending);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void ws_ready(struct mg_connection *conn, void *cbdata)
{
    lo_http_server *srv = cbdata;
    ws_client *c = calloc(1, sizeof *c);
    if (!c) return;
    c->srv = srv;
    c->conn = conn;
    c->need_full = true;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, client_main, c) != 0) {
        client_free(c); /* the display gets nothing; it reconnects */
        return;
    }
    c->thread_started = true;
    pthread_mutex_lock(&srv->ws_lock);
    c->next = srv->clients;
    srv->clients = c;
    atomic_fetch_add(&srv->n_clients, 1);
    pthread_mutex_unlock(&srv->ws_lock);
    /* Wake the pusher so a new display fills at once, not at the next tick. */
    pthread_mutex_lock(&srv->stop_lock);
    pthread_cond_signal(&srv->stop_cond);
    pthread_mutex_unlock(&srv->stop_lock);
}

static int ws_data(struct mg_connection *conn, int opcode, char *data, size_t len, void *cbdata)
{
    /* The display sends nothing we act on: the API is read-only. Keep the connection open
     * unless the client closes it. */
    (void)conn;
    (void)data;
    (void)len;
    (void)cbdata;
    return (opcode & 0xf) == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE ? 0 : 1;
}

static void ws_close(const struct mg_connection *conn, void *cbdata)
{
    lo_http_server *srv = cbdata;
    ws_client *gone = NULL;
    pthread_mutex_lock(&srv->ws_lock);
    for (ws_client **p = &srv->clients; *p; p = &(*p)->next)
        if ((*p)->conn == conn) {
            gone = *p;
            *p = gone->next;
            atomic_fetch_sub(&srv->n_clients, 1);
            break;
        }
    pthread_mutex_unlock(&srv->ws_lock);
    /* Joins the sender: civetweb frees the connection only after this returns. */
    if (gone) client_free(gone);
}

int lo_http_ws_clients(lo_http_server *srv) { return atomic_load(&srv->n_clients); }

static ws_msg *build_message(lo_http_server *srv, bool full)
{
    unsigned parts = full ? LO_PIC_ALL : (LO_PIC_TRACKS | LO_PIC_ALERTS | LO_PIC_STATUS);
    ws_msg *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->text = lo_picture_json_text(srv->pic, parts, full ? "full" : "update", &m->len);
    if (!m->text) {
        free(m);
        return NULL;
    }
    m->full = full;
    atomic_init(&m->refs, 1); /* the pusher's own reference */
    return m;
}

static void *pusher_main(void *arg)
{
    lo_http_server *srv = arg;
    lower_priority();
    const double period = 1.0 / srv->push_hz;
    const double heartbeat_s = 2.0; /* resend an unchanged picture this often */
    uint64_t sent_version = UINT64_MAX;
    double last_send = 0;
    double build_s = 0; /* how long the last messages took to build */

    pthread_mutex_lock(&srv->stop_lock);
    while (!srv->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        /* At 10,000 tracks a message takes tens of ms to build: never spend more than a third
         * of a core on it, whatever push_hz asks. */
        double frac = until.tv_nsec * 1e-9 + fmax(period, 2.0 * build_s);
        until.tv_sec += (time_t)floor(frac);
        until.tv_nsec = (long)((frac - floor(frac)) * 1e9);
        pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &until);
        if (srv->stopping) break;
        pthread_mutex_unlock(&srv->stop_lock);

        lo_picture_stats st;
        lo_picture_get_stats(srv->pic, &st);
        bool any_full = false, any = false;
        pthread_mutex_lock(&srv->ws_lock);
        for (ws_client *c = srv->clients; c; c = c->next) {
            any = true;
            any_full |= c->need_full;
        }
        pthread_mutex_unlock(&srv->ws_lock);

        double now = now_mono();
        bool changed = st.version != sent_version || now - last_send >= heartbeat_s;
        ws_msg *update = any && changed ? build_message(srv, false) : NULL;
        ws_msg *full = any_full ? build_message(srv, true) : NULL;
        build_s = now_mono() - now;

        if (update || full) {
            pthread_mutex_lock(&srv->ws_lock);
            for (ws_client *c = srv->clients; c; c = c->next) {
                ws_msg *msg = c->need_full ? full : update;
                if (!msg) continue;
                client_post(c, msg);
                if (msg == full) c->need_full = false;
            }
            pthread_mutex_unlock(&srv->ws_lock);
            if (update) {
                sent_version = st.version;
                last_send = now;
            }
        }
        msg_unref(update);
        msg_unref(full);
        pthread_mutex_lock(&srv->stop_lock);
    }
    pthread_mutex_unlock(&srv->stop_lock);
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    /* civetweb's own complaints (bad requests, timeouts) are the client's problem; show them
     * only when asked, so a noisy client cannot flood the operator's terminal. */
    if (getenv("LOOKOUT_HTTP_DEBUG")) fprintf(stderr, "lookout http: %s\n", message);
    return 1;
}

/* An ephemeral port the kernel says is free now (for port 0). */
static int pick_free_port(const char *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = -1;
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static void init_library(void) { mg_init_library(0); }

lo_http_server *lo_http_start(const lo_http_config *cfg_in, lo_picture *pic, char *err, size_t errlen)
{
    lo_http_config cfg;
    lo_http_config_defaults(&cfg);
    if (cfg_in) cfg = *cfg_in;
    if (!cfg.bind_addr || !*cfg.bind_addr) cfg.bind_addr = "127.0.0.1";
    if (!strcmp(cfg.bind_addr, "localhost")) cfg.bind_addr = "127.0.0.1";
    if (!(cfg.push_hz > 0 && cfg.push_hz <= 50)) cfg.push_hz = 4.0;
    if (cfg.threads < 4) cfg.threads = 4;
    bool has_token = cfg.token && *cfg.token;

    struct in_addr probe;
    if (inet_pton(AF_INET, cfg.bind_addr, &probe) != 1) {
        snprintf(err, errlen, "bind address '%s' is not an IPv4 address", cfg.bind_addr);
        return NULL;
    }
    if (!lo_http_is_loopback(cfg.bind_addr) && !has_token) {
        snprintf(err, errlen,
                 "refusing to bind %s without a token: the picture would be open to the network "
                 "(set a token, or bind 127.0.0.1)",
                 cfg.bind_addr);
        return NULL;
    }
    if (has_token && strlen(cfg.token) > LO_HTTP_TOKEN_MAX) {
        snprintf(err, errlen, "token longer than %d characters", LO_HTTP_TOKEN_MAX);
        return NULL;
    }
    if (has_token && strlen(cfg.token) < LO_HTTP_TOKEN_MIN) {
        snprintf(err, errlen, "token shorter than %d characters: too easy to guess", LO_HTTP_TOKEN_MIN);
        return NULL;
    }
    for (const char *p = has_token ? cfg.token : ""; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
            snprintf(err, errlen, "token has a space or control character: printable ASCII only");
            return NULL;
        }
    if (cfg.port < 0 || cfg.port > 65535) {
        snprintf(err, errlen, "port %d out of range", cfg.port);
        return NULL;
    }

    lo_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&srv->n_clients, 0);
    atomic_init(&srv->ws_messages, 0);
    srv->pic = pic;
    srv->has_token = has_token;
    if (has_token) snprintf(srv->token, sizeof srv->token, "%s", cfg.token);
    srv->push_hz = cfg.push_hz;
    srv->web_root = cfg.web_root ? strdup(cfg.web_root) : NULL;
    srv->started = now_mono();
    srv->extra_metrics = cfg.extra_metrics;
    srv->extra_metrics_ctx = cfg.extra_metrics_ctx;
    pthread_mutex_init(&srv->ws_lock, NULL);
    pthread_mutex_init(&srv->stop_lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);
    pthread_once(&library_once, init_library);

    struct mg_callbacks callbacks;
    memset(&callbacks, 0, sizeof callbacks);
    callbacks.log_message = log_message;

    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg.threads);
    char cerr[256] = "";
    /* Port 0: ask the kernel for a free port; another process may take it before civetweb
     * binds it, so try a few times. */
    for (int attempt = 0; attempt < (cfg.port == 0 ? 5 : 1) && !srv->ctx; attempt++) {
        int port = cfg.port ? cfg.port : pick_free_port(cfg.bind_addr);
        if (port <= 0) continue;
        char ports[96];
        snprintf(ports, sizeof ports, "%s:%d", cfg.bind_addr, port);
        const char *options[] = {
            "listening_ports", ports,
            "num_threads", threads,
            "request_timeout_ms", "10000",
            "websocket_timeout_ms", "3600000",
            "max_request_size", "8192",      /* request line + headers */
            "enable_keep_alive", "no",
            "enable_directory_listing", "no",
            "access_control_allow_origin", "",
            "access_control_allow_methods", "",
            "access_control_allow_headers", "",
            NULL, NULL,
        };
        struct mg_init_data init = {.callbacks = &callbacks, .user_data = srv, .configuration_options = options};
        struct mg_error_data errd = {.code = NULL, .text = cerr, .text_buffer_size = sizeof cerr};
        srv->ctx = mg_start2(&init, &errd);
        if (srv->ctx) srv->port = port;
    }
    if (!srv->ctx) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg.bind_addr, cfg.port,
                 cerr[0] ? cerr : "unknown error");
        lo_http_stop(srv);
        return NULL;
    }
    mg_set_request_handler(srv->ctx, "/", handle_request, srv);
    mg_set_websocket_handler(srv->ctx, "/ws", ws_connect, ws_ready, ws_data, ws_close, srv);

    const char *shown = cfg.bind_addr;
    if (has_token) {
        /* The token goes into the URL the operator is given; the page keeps it. */
        char enc[3 * TOKEN_MAX + 1];
        mg_url_encode(srv->token, enc, sizeof enc);
        snprintf(srv->url, sizeof srv->url, "http://%s:%d/?token=%s", shown, srv->port, enc);
    } else {
        snprintf(srv->url, sizeof srv->url, "http://%s:%d/", shown, srv->port);
    }

    if (pthread_create(&srv->pusher, NULL, pusher_main, srv) != 0) {
        snprintf(err, errlen, "cannot start the WebSocket pusher thread: %s", strerror(errno));
        lo_http_stop(srv);
        return NULL;
    }
    srv->pusher_running = true;
    return srv;
}

int lo_http_read_token_file(const char *path, char *token, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[512] = "";
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    char *b = line, *e = line + strlen(line);
    while (*b == ' ' || *b == '\t') b++;
    while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t n = (size_t)(e - b);
    if (n < LO_HTTP_TOKEN_MIN || n > LO_HTTP_TOKEN_MAX || n >= len) {
        snprintf(err, errlen, "token file %s: the first line must hold a token of %d to %d characters",
                 path, LO_HTTP_TOKEN_MIN, LO_HTTP_TOKEN_MAX);
        return -1;
    }
    memcpy(token, b, n);
    token[n] = 0;
    return 0;
}

int lo_http_config_from_site(const lo_site *site, lo_http_site_config *out, lo_diag_sink *sink)
{
    memset(out, 0, sizeof *out);
    lo_http_config_defaults(&out->cfg);
    if (!site || !site->doc) return 0;
    lo_yctx c = {.doc = site->doc, .sink = sink, .errors = 0};
    const lo_ynode *root = lo_ydoc_root(site->doc);
    const lo_ynode *service = root ? lo_ymap_get(site->doc, root, "service") : NULL;
    if (!service || lo_ynode_kind(site->doc, service) != LO_Y_MAPPING) return 0;
    const lo_ynode *http = lo_ymap_get(site->doc, service, "http");
    if (!http) return 0;
    if (lo_ynode_kind(site->doc, http) != LO_Y_MAPPING) {
        lo_yerror(&c, http, "service.http", "expected a mapping (bind, port, token_file, push_hz)");
        return -1;
    }
    static const char *const keys[] = {"bind", "port", "token_file", "push_hz", NULL};
    lo_ycheck_keys(&c, http, "service.http", keys);
    if (lo_ymap_get(site->doc, http, "bind") &&
        lo_yget_string(&c, http, "service.http", "bind", false, out->bind, sizeof out->bind)) {
        struct in_addr a;
        if (inet_pton(AF_INET, out->bind, &a) != 1)
            lo_yerror(&c, lo_ymap_get(site->doc, http, "bind"), "service.http.bind",
                      "'%s' is not an IPv4 address", out->bind);
        out->cfg.bind_addr = out->bind;
    }
    long port = out->cfg.port;
    if (lo_yget_int(&c, http, "service.http", "port", false, 0, 65535, &port)) out->cfg.port = (int)port;
    lo_yget_double(&c, http, "service.http", "push_hz", false, 0.1, 50, &out->cfg.push_hz);
    char file[1024] = "";
    const lo_ynode *tf = lo_ymap_get(site->doc, http, "token_file");
    if (tf && lo_yget_string(&c, http, "service.http", "token_file", false, file, sizeof file)) {
        /* Relative to the site file's directory, so a site directory moves as one. */
        char path[2048];
        const char *slash = site->path ? strrchr(site->path, '/') : NULL;
        if (file[0] != '/' && slash)
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - site->path), site->path, file);
        else
            snprintf(path, sizeof path, "%s", file);
        char err[512];
        if (lo_http_read_token_file(path, out->token, sizeof out->token, err, sizeof err) != 0)
            lo_yerror(&c, tf, "service.http.token_file", "%s", err);
        else
            out->cfg.token = out->token;
    }
    return c.errors ? -1 : 0;
}

int lo_http_port(const lo_http_server *srv) { return srv->port; }

const char *lo_http_url(const lo_http_server *srv) { return srv->url; }

void lo_http_stop(lo_http_server *srv)
{
    if (!srv) return;
    if (srv->pusher_running) {
        pthread_mutex_lock(&srv->stop_lock);
        srv->stopping = true;
        pthread_cond_signal(&srv->stop_cond);
        pthread_mutex_unlock(&srv->stop_lock);
        pthread_join(srv->pusher, NULL);
    }
    /* mg_stop closes every connection; WebSocket close handlers empty the client list. */
    if (srv->ctx) mg_stop(srv->ctx);
    while (srv->clients) {
        ws_client *c = srv->clients;
        srv->clients = c->next;
        client_free(c);
    }
    pthread_cond_destroy(&srv->stop_cond);
    pthread_mutex_destroy(&srv->stop_lock);
    pthread_mutex_destroy(&srv->ws_lock);
    free(srv->web_root);
    free(srv);
}
