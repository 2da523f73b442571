/*
 * test_udp: the ASTERIX UDP receiver and sender on 127.0.0.1: allow-list by SAC/SIC and
 * address, malformed datagrams counted with rate-limited logging, nothing blocks.
 */
#include "testutil.h"

#include <string.h>
#include <time.h>

#include "lookout/asterix.h"
#include "lookout/udp.h"

typedef struct seen {
    int n;
    uint8_t sic[16];
    uint32_t addr;
} seen;

static void on_rec(void *ctx, const lo_asterix_record *rec, const lo_udp_from *from)
{
    seen *s = ctx;
    if (s->n < 16) s->sic[s->n] = rec->c048 ? rec->c048->sic : 0;
    s->n++;
    s->addr = from->addr;
}

static size_t block048(uint8_t sic, uint8_t *out)
{
    lo_cat048 r;
    memset(&r, 0, sizeof r);
    r.present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_040);
    r.sac = 25; r.sic = sic; r.tod = 128 * 100; r.rho = 2560; r.theta = 1000;
    lo_asterix_block b;
    lo_asterix_block_init(&b, 48);
    uint8_t rec[64];
    size_t n = lo_cat048_encode(&r, rec, sizeof rec);
    assert_true(lo_asterix_block_add(&b, rec, n));
    memcpy(out, b.data, b.len);
    return b.len;
}

/* Poll until `want` records arrived or 2 s passed. */
static int poll_for(lo_udp_receiver *r, seen *s, int want)
{
    for (int i = 0; i < 40 && s->n < want; i++) lo_udp_receiver_poll(r, 50, on_rec, s);
    return s->n;
}

static void test_allow_list(void **state)
{
    (void)state;
    lo_udp_listen l = {0};
    strcpy(l.bind_addr, "127.0.0.1");
    lo_udp_allow allow[2] = {{25, 7, "127.0.0.1"}, {25, 9, "10.1.2.3"}};
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_udp_receiver *r = lo_udp_receiver_open(&l, 1, allow, 2, false, 5, &d.sink);
    assert_non_null(r);
    char dest[64];
    snprintf(dest, sizeof dest, "127.0.0.1:%u", lo_udp_receiver_port(r, 0));
    const char *dests[] = {dest};
    lo_udp_sender *s = lo_udp_sender_open(dests, 1, 0, NULL, &d.sink);
    assert_non_null(s);
    uint8_t buf[128];
    size_t n = block048(7, buf);
    assert_int_equal(lo_udp_sender_send(s, buf, n), 0);
    n = block048(8, buf); /* SAC/SIC not configured */
    assert_int_equal(lo_udp_sender_send(s, buf, n), 0);
    n = block048(9, buf); /* configured, but from another address */
    assert_int_equal(lo_udp_sender_send(s, buf, n), 0);
    n = block048(7, buf);
    assert_int_equal(lo_udp_sender_send(s, buf, n), 0);
    seen got = {0};
    poll_for(r, &got, 2);
    for (int i = 0; i < 3; i++) lo_udp_receiver_poll(r, 20, on_rec, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.sic[0], 7);
    assert_int_equal(got.sic[1], 7);
    assert_int_equal(got.addr, 0x7f000001);
    const lo_udp_rx_stats *st = lo_udp_receiver_stats(r);
    assert_int_equal(st->datagrams, 4);
    assert_int_equal(st->records, 2);
    assert_int_equal(st->rejected_records, 2);
    assert_non_null(strstr(d.all, "SIC 8"));
    lo_udp_sender_close(s);
    lo_udp_receiver_close(r);
}

static void test_unknown_sender_dropped(void **state)
{
    (void)state;
    lo_udp_listen l = {0};
    strcpy(l.bind_addr, "127.0.0.1");
    lo_udp_allow allow[1] = {{25, 7, "10.0.0.1"}};
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_udp_receiver *r = lo_udp_receiver_open(&l, 1, allow, 1, false, 5, &d.sink);
    assert_non_null(r);
    char dest[64];
    snprintf(dest, sizeof dest, "127.0.0.1:%u", lo_udp_receiver_port(r, 0));
    const char *dests[] = {dest};
    lo_udp_sender *s = lo_udp_sender_open(dests, 1, 0, NULL, NULL);
    uint8_t buf[128];
    size_t n = block048(7, buf);
    lo_udp_sender_send(s, buf, n);
    seen got = {0};
    for (int i = 0; i < 10 && lo_udp_receiver_stats(r)->datagrams == 0; i++)
        lo_udp_receiver_poll(r, 50, on_rec, &got);
    assert_int_equal(got.n, 0);
    assert_int_equal(lo_udp_receiver_stats(r)->rejected_sender, 1);
    assert_non_null(strstr(d.all, "allow-list"));
    lo_udp_sender_close(s);
    lo_udp_receiver_close(r);
}

