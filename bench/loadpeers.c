// SPDX-License-Identifier: MIT
/*
 * loadpeers -- many WireGuard peers from one process, against one hub
 * (bench/manypeers.sh, tests/e2e/manypeers.sh). See loadpeers.h for what a
 * peer does.
 *
 *   loadpeers conf N HUB_PRIVATE_KEY PORT
 *	the hub's wg setconf file: N peers, peer n with tunnel address
 *	10.100.0.0 + 2 + n (-i changes the base)
 *   loadpeers sink PORT SECONDS [SOURCES]
 *	counts the inner packets the hub delivers (run in the hub's
 *	namespace), until SECONDS or SOURCES distinct senders
 *   loadpeers run [-m burst|restart|data] [-n N] [-P SENDERS] [-d SECONDS]
 *		   [-t TIMEOUT] [-D] [-a FIRST_ADDR] [-i TUN_BASE]
 *		   [-p LOCAL_PORT] HUB_ADDR HUB_PORT HUB_PUBLIC_KEY
 *	burst: every peer initiates at once (initiations made beforehand),
 *	retrying as the whitepaper says, until all have a session or
 *	TIMEOUT; prints the time the last session took and handshakes per
 *	second. restart: a burst, then "loadpeers: ready"; on SIGUSR1 (sent
 *	just before the hub is restarted) every peer loses its session and
 *	starts again at a random moment within REKEY_TIMEOUT, retrying as
 *	the whitepaper says; prints the time from SIGUSR1 until every peer
 *	has a session again. data: a burst of SENDERS peers (default 100),
 *	then all of them send MTU-sized packets to the sink for SECONDS.
 *	-D: every new session also sends one packet to the sink.
 *	Peer n sends from FIRST_ADDR + n (default 10.77.128.1).
 *
 * Times of sessions are the kernel's receive time of the response
 * (SO_TIMESTAMPNS), so the tool's own lag does not count against the hub.
 */
#include "loadpeers.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"

static volatile sig_atomic_t got_usr1, got_stop;
static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = 1;
}

struct lp_opts {
	const char *mode;
	uint32_t n, senders;
	double seconds, timeout;
	bool data_once;
	struct in_addr first, tun_base;
	uint16_t port;
};

