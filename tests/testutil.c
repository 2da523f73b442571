/* Helpers shared by the cmocka tests (see testutil.h). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *lo_test_shared_path(const char *rel)
{
    static char paths[16][1024];
    static int next;
    struct stat st;
    if (stat(LOOKOUT_SHARED_DIR, &st) != 0) {
        printf("SKIP: %s not found: the real recordings in ../shared are not here\n",
               LOOKOUT_SHARED_DIR);
        return NULL;
    }
    char *p = paths[next++ % 16];
    snprintf(p, 1024, "%s/%s", LOOKOUT_SHARED_DIR, rel);
    if (stat(p, &st) != 0) {
        printf("SKIP: %s not found\n", p);
        return NULL;
    }
    return p;
}

const char *lo_test_source_path(const char *rel)
{
    static char paths[16][1024];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 1024, "%s/%s", LOOKOUT_SOURCE_DIR, rel);
    return p;
}

static char *temp_files[64];
static int n_temp_files;

static void remove_temp_files(void)
{
    for (int i = 0; i < n_temp_files; i++) {
        unlink(temp_files[i]);
        free(temp_files[i]);
    }
}

const char *lo_test_temp_file(const char *suffix, const char *text)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/lookout-test-XXXXXX%s", suffix ? suffix : "");
    int fd = mkstemps(tmpl, suffix ? (int)strlen(suffix) : 0);
    if (fd < 0) return NULL;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    if (n_temp_files == 0) atexit(remove_temp_files);
    if (n_temp_files >= 64) return NULL;
    temp_files[n_temp_files] = strdup(tmpl);
    return temp_files[n_temp_files++];
}

static bool record_diag(void *ctx, const lo_diag *d)
{
    lo_test_diags *t = ctx;
    lo_diag_format(d, t->last, sizeof t->last);
    size_t used = strlen(t->all);
    snprintf(t->all + used, sizeof t->all - used, "%s\n", t->last);
    t->n++;
    return !t->stop;
}

void lo_test_diags_init(lo_test_diags *d, bool stop_on_first)
{
    memset(d, 0, sizeof *d);
    d->sink.fn = record_diag;
    d->sink.ctx = d;
    d->stop = stop_on_first;
}

int lo_test_run(const char *cmd, char *out, size_t len)
{
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, len - 1, p);
    out[n] = 0;
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
