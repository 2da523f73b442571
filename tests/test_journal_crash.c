/* Crash safety: no alert that was published is ever lost.
 *
 * A child process appends alert transitions to the journal as fast as it can and "publishes"
 * each one (writes its id down a pipe) only after lo_journal_append returned, through the
 * pipeline's own lo_journal_then_publish chain. The parent kills
 * it with SIGKILL after a random delay, drains the pipe (whatever the child wrote before it
 * died is still there), reopens the journal and checks that every published id is in it.
 * Several rounds on the same file, so each round also exercises WAL recovery after a kill. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lookout/journal.h"
#include "testutil.h"

#define ROUNDS 25
#define MAX_IDS 200000

static char db_path[256];

static void remove_db(void)
{
    char p[300];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

/* Publication: the alert id down the pipe. */
static int publish_to_pipe(void *ctx, const lo_alert *a)
{
    int fd = *(int *)ctx;
    char line[32];
    int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)a->alert_id);
    return write(fd, line, (size_t)n) == n ? 0 : -1;
}

/* The child: never returns. Uses the same journal-then-publish chain as the pipeline. */
static void writer(int fd, uint64_t first_id)
{
    char err[512];
    lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
    if (!j) {
        fprintf(stderr, "child: %s\n", err);
        _exit(3);
    }
    lo_journal_chain chain = {.journal = j, .publish = publish_to_pipe, .publish_ctx = &fd};
    for (uint64_t id = first_id;; id++) {
        lo_alert a;
        memset(&a, 0, sizeof a);
        a.alert_id = id;
        a.track_id = (uint32_t)(id % 1000);
        strcpy(a.zone_name, "compound");
        a.level = LO_ALERT_ALARM;
        a.t = 1763800000.0 + (double)id;
        a.snapshot.id = a.track_id;
        snprintf(a.reason, sizeof a.reason, "rocket, impact in compound in %d s", (int)(id % 60));
        if (lo_journal_then_publish(&chain, &a) != 0) {
            fprintf(stderr, "child: %s\n", lo_journal_error(j));
            _exit(4);
        }
    }
}

typedef struct id_set {
    unsigned char *seen; /* by id */
    uint64_t max;
} id_set;

static bool mark(void *ctx, int64_t seq, const lo_alert *a, const char *json)
{
    (void)seq;
    (void)json;
    id_set *s = ctx;
    if (a->alert_id < MAX_IDS) s->seen[a->alert_id] = 1;
    if (a->alert_id > s->max) s->max = a->alert_id;
    return true;
}

static void test_kill_9_loses_nothing_published(void **state)
{
    (void)state;
    snprintf(db_path, sizeof db_path, "/tmp/lookout-test-crash-%d.sqlite", (int)getpid());
    remove_db();
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("seed %u\n", seed);
    srand(seed);
    uint64_t next_id = 1;
    long total_published = 0;
    unsigned char *published = calloc(MAX_IDS, 1);
    id_set set = {calloc(MAX_IDS, 1), 0};

    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            writer(p[1], next_id);
        }
        close(p[1]);
        /* 5-80 ms: sometimes while opening, mostly mid-stream. */
        struct timespec d = {0, (long)(5 + rand() % 75) * 1000000L};
        nanosleep(&d, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        /* Everything the child published is in the pipe. */
        FILE *f = fdopen(p[0], "r");
        assert_non_null(f);
        unsigned long long id;
        long n = 0;
        uint64_t last = 0;
        while (fscanf(f, "%llu", &id) == 1) {
            assert_true(id < MAX_IDS);
            published[id] = 1;
            last = id;
            n++;
        }
        fclose(f);
        total_published += n;

        /* Reopen (recovering the WAL the kill left behind) and check. */
        char err[512];
        lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
        if (!j) fail_msg("reopen after kill: %s", err);
        memset(set.seen, 0, MAX_IDS);
        set.max = 0;
        assert_true(lo_journal_list(j, -1e300, mark, &set) >= n);
        for (uint64_t k = 1; k < MAX_IDS; k++)
            if (published[k] && !set.seen[k]) fail_msg("round %d: published alert %llu lost",
                                                       round, (unsigned long long)k);
        /* The next round continues after whatever was written (published or not). */
        assert_true(set.max >= last);
        next_id = set.max + 1;
        lo_journal_close(j);
        printf("round %d: %ld published, %llu in the journal\n", round, n,
               (unsigned long long)set.max);
        assert_true(next_id < MAX_IDS - 100000);
    }
    assert_true(total_published > 0); /* the test did exercise something */
    free(published);
    free(set.seen);
    remove_db();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_9_loses_nothing_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