static int open_socket(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, rbuf = 64 << 20,
	    sbuf = 16 << 20;

	if (fd < 0)
		return -errno;
	/* Sending from any address of the AnyIP range. */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rbuf, sizeof(rbuf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sbuf, sizeof(sbuf));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (bind(fd, (void *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

struct lp_out *lp_out_next(struct lp_run *r, struct in_addr src)
{
	if (r->nout == LP_BATCH)
		lp_out_flush(r);
	r->out[r->nout].src = src;
	return &r->out[r->nout++];
}

/* Sends the batch, each datagram from its peer's address (IP_PKTINFO). */
void lp_out_flush(struct lp_run *r)
{
	static struct mmsghdr m[LP_BATCH];
	static struct iovec iov[LP_BATCH];
	static union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cm[LP_BATCH];
	unsigned done = 0;

	for (unsigned i = 0; i < r->nout; i++) {
		struct in_pktinfo *pi = (void *)CMSG_DATA(&cm[i].h);

		iov[i] = (struct iovec){ r->out[i].buf, r->out[i].len };
		m[i].msg_hdr = (struct msghdr){
			.msg_name = &r->hub, .msg_namelen = sizeof(r->hub),
			.msg_iov = &iov[i], .msg_iovlen = 1,
			.msg_control = cm[i].b, .msg_controllen = sizeof(cm[i].b) };
		cm[i].h.cmsg_level = SOL_IP;
		cm[i].h.cmsg_type = IP_PKTINFO;
		cm[i].h.cmsg_len = CMSG_LEN(sizeof(*pi));
		memset(pi, 0, sizeof(*pi));
		pi->ipi_spec_dst = r->out[i].src;
	}
	while (done < r->nout) {
		int n = sendmmsg(r->fd, m + done, r->nout - done, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			r->c.send_errors++;
			done++; /* skip the one the kernel refused */
			continue;
		}
		done += (unsigned)n;
	}
	r->nout = 0;
}

static struct lp_peer *peer_by_index(struct lp_run *r, uint32_t index_le)
{
	uint32_t i = le32toh(index_le);

	return i >= 1 && i <= r->npeers ? &r->peers[i - 1] : NULL;
}

static void dispatch(struct lp_run *r, uint8_t *buf, size_t len,
		     uint64_t kernel_ns)
{
	uint32_t type, idx;
	struct lp_peer *p;

	if (len < 8) {
		r->c.other++;
		return;
	}
	memcpy(&type, buf, 4);
	type = le32toh(type);
	if (type == MESSAGE_HANDSHAKE_INITIATION) {
		r->c.hub_initiations++; /* the hub rekeying: not our part */
		return;
	}
	/* Response: receiver_index after sender_index; cookie reply and
	 * data: right after the header. */
	memcpy(&idx, buf + (type == MESSAGE_HANDSHAKE_RESPONSE ? 8 : 4), 4);
	p = peer_by_index(r, idx);
	if (!p) {
		r->c.other++;
		return;
	}
	lp_peer_receive(r, p, buf, len, kernel_ns);
}

static uint64_t kernel_time(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * NS_PER_SEC +
			       (uint64_t)ts.tv_nsec;
		}
	return lp_wall_ns();
}

/* Everything waiting on the socket, up to 64 batches. */
static void receive_all(struct lp_run *r)
{
	static uint8_t bufs[LP_BATCH][LP_DGRAM_MAX];
	static struct mmsghdr m[LP_BATCH];
	static struct iovec iov[LP_BATCH];
	static uint8_t cm[LP_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];

	for (int round = 0; round < 64; round++) {
		int n;

		for (unsigned i = 0; i < LP_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], LP_DGRAM_MAX };
			m[i].msg_hdr = (struct msghdr){
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = cm[i],
				.msg_controllen = sizeof(cm[i]) };
		}
		n = recvmmsg(r->fd, m, LP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			dispatch(r, bufs[i], m[i].msg_len,
				 kernel_time(&m[i].msg_hdr));
		lp_out_flush(r);
		if (n < LP_BATCH)
			break;
	}
}

static void send_initiation(struct lp_run *r, struct lp_peer *p, uint64_t now)
{
	struct lp_out *o = lp_out_next(r, p->addr);

	if (lp_peer_build_initiation(p, (void *)o->buf, now)) {
		r->nout--;
		r->c.send_errors++;
	} else {
		o->len = MESSAGE_INITIATION_LEN;
		r->c.initiations++;
	}
	lp_peer_schedule_retry(p, now);
}

/* The retry timers: every peer that wants a session and is due. */
static void run_timers(struct lp_run *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->npeers; i++) {
		struct lp_peer *p = &r->peers[i];

		if (p->wants_session && p->next_initiation_ns &&
		    now >= p->next_initiation_ns)
			send_initiation(r, p, now);
	}
	lp_out_flush(r);
}

/* Runs the loop until every peer has a session, a signal, or the deadline.
 * True when every peer has one. */
static bool pump_until_sessions(struct lp_run *r, uint64_t deadline)
{
	uint64_t next_scan = 0;

	while (r->sessions < r->npeers && !got_stop && !got_usr1) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		uint64_t now = lp_mono_ns();

		if (now >= deadline)
			break;
		if (now >= next_scan) {
			run_timers(r, now);
			next_scan = now + 10 * NS_PER_MS;
		}
		poll(&pfd, 1, 5);
		receive_all(r);
	}
	return r->sessions == r->npeers;
}

/* Every peer's first initiation, made before the clock starts, then sent
 * together: the hub sees all N at once. */
static void burst(struct lp_run *r)
{
	uint64_t now = lp_mono_ns();

	for (uint32_t i = 0; i < r->npeers; i++) {
		struct lp_peer *p = &r->peers[i];

		p->wants_session = true;
		if (lp_peer_build_initiation(p, &p->prebuilt, now) == 0)
			p->has_prebuilt = true;
	}
	r->start_wall_ns = lp_wall_ns();
	now = lp_mono_ns();
	for (uint32_t i = 0; i < r->npeers; i++) {
		struct lp_peer *p = &r->peers[i];
		struct lp_out *o;

		if (p->has_prebuilt) {
			o = lp_out_next(r, p->addr);
			memcpy(o->buf, &p->prebuilt, sizeof(p->prebuilt));
			o->len = MESSAGE_INITIATION_LEN;
			r->c.initiations++;
			p->has_prebuilt = false;
		}
		lp_peer_schedule_retry(p, now);
		if (!p->has_prebuilt && r->nout == LP_BATCH)
			receive_all(r); /* responses start at once */
	}
	lp_out_flush(r);
}