static void test_malformed_flood_is_counted_and_rate_limited(void **state)
{
    (void)state;
    lo_udp_listen l = {0};
    strcpy(l.bind_addr, "127.0.0.1");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_udp_receiver *r = lo_udp_receiver_open(&l, 1, NULL, 0, true, 5, &d.sink);
    assert_non_null(r);
    char dest[64];
    snprintf(dest, sizeof dest, "127.0.0.1:%u", lo_udp_receiver_port(r, 0));
    const char *dests[] = {dest};
    lo_udp_sender *s = lo_udp_sender_open(dests, 1, 0, NULL, NULL);
    uint8_t junk[64];
    const int n_junk = 200;
    for (int i = 0; i < n_junk; i++) {
        for (size_t k = 0; k < sizeof junk; k++) junk[k] = (uint8_t)(i * 31 + k * 7);
        junk[0] = 48;                 /* looks like CAT048 ... */
        junk[1] = 0xff; junk[2] = 0xff; /* ... with an oversized LEN */
        lo_udp_sender_send(s, junk, (size_t)(1 + i % 63));
    }
    lo_udp_sender_send(s, junk, 0); /* empty datagram */
    uint8_t buf[128];
    size_t n = block048(7, buf);
    lo_udp_sender_send(s, buf, n);    /* a good one after the flood still arrives */
    seen got = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 40 && lo_udp_receiver_stats(r)->datagrams < n_junk + 2; i++)
        lo_udp_receiver_poll(r, 50, on_rec, &got);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const lo_udp_rx_stats *st = lo_udp_receiver_stats(r);
    assert_int_equal(st->datagrams, n_junk + 2);
    assert_int_equal(st->malformed_datagrams, n_junk);
    assert_int_equal(got.n, 1);
    assert_true(d.n <= 6);                /* 5 per window (+ a suppression note) */
    assert_true(st->log_suppressed >= n_junk - 5);
    /* Nothing waiting: poll returns after its timeout with 0. */
    assert_int_equal(lo_udp_receiver_poll(r, 10, on_rec, &got), 0);
    lo_udp_sender_close(s);
    lo_udp_receiver_close(r);
}

static void test_bad_configuration(void **state)
{
    (void)state;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_udp_listen l = {0};
    strcpy(l.bind_addr, "127.0.0.1");
    strcpy(l.multicast_group, "10.0.0.1"); /* not multicast */
    assert_null(lo_udp_receiver_open(&l, 1, NULL, 0, true, 5, &d.sink));
    assert_non_null(strstr(d.all, "multicast"));
    lo_udp_allow bad = {1, 2, "not-an-address"};
    lo_udp_listen l2 = {0};
    assert_null(lo_udp_receiver_open(&l2, 1, &bad, 1, false, 5, &d.sink));
    const char *dests[] = {"127.0.0.1"};
    assert_null(lo_udp_sender_open(dests, 1, 0, NULL, &d.sink));
    assert_non_null(strstr(d.all, "host:port"));
}

/* Multicast on the loopback interface; skipped where the host does not route it. */
static void test_multicast_loopback(void **state)
{
    (void)state;
    lo_udp_listen l = {0};
    strcpy(l.multicast_group, "239.255.42.99");
    strcpy(l.multicast_if, "127.0.0.1");
    lo_udp_allow allow = {25, 7, "127.0.0.1"};
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_udp_receiver *r = lo_udp_receiver_open(&l, 1, &allow, 1, false, 5, &d.sink);
    if (!r) {
        printf("SKIP multicast: cannot join on 127.0.0.1: %s\n", d.last);
        skip();
        return;
    }
    char dest[64];
    snprintf(dest, sizeof dest, "239.255.42.99:%u", lo_udp_receiver_port(r, 0));
    const char *dests[] = {dest};
    lo_udp_sender *s = lo_udp_sender_open(dests, 1, 1, "127.0.0.1", &d.sink);
    assert_non_null(s);
    uint8_t buf[128];
    size_t n = block048(7, buf);
    assert_int_equal(lo_udp_sender_send(s, buf, n), 0);
    seen got = {0};
    poll_for(r, &got, 1);
    lo_udp_sender_close(s);
    lo_udp_receiver_close(r);
    if (got.n == 0) {
        printf("SKIP multicast: nothing looped back on 127.0.0.1 here\n");
        skip();
        return;
    }
    assert_int_equal(got.n, 1);
    assert_int_equal(got.sic[0], 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_unknown_sender_dropped),
        cmocka_unit_test(test_malformed_flood_is_counted_and_rate_limited),
        cmocka_unit_test(test_bad_configuration),
        cmocka_unit_test(test_multicast_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
