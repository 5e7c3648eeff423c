// SPDX-License-Identifier: MIT
/*
 * l2em -- a two-port Ethernet bridge in user space with netem's delay,
 * jitter, reordering, loss and duplication, for tests/e2e/netem.sh on
 * kernels built without sch_netem.  It runs in a namespace of its own
 * between two veth ends and copies every frame from one to the other
 * (both directions), each at its time:
 *
 *   l2em [-d DELAY_MS] [-j JITTER_MS] [-r REORDER_PCT] [-l LOSS_PCT]
 *        [-D DUP_PCT] [-m LIMIT] [-t SECONDS] IFACE1 IFACE2
 *
 *   -d, -j  each frame waits DELAY_MS plus a uniform -JITTER_MS..JITTER_MS
 *           (netem "delay D J" without a distribution table); frames leave
 *           in the order of their times, so jitter reorders them, as in
 *           netem's time-sorted queue
 *   -r      this percentage of frames goes at once, overtaking the delayed
 *           ones (netem "reorder R%", without correlation)
 *   -l      this percentage is dropped (netem "loss L%"; 100 = outage)
 *   -D      this percentage is also sent a second time, with a delay of
 *           its own (netem "duplicate D%")
 *   -m      at most LIMIT frames held, more are dropped (netem "limit";
 *           default 4000)
 *   -t      exit after SECONDS (default 120, at most 600); SIGTERM and
 *           SIGINT end it too
 *
 * Frames are read and written with AF_PACKET sockets (promiscuous, own
 * transmissions ignored) with PACKET_VNET_HDR, whose virtio_net_hdr carries
 * a checksum left to offload (veth senders leave UDP and TCP checksums
 * partial) from one port to the other, as a direct veth pair would.  The
 * senders should not hand the veth GSO superframes ("ip link set DEV
 * gso_max_segs 1" on their ends): l2em forwards single frames of at most
 * FRAME_MAX bytes and counts others as "oversize" drops.  That is also what
 * makes the impairments act on each datagram, as on a real path, where
 * netem acts on a whole GSO skb.
 *
 * Prints "l2em: ready" once both ports are open, and at exit
 * "l2em: seen=N sent=N lost=N dups=N at_once=N reordered=N overflow=N
 * oversize=N" (reordered: frames sent after one that arrived later).
 * Needs CAP_NET_RAW in its namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS 600
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
#define FRAME_MAX 2048	/* with the virtio_net_hdr in front */
#define RX_BUF 65536

struct options {
	double delay_ms, jitter_ms, reorder_pct, loss_pct, dup_pct, seconds;
	size_t limit;
	const char *ifname[2];
};

/* A held frame: where it goes, when, and its bytes (a slot of the pool). */
struct held {
	uint64_t due_ns;
	uint64_t seq;	/* arrival order; ties in due_ns keep it */
	int out;	/* port index, 0 or 1 */
	uint16_t len;
	uint8_t *data;
};

/* Binary min-heap by (due_ns, seq); free slots on a stack. */
struct queue {
	struct held *v;
	size_t len, cap;
	uint8_t **free_slots;
	size_t nfree;
	uint64_t seq;
	uint64_t last_seq[2];	/* highest seq sent out of each port */
};

