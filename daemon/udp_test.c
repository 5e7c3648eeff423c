// SPDX-License-Identifier: MIT
/*
 * The outbound batch (udp_send_batch) against an injected sendmmsg that
 * behaves as the kernel's: messages go in order, the first failure ends
 * the call (its errno if it is the first message, else the count sent).
 * Failures are placed at chosen positions (first, middle, last message, a
 * UDP_SEGMENT run refused with EMSGSIZE or EINVAL, EAGAIN, ENOBUFS) and every
 * other destination's datagrams must leave exactly once, in order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "test.h"
#include "udp.h"

#define NDST 4
#define MAXD 200

/* What the fake kernel saw: per datagram id, how often it left. */
static unsigned sent_count[MAXD];
static unsigned sent_order[MAXD * 2], nsent;
static unsigned calls;

/* Failure rule: messages to fail_dst fail with fail_errno; only UDP_SEGMENT
 * ones when fail_only_gso; fail_times failures at most (-1: always). */
static int fail_dst = -1, fail_errno, fail_times;
static bool fail_only_gso, fail_only_src;

static struct sockaddr_in dsts[NDST];
static uint8_t bufs[MAXD][64];

static int dst_of(const struct msghdr *mh)
{
	for (int i = 0; i < NDST; i++)
		if (mh->msg_name == (void *)&dsts[i])
			return i;
	return -1;
}

static bool has_pktinfo(struct msghdr *mh)
{
	struct cmsghdr *c;

	if (!mh->msg_control)
		return false;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		     c->cmsg_type == IPV6_PKTINFO))
			return true;
	return false;
}

/* A failure reported (consumed) only when it is the call's first
 * message; after others it just ends the call, as the kernel does. */
static bool should_fail(struct msghdr *mh, bool consume)
{
	if (fail_times == 0 || dst_of(mh) != fail_dst)
		return false;
	if (fail_only_gso && mh->msg_iovlen < 2)
		return false;
	if (fail_only_src && !has_pktinfo(mh))
		return false;
	if (consume && fail_times > 0)
		fail_times--;
	return true;
}

static int fake_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
	calls++;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &msgs[i].msg_hdr;

		if (should_fail(mh, i == 0)) {
			if (i == 0) {
				errno = fail_errno;
				return -1;
			}
			return (int)i;
		}
		for (size_t k = 0; k < mh->msg_iovlen; k++) {
			unsigned id = ((uint8_t *)mh->msg_iov[k].iov_base)[0];

			sent_count[id]++;
			sent_order[nsent++] = id;
		}
	}
	return (int)n;
}

static const struct udp_io fake_io = {
	.sendmmsg = fake_sendmmsg,
};

static void reset(void)
{
	memset(sent_count, 0, sizeof(sent_count));
	nsent = calls = 0;
	fail_dst = -1;
	fail_errno = 0;
	fail_times = -1;
	fail_only_gso = false;
	fail_only_src = false;
}

/* n datagrams in runs of run_len per destination, round robin over the
 * destinations: d0 d0 d0 d1 d1 d1 d2 ... ; all may segment. */
static void make_batch(struct udp_datagram *d, unsigned n, unsigned run_len)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned dst = (i / run_len) % NDST;

		bufs[i][0] = (uint8_t)i;
		d[i] = (struct udp_datagram){
			.dst = (struct sockaddr *)&dsts[dst],
			.buf = bufs[i],
			.len = 64,
			.may_segment = true,
		};
	}
}

static unsigned dst_index(const struct udp_datagram *d)
{
	return (unsigned)((const struct sockaddr_in *)d->dst - dsts);
}

/* Every datagram not to bad left exactly once and reports 0; those to bad
 * report want_error and left want_bad_sent times each. Order kept. */
static void check_outcome(struct udp_datagram *d, unsigned n, int bad,
			  int want_error, unsigned want_bad_sent)
{
	unsigned last = 0;

	for (unsigned i = 0; i < n; i++) {
		if ((int)dst_index(&d[i]) == bad) {
			CHECK_EQ(d[i].error, want_error);
			CHECK_EQ(sent_count[i], want_bad_sent);
		} else {
			CHECK_EQ(d[i].error, 0);
			CHECK_EQ(sent_count[i], 1);
		}
	}
	for (unsigned i = 0; i < nsent; i++) {
		CHECK(i == 0 || sent_order[i] > last);
		last = sent_order[i];
	}
}

static void test_fail_at(int bad, int err)
{
	struct udp_datagram d[48];

	reset();
	make_batch(d, 48, 3);
	fail_dst = bad;
	fail_errno = err;
	udp_send_batch(&fake_io, 3, -1, d, 48);
	check_outcome(d, 48, bad, -err, 0);
}

/* Positions of the failing message: first (dst 0), middle (dst 1, 2) and
 * last (dst 3 owns the batch's last run). Plain and GSO. */
static void test_positions(void)
{
	for (int bad = 0; bad < NDST; bad++) {
		test_fail_at(bad, ENETUNREACH);
		test_fail_at(bad, EPERM);
	}
	/* One failing datagram at the very end of a plain batch. */
	{
		struct udp_datagram d[16];

		reset();
		make_batch(d, 16, 1);
		for (unsigned i = 0; i < 16; i++)
			d[i].may_segment = false;
		fail_dst = 3;
		fail_errno = ECONNREFUSED;
		udp_send_batch(&fake_io, 3, -1, d, 16);
		check_outcome(d, 16, 3, -ECONNREFUSED, 0);
	}
}

