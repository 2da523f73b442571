/* The alert journal on its own thread (journal_writer.h): transitions are written in the order
 * submitted, each is in the journal (seen by a second connection) before it is published, a
 * failing journal publishes nothing and retries, and stop reports what could not be written. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/journal_writer.h"
#include "testutil.h"

static char db_path[256];

static void fresh_path(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/lookout-test-jwriter-%d.sqlite", (int)getpid());
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
}

static lo_alert make_alert(uint64_t id)
{
    lo_alert a;
    memset(&a, 0, sizeof a);
    a.alert_id = id;
    a.track_id = (uint32_t)(100 + id);
    strcpy(a.zone_name, "residence");
    a.level = LO_ALERT_WARNING;
    a.transition = LO_ALERT_RAISED;
    a.t = 1.6e9 + (double)id;
    a.time_to_entry_s = -1;
    strcpy(a.reason, "test");
    a.snapshot.id = a.track_id;
    a.snapshot.t = a.t;
    return a;
}

typedef struct published {
    lo_journal *reader;      /* a second connection: what is durable */
    uint64_t ids[512];
    int n;
    int not_yet_durable;
} published;

/* Runs on the writer thread. */
static int on_publish(void *ctx, const lo_alert *a)
{
    published *p = ctx;
    if (lo_journal_max_alert_id(p->reader) < a->alert_id) p->not_yet_durable++;
    if (p->n < 512) p->ids[p->n++] = a->alert_id;
    return 0;
}

static void test_order_and_durable_first(void **state)
{
    (void)state;
    fresh_path();
    char err[256];
    lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
    assert_non_null(j);
    published pub = {.reader = lo_journal_open(db_path, true, err, sizeof err)};
    assert_non_null(pub.reader);
    lo_journal_chain chain = {.journal = j, .publish = on_publish, .publish_ctx = &pub};
    lo_journal_writer *w = lo_journal_writer_start(&chain);
    assert_non_null(w);
    for (uint64_t id = 1; id <= 300; id++) {
        lo_alert a = make_alert(id);
        assert_int_equal(lo_journal_writer_submit(w, &a), 0);
    }
    lo_journal_writer_drain(w);
    assert_int_equal(pub.n, 300);
    for (int i = 0; i < pub.n; i++) assert_int_equal(pub.ids[i], (uint64_t)i + 1);
    assert_int_equal(pub.not_yet_durable, 0);
    lo_journal_writer_stats st;
    lo_journal_writer_get_stats(w, &st);
    assert_int_equal(st.submitted, 300);
    assert_int_equal(st.written, 300);
    assert_int_equal(st.failures, 0);
    assert_true(st.max_backlog >= 1 && st.max_backlog <= 300);
    /* Drained: the journal may be used from here while the thread idles. */
    assert_int_equal(lo_journal_max_alert_id(j), 300);
    lo_alert last = make_alert(301);
    assert_int_equal(lo_journal_writer_submit(w, &last), 0);
    assert_int_equal(lo_journal_writer_stop(w), 0); /* stop writes what is queued */
    assert_int_equal(chain.written, 301);
    assert_int_equal(pub.n, 301);
    lo_journal_close(pub.reader);
    lo_journal_close(j);
    j = lo_journal_open(db_path, true, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(lo_journal_list(j, -INFINITY, NULL, NULL), 301);
    lo_journal_close(j);
    fresh_path();
}

static void test_failing_journal_publishes_nothing(void **state)
{
    (void)state;
    fresh_path();
    char err[256];
    lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
    assert_non_null(j);
    lo_journal_close(j);
    lo_journal *ro = lo_journal_open(db_path, true, err, sizeof err); /* appends fail */
    assert_non_null(ro);
    published pub = {.reader = ro};
    lo_journal_chain chain = {.journal = ro, .publish = on_publish, .publish_ctx = &pub};
    lo_journal_writer *w = lo_journal_writer_start(&chain);
    assert_non_null(w);
    lo_alert a = make_alert(7), b = make_alert(8);
    assert_int_equal(lo_journal_writer_submit(w, &a), 0);
    assert_int_equal(lo_journal_writer_submit(w, &b), 0);
    lo_journal_writer_stats st = {0};
    for (int i = 0; i < 200 && st.failures < 2; i++) { /* it retries every 0.2 s */
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        lo_journal_writer_get_stats(w, &st);
    }
    assert_true(st.failures >= 2);
    assert_int_equal(st.written, 0);
    assert_int_equal(pub.n, 0);
    assert_int_equal(lo_journal_writer_stop(w), 2); /* both given up, none published */
    assert_int_equal(pub.n, 0);
    assert_int_equal(chain.written, 0);
    lo_journal_close(ro);
    fresh_path();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_durable_first),
        cmocka_unit_test(test_failing_journal_publishes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