struct counts {
	unsigned long long seen, sent, lost, dups, at_once, reordered, overflow,
		oversize;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Uniform in [0, 1), splitmix64 seeded from getrandom. */
static double uniform(void)
{
	static uint64_t s;
	uint64_t z;

	if (!s && getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = now_ns();
	z = (s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static bool before(const struct held *a, const struct held *b)
{
	return a->due_ns < b->due_ns ||
	       (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_push(struct queue *q, struct held x)
{
	size_t i = q->len++, parent;

	while (i) {
		parent = (i - 1) / 2;
		if (!before(&x, &q->v[parent]))
			break;
		q->v[i] = q->v[parent];
		i = parent;
	}
	q->v[i] = x;
}

static struct held heap_pop(struct queue *q)
{
	struct held top = q->v[0], last = q->v[--q->len];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < q->len) {
		if (c + 1 < q->len && before(&q->v[c + 1], &q->v[c]))
			c++;
		if (!before(&q->v[c], &last))
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->len)
		q->v[i] = last;
	return top;
}

static int queue_init(struct queue *q, size_t cap)
{
	size_t i;

	q->cap = cap;
	q->v = calloc(cap, sizeof(*q->v));
	q->free_slots = calloc(cap, sizeof(*q->free_slots));
	if (!q->v || !q->free_slots)
		return -1;
	for (i = 0; i < cap; i++) {
		q->free_slots[i] = malloc(FRAME_MAX);
		if (!q->free_slots[i])
			return -1;
	}
	q->nfree = cap;
	return 0;
}

/* ------------------------------------------------------------- ports */

static int port_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, size = 4 << 20;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0) {
		perror("l2em: packet socket (needs CAP_NET_RAW)");
		return -1;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	mr.mr_ifindex = sll.sll_ifindex;
	if (!sll.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
		       sizeof(one)) < 0) {
		fprintf(stderr, "l2em: %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	return fd;
}

/* ------------------------------------------------------------- the work */

static void hold(const struct options *o, struct queue *q, struct counts *c,
		 int out, const uint8_t *frame, size_t len, bool at_once)
{
	double wait_ms = 0;
	struct held h = { .out = out, .len = (uint16_t)len, .seq = ++q->seq };

	if (!q->nfree || q->len >= q->cap) {
		c->overflow++;
		return;
	}
	if (!at_once) {
		wait_ms = o->delay_ms + o->jitter_ms * (2 * uniform() - 1);
		if (wait_ms < 0)
			wait_ms = 0;
	}
	h.due_ns = now_ns() + (uint64_t)(wait_ms * 1e6);
	h.data = q->free_slots[--q->nfree];
	memcpy(h.data, frame, len);
	heap_push(q, h);
}

/* Decides the fate of one frame (virtio_net_hdr first) that came in and
 * is bound for out. */
static void admit(const struct options *o, struct queue *q, struct counts *c,
		  int out, const uint8_t *frame, size_t len)
{
	const struct virtio_net_hdr *vh = (const void *)frame;
	bool at_once;

	if (len <= VNET_HDR_LEN)
		return;
	c->seen++;
	if (len > FRAME_MAX || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		c->oversize++;
		return;
	}
	if (uniform() * 100 < o->loss_pct) {
		c->lost++;
		return;
	}
	at_once = uniform() * 100 < o->reorder_pct;
	if (at_once)
		c->at_once++;
	hold(o, q, c, out, frame, len, at_once);
	if (uniform() * 100 < o->dup_pct) {
		c->dups++;
		hold(o, q, c, out, frame, len, false);
	}
}

/* Sends what is due; a frame that leaves after one that came in later
 * (towards the same port) counts as reordered. */
static void release_due(const int fd[2], struct queue *q, struct counts *c)
{
	uint64_t now = now_ns();
	struct held h;

	while (q->len && q->v[0].due_ns <= now) {
		h = heap_pop(q);
		if (send(fd[h.out], h.data, h.len, 0) == (ssize_t)h.len)
			c->sent++;
		if (h.seq < q->last_seq[h.out])
			c->reordered++;
		else
			q->last_seq[h.out] = h.seq;
		q->free_slots[q->nfree++] = h.data;
	}
}

static void receive_all(const struct options *o, struct queue *q,
			struct counts *c, int in, int out, uint8_t *buf)
{
	struct sockaddr_ll from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(in, buf, RX_BUF, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		admit(o, q, c, out, buf, n > RX_BUF ? RX_BUF + 1 : (size_t)n);
	}
}

static void run(const struct options *o, const int fd[2], struct queue *q,
		struct counts *c)
{
	uint64_t end = now_ns() + (uint64_t)(o->seconds * 1e9), now, wait;
	struct pollfd pfd[2] = { { .fd = fd[0], .events = POLLIN },
				 { .fd = fd[1], .events = POLLIN } };
	struct timespec ts;
	uint8_t *buf = malloc(RX_BUF);

	if (!buf)
		return;
	while (!stop && (now = now_ns()) < end) {
		wait = end - now;
		if (q->len && q->v[0].due_ns < end)
			wait = q->v[0].due_ns > now ? q->v[0].due_ns - now : 0;
		ts.tv_sec = (time_t)(wait / 1000000000u);
		ts.tv_nsec = (long)(wait % 1000000000u);
		if (ppoll(pfd, 2, &ts, NULL) > 0) {
			if (pfd[0].revents & POLLIN)
				receive_all(o, q, c, fd[0], 1, buf);
			if (pfd[1].revents & POLLIN)
				receive_all(o, q, c, fd[1], 0, buf);
		}
		release_due(fd, q, c);
	}
	free(buf);
}

static void usage(void)
{
	fprintf(stderr, "usage: l2em [-d DELAY_MS] [-j JITTER_MS] "
			"[-r REORDER_PCT] [-l LOSS_PCT] [-D DUP_PCT] [-m LIMIT] "
			"[-t SECONDS] IFACE1 IFACE2\n");
	exit(2);
}

static double number(const char *s, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || !(v >= 0 && v <= max))
		usage();
	return v;
}

static void parse_options(struct options *o, int argc, char **argv)
{
	int opt;

	*o = (struct options){ .limit = 4000, .seconds = 120 };
	while ((opt = getopt(argc, argv, "d:j:r:l:D:m:t:")) != -1) {
		switch (opt) {
		case 'd':
			o->delay_ms = number(optarg, 10000);
			break;
		case 'j':
			o->jitter_ms = number(optarg, 10000);
			break;
		case 'r':
			o->reorder_pct = number(optarg, 100);
			break;
		case 'l':
			o->loss_pct = number(optarg, 100);
			break;
		case 'D':
			o->dup_pct = number(optarg, 100);
			break;
		case 'm':
			o->limit = (size_t)number(optarg, 100000);
			break;
		case 't':
			o->seconds = number(optarg, MAX_SECONDS);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || !o->limit)
		usage();
	o->ifname[0] = argv[optind];
	o->ifname[1] = argv[optind + 1];
}

int main(int argc, char **argv)
{
	struct options o;
	struct counts c = { 0 };
	struct queue q = { 0 };
	int fd[2];

	parse_options(&o, argc, argv);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (queue_init(&q, o.limit) < 0) {
		fprintf(stderr, "l2em: out of memory\n");
		return 1;
	}
	fd[0] = port_open(o.ifname[0]);
	fd[1] = port_open(o.ifname[1]);
	if (fd[0] < 0 || fd[1] < 0)
		return 1;
	printf("l2em: ready\n");
	fflush(stdout);
	run(&o, fd, &q, &c);
	printf("l2em: seen=%llu sent=%llu lost=%llu dups=%llu at_once=%llu "
	       "reordered=%llu overflow=%llu oversize=%llu\n",
	       c.seen, c.sent, c.lost, c.dups, c.at_once, c.reordered,
	       c.overflow, c.oversize);
	return 0;
}
