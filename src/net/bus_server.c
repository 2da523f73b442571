/*
 * bus_server.c: start local nats-server processes (tests, benchmarks, `lookout demo`).
 *
 * Every server listens on 127.0.0.1 only, on ports the kernel just handed out as free, with
 * JetStream on and its store under its own directory; several form one cluster with routes on
 * loopback. The configuration files written here follow tests/nats/server.conf.in. The children
 * get PR_SET_PDEATHSIG so that a crashed test never leaves servers behind.
 */
/* nftw is an XSI interface. */
#define _XOPEN_SOURCE 700

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lookout/bus.h"

#define MAX_SERVERS 5

typedef struct server {
    pid_t pid;
    int port, cluster_port;
    char url[64];
    char conf[512];
    char log[512];
} server;

struct lo_nats_cluster {
    int n;
    char dir[400];
    server s[MAX_SERVERS];
};

const char *lo_nats_server_path(void)
{
    static char found[512];
    const char *env = getenv("LOOKOUT_NATS_SERVER");
    if (env && *env)
        return access(env, X_OK) == 0 ? env : NULL;
    const char *path = getenv("PATH");
    char dirs[2048];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/local/sbin:/usr/bin", path ? path : "");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/nats-server", d);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

/* A port the kernel considers free right now on 127.0.0.1. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void nap_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int write_conf(lo_nats_cluster *c, int i)
{
    server *s = &c->s[i];
    FILE *f = fopen(s->conf, "w");
    if (!f)
        return -1;
    fprintf(f, "server_name: n%d\nlisten: 127.0.0.1:%d\n", i + 1, s->port);
    fprintf(f, "jetstream {\n  store_dir: \"%s/n%d\"\n  max_memory_store: 64MB\n"
               "  max_file_store: 4GB\n}\n", c->dir, i + 1);
    if (c->n > 1) {
        fprintf(f, "cluster {\n  name: lookout\n  listen: 127.0.0.1:%d\n  routes: [\n",
                s->cluster_port);
        for (int j = 0; j < c->n; j++)
            if (j != i)
                fprintf(f, "    nats-route://127.0.0.1:%d\n", c->s[j].cluster_port);
        fprintf(f, "  ]\n}\n");
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int spawn(lo_nats_cluster *c, int i)
{
    server *s = &c->s[i];
    const char *exe = lo_nats_server_path();
    if (!exe)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(exe, exe, "-c", s->conf, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    /* Wait for the client port (bounded); a server that exits early is an error. */
    for (int waited = 0; waited < 10000; waited += 20) {
        if (port_open(s->port))
            return 0;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return -1;
        }
        nap_ms(20);
    }
    return -1;
}

lo_nats_cluster *lo_nats_cluster_start(int n, const char *dir, char *err, size_t errlen)
{
    if (n < 1 || n > MAX_SERVERS) {
        snprintf(err, errlen, "nats cluster: 1 to %d servers", MAX_SERVERS);
        return NULL;
    }
    if (!lo_nats_server_path()) {
        snprintf(err, errlen, "nats-server not found (install Debian's nats-server, or set "
                              "LOOKOUT_NATS_SERVER)");
        return NULL;
    }
    lo_nats_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "nats cluster: mkdir %s: %s", dir, strerror(errno));
        free(c);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        server *s = &c->s[i];
        s->port = free_port();
        s->cluster_port = free_port();
        snprintf(s->url, sizeof s->url, "nats://127.0.0.1:%d", s->port);
        snprintf(s->conf, sizeof s->conf, "%s/n%d.conf", dir, i + 1);
        snprintf(s->log, sizeof s->log, "%s/n%d.log", dir, i + 1);
    }
    for (int i = 0; i < n; i++) {
        if (write_conf(c, i) != 0 || spawn(c, i) != 0) {
            snprintf(err, errlen, "nats cluster: server %d did not start (see %s)", i + 1,
                     c->s[i].log);
            c->dir[0] = '\0'; /* keep the logs for a look */
            lo_nats_cluster_free(c);
            return NULL;
        }
    }
    return c;
}

int lo_nats_cluster_size(const lo_nats_cluster *c)
{
    return c->n;
}

const char *lo_nats_cluster_url(const lo_nats_cluster *c, int i)
{
    return i >= 0 && i < c->n ? c->s[i].url : NULL;
}

int lo_nats_cluster_stop(lo_nats_cluster *c, int i, bool hard)
{
    if (i < 0 || i >= c->n || c->s[i].pid <= 0)
        return -1;
    server *s = &c->s[i];
    kill(s->pid, hard ? SIGKILL : SIGTERM);
    for (int waited = 0; waited < 5000; waited += 10) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return 0;
        }
        nap_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return 0;
}

int lo_nats_cluster_restart(lo_nats_cluster *c, int i)
{
    if (i < 0 || i >= c->n)
        return -1;
    if (c->s[i].pid > 0)
        lo_nats_cluster_stop(c, i, false);
    /* The port was ours a moment ago; give the kernel a moment if it is still held. */
    for (int tries = 0; tries < 50; tries++) {
        if (spawn(c, i) == 0)
            return 0;
        nap_ms(100);
    }
    return -1;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void lo_nats_cluster_free(lo_nats_cluster *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        if (c->s[i].pid > 0)
            lo_nats_cluster_stop(c, i, false);
    if (c->dir[0])
        nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(c);
}