static double since_start(const struct lp_run *r)
{
	if (r->last_session_wall_ns <= r->start_wall_ns)
		return 0;
	return (double)(r->last_session_wall_ns - r->start_wall_ns) / 1e9;
}

static void print_result(const struct lp_run *r, const char *mode)
{
	double s = since_start(r);
	uint64_t retries = r->c.initiations > r->npeers ?
				   r->c.initiations - r->npeers : 0;

	printf("loadpeers: mode=%s peers=%u sessions=%u seconds=%.3f "
	       "hs_per_s=%.0f initiations=%llu retries=%llu responses=%llu "
	       "cookies=%llu bad_responses=%llu bad_cookies=%llu "
	       "send_errors=%llu\n",
	       mode, r->npeers, r->sessions, s,
	       s > 0 ? r->sessions / s : 0.0,
	       (unsigned long long)r->c.initiations,
	       (unsigned long long)retries,
	       (unsigned long long)r->c.responses,
	       (unsigned long long)r->c.cookies,
	       (unsigned long long)r->c.bad_responses,
	       (unsigned long long)r->c.bad_cookies,
	       (unsigned long long)r->c.send_errors);
	fflush(stdout);
}

/* Hub restart: every peer loses its session at SIGUSR1 and, as if it
 * noticed at a random moment of one REKEY_TIMEOUT, starts handshaking. */
static bool restart(struct lp_run *r, uint64_t timeout_ns)
{
	uint64_t now;

	printf("loadpeers: ready\n");
	fflush(stdout);
	while (!got_usr1 && !got_stop) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		poll(&pfd, 1, 50);
		receive_all(r); /* keepalives */
	}
	if (got_stop)
		return false;
	got_usr1 = 0;
	r->start_wall_ns = lp_wall_ns();
	r->last_session_wall_ns = 0;
	r->sessions = 0;
	memset(&r->c, 0, sizeof(r->c));
	now = lp_mono_ns();
	for (uint32_t i = 0; i < r->npeers; i++) {
		uint32_t ms;

		lp_peer_drop_session(&r->peers[i]);
		lp_random(&ms, sizeof(ms));
		r->peers[i].next_initiation_ns =
			now + 1 + (ms % (REKEY_TIMEOUT * 1000)) * NS_PER_MS;
	}
	pump_until_sessions(r, now + timeout_ns);
	print_result(r, "restart");
	return r->sessions == r->npeers;
}

/* All peers send MTU-sized packets to the sink, in turn, as fast as the
 * socket takes them, for seconds. */
static void send_data(struct lp_run *r, struct in_addr sink, double seconds)
{
	uint64_t start = lp_mono_ns(), end = start + (uint64_t)(seconds * 1e9);
	uint64_t sent = 0, bytes = 0;
	uint32_t seq = 0;

	while (!got_stop && lp_mono_ns() < end) {
		for (uint32_t i = 0; i < r->npeers; i++) {
			struct lp_peer *p = &r->peers[i];
			struct lp_out *o = lp_out_next(r, p->addr);

			lp_build_inner(o->buf + MESSAGE_DATA_HEADER_LEN,
				       LP_DATA_LEN, p->tun_addr, sink, seq++);
			if (!lp_peer_seal(p, o, LP_DATA_LEN)) {
				r->nout--;
				continue;
			}
			sent++;
			bytes += LP_DATA_LEN;
		}
		lp_out_flush(r);
		receive_all(r);
	}
	double s = (double)(lp_mono_ns() - start) / 1e9;
	printf("loadpeers: mode=data peers=%u sent=%llu seconds=%.3f "
	       "offered_mbit=%.1f send_errors=%llu\n",
	       r->npeers, (unsigned long long)sent, s,
	       (double)bytes * 8 / s / 1e6,
	       (unsigned long long)r->c.send_errors);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: loadpeers conf N HUB_PRIVATE_KEY PORT\n"
		"       loadpeers sink PORT SECONDS [SOURCES]\n"
		"       loadpeers run [-m burst|restart|data] [-n N] [-P SENDERS]\n"
		"                 [-d SECONDS] [-t TIMEOUT] [-D] [-a FIRST_ADDR]\n"
		"                 [-i TUN_BASE] [-p LOCAL_PORT]\n"
		"                 HUB_ADDR HUB_PORT HUB_PUBLIC_KEY\n");
	return 2;
}