/* A UDP_SEGMENT run refused as such goes again one datagram at a time:
 * each of its datagrams leaves once, flagged; nothing else is resent. */
static void test_gso_refused(int err)
{
	struct udp_datagram d[60];

	reset();
	make_batch(d, 60, 5);
	fail_dst = 2;
	fail_errno = err;
	fail_only_gso = true;
	udp_send_batch(&fake_io, 3, -1, d, 60);
	check_outcome(d, 60, 2, 0, 1);
	for (unsigned i = 0; i < 60; i++)
		CHECK_EQ(d[i].gso_error, dst_index(&d[i]) == 2 ? -err : 0);
}

/* A refusal that is not about segmentation is not retried singly. */
static void test_gso_run_unreachable(void)
{
	struct udp_datagram d[20];

	reset();
	make_batch(d, 20, 5);
	fail_dst = 1;
	fail_errno = ENETUNREACH;
	udp_send_batch(&fake_io, 3, -1, d, 20);
	check_outcome(d, 20, 1, -ENETUNREACH, 0);
	for (unsigned i = 0; i < 20; i++)
		CHECK_EQ(d[i].gso_error, 0);
}

/* EAGAIN: the socket's buffer is full, so everything left for it is
 * dropped at once (the loop never blocks); what left before stays sent,
 * once. */
static void test_eagain(void)
{
	struct udp_datagram d[24];
	unsigned first_bad = 2; /* dst 1's first datagram, runs of 2 */

	reset();
	make_batch(d, 24, 2);
	fail_dst = 1;
	fail_errno = EAGAIN;
	udp_send_batch(&fake_io, 3, -1, d, 24);
	for (unsigned i = 0; i < 24; i++) {
		CHECK_EQ(d[i].error, i < first_bad ? 0 : -EAGAIN);
		CHECK_EQ(sent_count[i], i < first_bad ? 1 : 0);
	}
	CHECK_EQ(calls, 2);
}

/* ENOBUFS (a full queue on the way to one destination): only its own
 * messages are dropped; the other destinations' all leave once. */
static void test_enobufs(void)
{
	struct udp_datagram d[24];

	reset();
	make_batch(d, 24, 2);
	fail_dst = 0;
	fail_errno = ENOBUFS;
	udp_send_batch(&fake_io, 3, -1, d, 24);
	check_outcome(d, 24, 0, -ENOBUFS, 0);
}

/* No socket for a family: its datagrams fail, the other family's go. */
static void test_missing_family(void)
{
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct udp_datagram d[8];

	reset();
	make_batch(d, 8, 1);
	d[2].dst = d[5].dst = (struct sockaddr *)&v6;
	udp_send_batch(&fake_io, 3, -1, d, 8);
	for (unsigned i = 0; i < 8; i++) {
		bool is_v6 = i == 2 || i == 5;

		CHECK_EQ(d[i].error, is_v6 ? -EAFNOSUPPORT : 0);
		CHECK_EQ(sent_count[i], is_v6 ? 0 : 1);
	}
}

/* Runs: same destination and length share a message (at most
 * UDP_GSO_MAX_SEGMENTS), a shorter datagram ends the run. */
static void test_runs(void)
{
	struct udp_datagram d[100];

	reset();
	make_batch(d, 100, 100);
	d[70].len = 32;
	udp_send_batch(&fake_io, 3, -1, d, 100);
	check_outcome(d, 100, -1, 0, 0);
	CHECK_EQ(calls, 1);
}

/* A sticky source the kernel refuses (the address is gone): the message
 * goes again with the kernel's choice, flagged; a GSO run keeps its run
 * and its source until a refusal is about the source. */
static void test_source_refused(int err)
{
	struct udp_source good = { .family = AF_INET }, gone = good;
	struct udp_datagram d[40];

	reset();
	make_batch(d, 40, 5);
	inet_pton(AF_INET, "10.0.0.2", &gone.v4);
	inet_pton(AF_INET, "10.0.0.1", &good.v4);
	for (unsigned i = 0; i < 40; i++)
		d[i].src = dst_index(&d[i]) == 1 ? &gone : &good;
	fail_dst = 1;
	fail_errno = err;
	fail_only_src = true;
	udp_send_batch(&fake_io, 3, -1, d, 40);
	check_outcome(d, 40, 1, 0, 1);
	for (unsigned i = 0; i < 40; i++) {
		bool bad = dst_index(&d[i]) == 1;

		CHECK_EQ(d[i].src_error, bad ? -err : 0);
		CHECK(bad ? d[i].src == NULL : d[i].src == &good);
	}
}

int main(void)
{
	for (int i = 0; i < NDST; i++) {
		dsts[i].sin_family = AF_INET;
		dsts[i].sin_port = htons((uint16_t)(51820 + i));
		dsts[i].sin_addr.s_addr = htonl(0x0a000001u + (uint32_t)i);
	}
	test_positions();
	test_gso_refused(EMSGSIZE);
	test_gso_refused(EINVAL);
	test_gso_run_unreachable();
	test_eagain();
	test_enobufs();
	test_missing_family();
	test_runs();
	test_source_refused(EADDRNOTAVAIL);
	test_source_refused(ENETUNREACH);
	return test_finish("udp_test");
}