static int parse_run_opts(int argc, char **argv, struct lp_opts *o)
{
	int c;

	*o = (struct lp_opts){ .mode = "burst", .n = 1000, .senders = 100,
			       .seconds = 10, .timeout = 60, .port = 51999 };
	inet_pton(AF_INET, "10.77.128.1", &o->first);
	inet_pton(AF_INET, "10.100.0.0", &o->tun_base);
	while ((c = getopt(argc, argv, "m:n:P:d:t:Da:i:p:")) != -1) {
		switch (c) {
		case 'm': o->mode = optarg; break;
		case 'n': o->n = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'P': o->senders = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': o->seconds = atof(optarg); break;
		case 't': o->timeout = atof(optarg); break;
		case 'D': o->data_once = true; break;
		case 'a': if (inet_pton(AF_INET, optarg, &o->first) != 1) return -1; break;
		case 'i': if (inet_pton(AF_INET, optarg, &o->tun_base) != 1) return -1; break;
		case 'p': o->port = (uint16_t)atoi(optarg); break;
		default: return -1;
		}
	}
	if (strcmp(o->mode, "burst") && strcmp(o->mode, "restart") &&
	    strcmp(o->mode, "data"))
		return -1;
	if (!strcmp(o->mode, "data"))
		o->n = o->senders;
	return o->n >= 1 && o->n <= 60000 && argc - optind == 3 ? 0 : -1;
}

static int setup_run(struct lp_run *r, const struct lp_opts *o, char **argv)
{
	int fd;

	memset(r, 0, sizeof(*r));
	r->hub.sin_family = AF_INET;
	r->hub.sin_port = htons((uint16_t)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &r->hub.sin_addr) != 1 ||
	    lp_parse_key(r->hub_public, argv[2])) {
		fprintf(stderr, "loadpeers: bad hub address or key\n");
		return -1;
	}
	fd = open_socket(o->port);
	if (fd < 0) {
		fprintf(stderr, "loadpeers: socket: %s\n", strerror(-fd));
		return -1;
	}
	r->fd = fd;
	r->npeers = o->n;
	r->send_data_once = o->data_once;
	r->peers = calloc(o->n, sizeof(*r->peers));
	r->out = calloc(LP_BATCH, sizeof(*r->out));
	if (!r->peers || !r->out)
		return -1;
	for (uint32_t i = 0; i < o->n; i++)
		if (lp_peer_init(&r->peers[i], i, lp_addr_add(o->first, i),
				 lp_addr_add(o->tun_base, 2 + i),
				 r->hub_public))
			return -1;
	return 0;
}

static int run(int argc, char **argv)
{
	struct lp_opts o;
	struct lp_run r;
	uint64_t timeout;
	bool ok;

	if (parse_run_opts(argc, argv, &o))
		return usage();
	if (setup_run(&r, &o, argv + optind))
		return 1;
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	timeout = (uint64_t)(o.timeout * 1e9);
	burst(&r);
	ok = pump_until_sessions(&r, lp_mono_ns() + timeout);
	print_result(&r, !strcmp(o.mode, "data") ? "data-setup" : "burst");
	if (ok && !strcmp(o.mode, "restart"))
		ok = restart(&r, timeout);
	else if (ok && !strcmp(o.mode, "data"))
		send_data(&r, lp_addr_add(o.tun_base, 1), o.seconds);
	for (uint32_t i = 0; i < r.npeers; i++)
		lp_peer_free(&r.peers[i]);
	free(r.peers);
	free(r.out);
	close(r.fd);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct in_addr tun_base;

	if (crypto_init())
		return 1;
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 1, argv + 1);
	if (argc == 5 && !strcmp(argv[1], "conf")) {
		inet_pton(AF_INET, "10.100.0.0", &tun_base);
		return lp_print_conf((uint32_t)strtoul(argv[2], NULL, 10),
				     argv[3], (unsigned)atoi(argv[4]),
				     tun_base) ? 1 : 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sink"))
		return lp_sink((unsigned)atoi(argv[2]), atof(argv[3]),
			       argc == 5 ? (uint32_t)atoi(argv[4]) : 0);
	return usage();
}
