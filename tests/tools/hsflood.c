// SPDX-License-Identifier: MIT
/*
 * hsflood -- a handshake flooder for tests/e2e/flood.sh: sends WireGuard
 * datagrams at a target rate from many spoofed source addresses, to see
 * how a daemon copes with the denial-of-service the cookie mechanism
 * (whitepaper 5.3, 5.4.7) is there for.  It runs only inside a network
 * namespace the test created, towards an address in another one.
 *
 *   hsflood [-m MODE] [-k PUBKEY] [-s PREFIX] [-r RATE] [-d SECONDS]
 *           [-n COUNT] DST_ADDR DST_PORT
 *
 *   -m init    handshake initiations (148 bytes, type 1) with random
 *              sender_index, ephemeral and encrypted fields and a VALID
 *              mac1 for the responder key PUBKEY: mac1 = BLAKE2s-128 keyed
 *              with HASH(LABEL_MAC1 || PUBKEY) over the first 116 bytes;
 *              mac2 is zero, as from an initiator holding no cookie
 *   -m badmac  the same with a random (wrong) mac1
 *   -m data    transport data messages (type 4) with random receiver
 *              indexes and counters, 32..160 bytes
 *   -m random  random bytes, 1..512 bytes long
 *   -m mac2    not a flood from spoofed sources: what a rate limiter sees
 *              from real ones.  For every line "ADDRESS PRIVATE_KEY" of
 *              -S FILE, a UDP socket bound to ADDRESS (the namespace must
 *              own it) speaks as the peer with that private key (base64):
 *              genuine handshake initiations (Noise IK, whitepaper 5.4.2)
 *              to the responder PUBKEY.  First, while the responder is
 *              under load, each source sends initiations with mac2 zero
 *              until it gets a cookie reply, which it decrypts
 *              (XChaCha20-Poly1305, key HASH(LABEL_COOKIE || PUBKEY), the
 *              reply's nonce, the mac1 of the initiation it answers as
 *              associated data: 5.4.7); then for SECONDS all sources send
 *              initiations with a valid mac1 AND mac2, RATE in all, in
 *              turn, and count the handshake responses they get back: each
 *              one is an initiation the responder let through its
 *              per-source rate limit (5.3).  Each peer sends at most
 *              INITIATIONS_PER_SECOND (50/s), so the responder never
 *              refuses one as an initiation flood of that peer.
 *   -S FILE    the sources of -m mac2 (at most MAX_SOURCES lines)
 *   -k PUBKEY  responder public key, base64 as `wg pubkey` prints it
 *              (needed for -m init)
 *   -s PREFIX  spoofed sources: a random address in PREFIX and a random
 *              port 1024..65535 for every datagram (default
 *              10.200.0.0/16; an IPv6 prefix such as fd99:1::/48 varies
 *              the /64 as well as the host part)
 *   -r RATE    datagrams per second, token-bucket paced; 0 = as fast as
 *              possible (default 50000)
 *   -d SECONDS how long, 0 < SECONDS <= 600 (default 10)
 *   -n COUNT   stop after COUNT datagrams
 *   -P POOL    init/badmac: draw the initiations from a pool of POOL
 *              distinct ones (each with its own random fields and mac1)
 *              made before the clock starts, 0 = make every one afresh
 *              (default 65536; blake2s() through EVP costs a few us, which
 *              would cap the rate of one sender near 40,000/s on a busy
 *              machine).  The IP source and port are drawn per datagram
 *              either way, and a responder keeps no state per initiation
 *              it answers with a cookie reply, so reuse does not matter.
 *
 * The datagrams are built with their IP and UDP headers (raw socket,
 * IP_HDRINCL / IPPROTO_RAW) so the source can be anything; the kernel of
 * the target checks the UDP checksum, so it is computed.  Sent in batches
 * of up to BATCH with sendmmsg.  Needs CAP_NET_RAW.
 *
 * On exit prints one line on stdout:
 *   hsflood: mode=init sent=N errors=N seconds=S rate=R
 * (rate in datagrams per second) and exits 0 if anything was sent.  With
 * -m mac2, first one line per source
 *   source ADDRESS sent=N responses=N
 * then
 *   hsflood: mode=mac2 sources=N cookies=N early_responses=N
 *            late_cookie_replies=N responses=N resp_min=N resp_max=N
 *            sent=N errors=N seconds=S rate=R
 * (one line; cookies: sources that got a cookie; early_responses: handshake
 * responses to the cookie-less initiations, i.e. the responder was not
 * under load; late_cookie_replies: cookie replies to initiations that
 * carried mac2, i.e. it did not accept the cookie; responses counted up to
 * 0.5 s after the last initiation; seconds: the mac2 phase) and exits 0
 * if every source got a cookie.
 *
 * Built by the tests with
 *   cc -O2 -Icommon -Idaemon tests/tools/hsflood.c common/crypto.c \
 *      common/crypto_{aead,hash,random,x25519}.c common/key.c -lcrypto
 * for the daemon's X25519, AEADs and BLAKE2s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "messages.h"

#define BATCH 64
#define MAX_PAYLOAD 512
#define MAX_PACKET (sizeof(struct ip6_hdr) + sizeof(struct udphdr) + MAX_PAYLOAD)
#define MAX_SECONDS 600
#define MAX_SOURCES 256
#define COOKIE_WAIT_SECONDS 5.0	/* -m mac2: every source has a cookie by then */
#define COOKIE_RETRY_SECONDS 0.25
#define DRAIN_SECONDS 0.5	/* -m mac2: responses still counted after */

enum mode { MODE_INIT, MODE_BADMAC, MODE_DATA, MODE_RANDOM, MODE_MAC2 };

static const char *const mode_names[] = {
	[MODE_INIT] = "init",
	[MODE_BADMAC] = "badmac",
	[MODE_DATA] = "data",
	[MODE_RANDOM] = "random",
	[MODE_MAC2] = "mac2",
};

/* Spoofed source range and destination, one address family. */
struct addr_plan {
	int family;
	uint8_t prefix[16];
	unsigned int prefix_len;
	uint8_t dst[16];
	uint16_t dst_port;
};

struct options {
	enum mode mode;
	uint8_t mac1_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t responder[NOISE_PUBLIC_KEY_LEN];
	bool has_key;
	const char *sources_file;
	double rate;
	double seconds;
	unsigned long long max_count;
	struct addr_plan plan;
	uint8_t (*pool)[MESSAGE_INITIATION_LEN];
	size_t pool_len;
};

/* One batch of datagrams for sendmmsg. */
struct batch {
	uint8_t pkt[BATCH][MAX_PACKET];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	struct sockaddr_storage dst;
	socklen_t dst_len;
};

/* ---------------------------------------------------------- randomness */

/* xoshiro256** seeded from getrandom: fast, and nothing here is secret. */
static uint64_t rng_state[4];

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t result = rotl(rng_state[1] * 5, 7) * 9;
	uint64_t t = rng_state[1] << 17;

	rng_state[2] ^= rng_state[0];
	rng_state[3] ^= rng_state[1];
	rng_state[1] ^= rng_state[2];
	rng_state[0] ^= rng_state[3];
	rng_state[2] ^= t;
	rng_state[3] = rotl(rng_state[3], 45);
	return result;
}

static int rng_seed(void)
{
	if (getrandom(rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		return -1;
	rng_state[0] |= 1;
	return 0;
}

static void rng_fill(uint8_t *p, size_t len)
{
	uint64_t r;

	while (len >= 8) {
		r = rng_next();
		memcpy(p, &r, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		r = rng_next();
		memcpy(p, &r, len);
	}
}

/* Uniform enough in lo..hi for a test (hi - lo far below 2^32). */
static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rng_next() % ((uint64_t)hi - lo + 1));
}

/* -------------------------------------------------------------- parsing */

/* "ADDR/LEN" into plan->family, prefix, prefix_len. 0 or -1. */
static int parse_prefix(struct addr_plan *plan, const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	len = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1)
		return -1;
	memset(plan->prefix, 0, sizeof(plan->prefix));
	if (inet_pton(AF_INET, buf, plan->prefix) == 1 && len <= 32)
		plan->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, plan->prefix) == 1 && len <= 128)
		plan->family = AF_INET6;
	else
		return -1;
	plan->prefix_len = (unsigned int)len;
	return 0;
}

static int parse_dst(struct addr_plan *plan, const char *addr,
		     const char *port)
{
	char *end;
	unsigned long p = strtoul(port, &end, 10);

	if (*end || !*port || !p || p > 65535)
		return -1;
	plan->dst_port = (uint16_t)p;
	if (inet_pton(plan->family, addr, plan->dst) != 1)
		return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hsflood [-m init|badmac|data|random|mac2] [-k PUBKEY] "
		"[-s PREFIX] [-r RATE] [-d SECONDS] [-n COUNT] [-P POOL] "
		"[-S FILE] DST_ADDR DST_PORT\n");
	exit(2);
}

static int parse_mode(enum mode *mode, const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(arg, mode_names[i])) {
			*mode = (enum mode)i;
			return 0;
		}
	}
	return -1;
}

/* HASH(LABEL_MAC1 || public_key), the key of every mac1 to that peer. */
static void mac1_key_of(uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
			const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN])
{
	blake2s_2(key, (const uint8_t *)LABEL_MAC1, strlen(LABEL_MAC1),
		  public_key, NOISE_PUBLIC_KEY_LEN);
}

static void parse_options(struct options *o, int argc, char **argv)
{
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
	char *end;
	int c;

	*o = (struct options){ .mode = MODE_INIT, .rate = 50000, .seconds = 10,
			       .pool_len = 65536 };
	if (parse_prefix(&o->plan, "10.200.0.0/16"))
		usage();
	while ((c = getopt(argc, argv, "m:k:s:r:d:n:P:S:")) != -1) {
		switch (c) {
		case 'm':
			if (parse_mode(&o->mode, optarg))
				usage();
			break;
		case 'k':
			if (key_from_base64(public_key, optarg)) {
				fprintf(stderr, "hsflood: bad public key\n");
				exit(2);
			}
			mac1_key_of(o->mac1_key, public_key);
			memcpy(o->responder, public_key, sizeof(public_key));
			o->has_key = true;
			break;
		case 's':
			if (parse_prefix(&o->plan, optarg)) {
				fprintf(stderr, "hsflood: bad prefix %s\n", optarg);
				exit(2);
			}
			break;
		case 'r':
			o->rate = strtod(optarg, &end);
			if (*end || o->rate < 0)
				usage();
			break;
		case 'd':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0 && o->seconds <= MAX_SECONDS))
				usage();
			break;
		case 'n':
			o->max_count = strtoull(optarg, &end, 10);
			if (*end)
				usage();
			break;
		case 'P':
			o->pool_len = strtoul(optarg, &end, 10);
			if (*end || o->pool_len > (1u << 20))
				usage();
			break;
		case 'S':
			o->sources_file = optarg;
			break;
		default:
			usage();
		}
	}
	/* -m mac2 sends from real sockets: the destination sets the family. */
	if (o->mode == MODE_MAC2 && argc - optind == 2)
		o->plan.family = strchr(argv[optind], ':') ? AF_INET6 : AF_INET;
	if (argc - optind != 2 || parse_dst(&o->plan, argv[optind], argv[optind + 1]))
		usage();
	if ((o->mode == MODE_INIT || o->mode == MODE_MAC2) && !o->has_key) {
		fprintf(stderr, "hsflood: -m %s needs -k PUBKEY\n",
			mode_names[o->mode]);
		exit(2);
	}
	if (o->mode == MODE_MAC2 && !o->sources_file) {
		fprintf(stderr, "hsflood: -m mac2 needs -S FILE\n");
		exit(2);
	}
}

/* ------------------------------------------------------------- payloads */

static size_t make_initiation(const struct options *o, uint8_t *p)
{
	struct message_handshake_initiation *msg = (void *)p;

	rng_fill(p, sizeof(*msg));
	msg->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	memset(msg->macs.mac2, 0, MAC_LEN);
	if (o->mode == MODE_INIT)
		blake2s(msg->macs.mac1, MAC_LEN, o->mac1_key,
			sizeof(o->mac1_key), p,
			offsetof(struct message_handshake_initiation, macs));
	return sizeof(*msg);
}

static size_t payload_initiation(const struct options *o, uint8_t *p)
{
	if (!o->pool_len)
		return make_initiation(o, p);
	memcpy(p, o->pool[rng_next() % o->pool_len], MESSAGE_INITIATION_LEN);
	return MESSAGE_INITIATION_LEN;
}

/* The pool of -P, for the initiation modes. 0 or -1. */
static int pool_fill(struct options *o)
{
	size_t i;

	if (o->mode != MODE_INIT && o->mode != MODE_BADMAC)
		o->pool_len = 0;
	if (!o->pool_len)
		return 0;
	o->pool = calloc(o->pool_len, sizeof(*o->pool));
	if (!o->pool)
		return -1;
	for (i = 0; i < o->pool_len; i++)
		make_initiation(o, o->pool[i]);
	return 0;
}

static size_t payload_data(uint8_t *p)
{
	size_t len = MESSAGE_DATA_HEADER_LEN + 16 * rng_range(0, 8) +
		     NOISE_AUTHTAG_LEN;

	rng_fill(p, len);
	((struct message_data *)p)->header.type = htole32(MESSAGE_DATA);
	return len;
}

static size_t payload_random(uint8_t *p)
{
	size_t len = rng_range(1, MAX_PAYLOAD);

	rng_fill(p, len);
	return len;
}

static size_t make_payload(const struct options *o, uint8_t *p)
{
	switch (o->mode) {
	case MODE_INIT:
	case MODE_BADMAC:
		return payload_initiation(o, p);
	case MODE_DATA:
		return payload_data(p);
	case MODE_RANDOM:
	case MODE_MAC2:	/* sends its own initiations, never these */
		break;
	}
	return payload_random(p);
}

/* ------------------------------------------------------- IP and UDP */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A random address in the prefix: prefix bits kept, the rest random. */
static void random_source(const struct addr_plan *plan, uint8_t *addr)
{
	size_t n = plan->family == AF_INET ? 4 : 16;
	unsigned int i, bit;

	rng_fill(addr, n);
	for (i = 0; i < plan->prefix_len; i++) {
		bit = 0x80 >> (i % 8);
		addr[i / 8] = (uint8_t)((addr[i / 8] & ~bit) |
					(plan->prefix[i / 8] & bit));
	}
}

/* UDP header and checksum over the pseudo-header; payload follows udp. */
static void fill_udp(struct udphdr *udp, const uint8_t *src,
		     const uint8_t *dst, size_t addr_len, uint16_t dst_port,
		     size_t payload_len)
{
	uint16_t udp_len = (uint16_t)(sizeof(*udp) + payload_len);
	uint32_t sum = 0;

	udp->source = htons((uint16_t)rng_range(1024, 65535));
	udp->dest = htons(dst_port);
	udp->len = htons(udp_len);
	udp->check = 0;
	sum = csum_add(sum, src, addr_len);
	sum = csum_add(sum, dst, addr_len);
	sum += IPPROTO_UDP + udp_len;
	sum = csum_add(sum, (const uint8_t *)udp, udp_len);
	udp->check = htons(csum_fold(sum));
	if (!udp->check)
		udp->check = 0xffff;
}

static size_t build_ipv4(const struct options *o, uint8_t *pkt)
{
	struct iphdr *ip = (void *)pkt;
	struct udphdr *udp = (void *)(ip + 1);
	size_t payload_len = make_payload(o, (uint8_t *)(udp + 1));
	size_t total = sizeof(*ip) + sizeof(*udp) + payload_len;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)total);
	ip->id = (uint16_t)rng_next();
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	random_source(&o->plan, (uint8_t *)&ip->saddr);
	memcpy(&ip->daddr, o->plan.dst, 4);
	/* The kernel fills in the header checksum for IP_HDRINCL. */
	fill_udp(udp, (uint8_t *)&ip->saddr, (uint8_t *)&ip->daddr, 4,
		 o->plan.dst_port, payload_len);
	return total;
}

static size_t build_ipv6(const struct options *o, uint8_t *pkt)
{
	struct ip6_hdr *ip6 = (void *)pkt;
	struct udphdr *udp = (void *)(ip6 + 1);
	size_t payload_len = make_payload(o, (uint8_t *)(udp + 1));

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons((uint16_t)(sizeof(*udp) + payload_len));
	ip6->ip6_nxt = IPPROTO_UDP;
	ip6->ip6_hlim = 64;
	random_source(&o->plan, ip6->ip6_src.s6_addr);
	memcpy(ip6->ip6_dst.s6_addr, o->plan.dst, 16);
	fill_udp(udp, ip6->ip6_src.s6_addr, ip6->ip6_dst.s6_addr, 16,
		 o->plan.dst_port, payload_len);
	return sizeof(*ip6) + sizeof(*udp) + payload_len;
}

/* ------------------------------------------------------------- sending */

static int open_raw(const struct addr_plan *plan, struct batch *b)
{
	int one = 1, sndbuf = 4 << 20;
	int fd = socket(plan->family, SOCK_RAW, IPPROTO_RAW);

	if (fd < 0) {
		perror("hsflood: raw socket (needs CAP_NET_RAW)");
		return -1;
	}
	/* IPPROTO_RAW implies the header is ours; say so for IPv4 anyway. */
	if (plan->family == AF_INET &&
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("hsflood: IP_HDRINCL");
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	memset(&b->dst, 0, sizeof(b->dst));
	if (plan->family == AF_INET) {
		struct sockaddr_in *in = (void *)&b->dst;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, plan->dst, 4);
		b->dst_len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (void *)&b->dst;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, plan->dst, 16);
		b->dst_len = sizeof(*in6);
	}
	return fd;
}

static void batch_fill(struct batch *b, const struct options *o, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		b->iov[i].iov_base = b->pkt[i];
		b->iov[i].iov_len = o->plan.family == AF_INET ?
					    build_ipv4(o, b->pkt[i]) :
					    build_ipv6(o, b->pkt[i]);
		b->msg[i] = (struct mmsghdr){
			.msg_hdr = { .msg_name = &b->dst,
				     .msg_namelen = b->dst_len,
				     .msg_iov = &b->iov[i],
				     .msg_iovlen = 1 },
		};
	}
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

struct totals {
	unsigned long long sent, errors;
	double seconds;
};

/*
 * Token bucket: RATE tokens a second, at most one batch (or 5 ms worth,
 * whichever is more) saved up, so the rate is even at the scale of a
 * few milliseconds; a datagram spends one token.
 */
static void flood(int fd, struct batch *b, const struct options *o,
		  struct totals *t)
{
	double start = now_seconds(), last = start, now, tokens = 0;
	double burst = o->rate * 0.005 > BATCH ? o->rate * 0.005 : BATCH;
	unsigned long long left;
	int n, r;

	for (;;) {
		now = now_seconds();
		if (now - start >= o->seconds)
			break;
		if (o->max_count && t->sent >= o->max_count)
			break;
		n = BATCH;
		if (o->rate > 0) {
			tokens += (now - last) * o->rate;
			if (tokens > burst)
				tokens = burst;
			last = now;
			if (tokens < 1) {
				sleep_seconds((BATCH / 4.0 - tokens) / o->rate);
				continue;
			}
			if (tokens < n)
				n = (int)tokens;
		}
		if (o->max_count) {
			left = o->max_count - t->sent;
			if (left < (unsigned long long)n)
				n = (int)left;
		}
		batch_fill(b, o, n);
		r = sendmmsg(fd, b->msg, (unsigned int)n, 0);
		if (r < 0) {
			if (errno != EINTR)
				t->errors++;
			if (errno == ENOBUFS || errno == EAGAIN)
				sleep_seconds(0.0005);
			continue;
		}
		t->sent += (unsigned long long)r;
		tokens -= r;
	}
	t->seconds = now_seconds() - start;
}

/* ------------------------------------------- genuine initiations (mac2) */

/*
 * One source of -m mac2: a socket bound to an address this namespace owns,
 * the peer it speaks as, and what came back to it.  Every initiation of a
 * source reuses one ephemeral key (the responder cannot tell, and it
 * spares two DH per message), so the message up to the encrypted timestamp
 * and the handshake state at that point are computed once.
 */
struct source {
	char name[INET6_ADDRSTRLEN];
	int fd;
	uint8_t prefix[offsetof(struct message_handshake_initiation,
				encrypted_timestamp)];
	uint8_t hash[NOISE_HASH_LEN];		 /* H before the timestamp */
	uint8_t ts_key[NOISE_SYMMETRIC_KEY_LEN]; /* its AEAD key */
	uint64_t last_stamp_ns;
	uint8_t last_mac1[MAC_LEN];	/* AD of the cookie reply to expect */
	uint8_t cookie[COOKIE_LEN];
	bool has_cookie;
	double next_send;
	unsigned long long sent, responses, early_responses, late_cookies;
};

struct mac2_run {
	struct source *src;
	size_t n;
	uint8_t cookie_key[NOISE_SYMMETRIC_KEY_LEN]; /* HASH(LABEL_COOKIE || S_r) */
	unsigned long long errors;
};

/* (C, k) = KDF2(C, input), or C = KDF1(C, input) when k is NULL: HKDF
 * with HMAC-BLAKE2s, t0 = HMAC(C, input), t1 = HMAC(t0, 0x1),
 * t2 = HMAC(t0, t1 || 0x2) (whitepaper 5.4). */
static void kdf(uint8_t c[static NOISE_HASH_LEN], uint8_t *k,
		const uint8_t *in, size_t len)
{
	uint8_t t0[NOISE_HASH_LEN], t1[NOISE_HASH_LEN + 1], one = 1;

	hmac_blake2s(t0, c, NOISE_HASH_LEN, in, len);
	hmac_blake2s(t1, t0, sizeof(t0), &one, 1);
	if (k) {
		t1[NOISE_HASH_LEN] = 2;
		hmac_blake2s(k, t0, sizeof(t0), t1, sizeof(t1));
	}
	memcpy(c, t1, NOISE_HASH_LEN);
	crypto_wipe(t0, sizeof(t0));
	crypto_wipe(t1, sizeof(t1));
}

/*
 * The initiator's side of Noise IK up to the timestamp (whitepaper 5.4.2):
 *   C = HASH(CONSTRUCTION), H = HASH(HASH(C || IDENTIFIER) || S_r)
 *   C = KDF1(C, E_i), H = HASH(H || E_i)
 *   (C, k) = KDF2(C, DH(e_i, S_r)), static = AEAD(k, 0, S_i, H)
 *   H = HASH(H || static), (C, k) = KDF2(C, DH(s_i, S_r))
 * leaving k for the timestamp and H as its associated data.  0 or -1.
 */
static int source_handshake(struct source *src,
			    const uint8_t priv[static NOISE_PUBLIC_KEY_LEN],
			    const uint8_t responder[static NOISE_PUBLIC_KEY_LEN])
{
	struct message_handshake_initiation *m = (void *)src->prefix;
	uint8_t c[NOISE_HASH_LEN], h[NOISE_HASH_LEN], k[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t e_priv[NOISE_PUBLIC_KEY_LEN], dh[NOISE_PUBLIC_KEY_LEN];
	uint8_t s_pub[NOISE_PUBLIC_KEY_LEN];
	int ret = -1;

	blake2s(c, sizeof(c), NULL, 0, (const uint8_t *)NOISE_CONSTRUCTION,
		strlen(NOISE_CONSTRUCTION));
	blake2s_2(h, c, sizeof(c), (const uint8_t *)NOISE_IDENTIFIER,
		  strlen(NOISE_IDENTIFIER));
	blake2s_2(h, h, sizeof(h), responder, NOISE_PUBLIC_KEY_LEN);
	if (x25519_generate_private(e_priv) < 0)
		goto out;
	x25519_public_from_private(m->unencrypted_ephemeral, e_priv);
	kdf(c, NULL, m->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);
	blake2s_2(h, h, sizeof(h), m->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);
	if (!x25519(dh, e_priv, responder))
		goto out;
	kdf(c, k, dh, sizeof(dh));
	x25519_public_from_private(s_pub, priv);
	chacha20poly1305_encrypt(m->encrypted_static, s_pub, sizeof(s_pub), h,
				 sizeof(h), 0, k);
	blake2s_2(h, h, sizeof(h), m->encrypted_static,
		  sizeof(m->encrypted_static));
	if (!x25519(dh, priv, responder))
		goto out;
	kdf(c, src->ts_key, dh, sizeof(dh));
	memcpy(src->hash, h, sizeof(h));
	ret = 0;
out:
	crypto_wipe(c, sizeof(c));
	crypto_wipe(k, sizeof(k));
	crypto_wipe(e_priv, sizeof(e_priv));
	crypto_wipe(dh, sizeof(dh));
	return ret;
}

/* TAI64N of the wall clock, strictly later than this source's last one:
 * the responder refuses a timestamp not newer than the last it accepted. */
static void source_stamp(struct source *src, uint8_t out[static NOISE_TIMESTAMP_LEN])
{
	struct timespec ts;
	uint64_t ns, secs;
	uint32_t frac;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (ns <= src->last_stamp_ns)
		ns = src->last_stamp_ns + 1;
	src->last_stamp_ns = ns;
	secs = htobe64(0x400000000000000aULL + ns / 1000000000u);
	frac = htobe32((uint32_t)(ns % 1000000000u));
	memcpy(out, &secs, 8);
	memcpy(out + 8, &frac, 4);
}

/* A fresh initiation of src: new index and timestamp, mac1, and mac2 from
 * src's cookie when with_mac2 (zero otherwise, as without a cookie). */
static void source_initiation(struct source *src, const struct options *o,
			      uint8_t out[static MESSAGE_INITIATION_LEN],
			      bool with_mac2)
{
	struct message_handshake_initiation *m = (void *)out;
	uint8_t stamp[NOISE_TIMESTAMP_LEN];

	memcpy(out, src->prefix, sizeof(src->prefix));
	m->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	m->sender_index = (uint32_t)rng_next();
	source_stamp(src, stamp);
	chacha20poly1305_encrypt(m->encrypted_timestamp, stamp, sizeof(stamp),
				 src->hash, sizeof(src->hash), 0, src->ts_key);
	blake2s(m->macs.mac1, MAC_LEN, o->mac1_key, sizeof(o->mac1_key), out,
		offsetof(struct message_handshake_initiation, macs));
	memcpy(src->last_mac1, m->macs.mac1, MAC_LEN);
	if (with_mac2)
		blake2s(m->macs.mac2, MAC_LEN, src->cookie, COOKIE_LEN, out,
			offsetof(struct message_handshake_initiation, macs.mac2));
	else
		memset(m->macs.mac2, 0, MAC_LEN);
}

/* The socket of src: bound to its address, connected to the responder, so
 * only the responder's answers arrive on it.  0 or -1. */
static int source_open(struct source *src, const struct options *o)
{
	struct sockaddr_storage local = { 0 }, dst = { 0 };
	socklen_t len;

	if (o->plan.family == AF_INET6) {
		struct sockaddr_in6 *l6 = (void *)&local, *d6 = (void *)&dst;

		l6->sin6_family = d6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, src->name, &l6->sin6_addr) != 1)
			return -1;
		memcpy(&d6->sin6_addr, o->plan.dst, 16);
		d6->sin6_port = htons(o->plan.dst_port);
		len = sizeof(*l6);
	} else {
		struct sockaddr_in *l4 = (void *)&local, *d4 = (void *)&dst;

		l4->sin_family = d4->sin_family = AF_INET;
		if (inet_pton(AF_INET, src->name, &l4->sin_addr) != 1)
			return -1;
		memcpy(&d4->sin_addr, o->plan.dst, 4);
		d4->sin_port = htons(o->plan.dst_port);
		len = sizeof(*l4);
	}
	src->fd = socket(o->plan.family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (src->fd < 0)
		return -1;
	if (bind(src->fd, (struct sockaddr *)&local, len) < 0 ||
	    connect(src->fd, (struct sockaddr *)&dst, len) < 0) {
		fprintf(stderr, "hsflood: source %s: %s\n", src->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* -S FILE: "ADDRESS PRIVATE_KEY" lines; sockets opened, handshakes
 * prepared.  0 or -1 (with a message). */
static int sources_load(struct mac2_run *run, const struct options *o)
{
	char line[256], key64[64];
	uint8_t priv[NOISE_PUBLIC_KEY_LEN];
	FILE *f = fopen(o->sources_file, "r");
	int ret = 0;

	if (!f) {
		perror("hsflood: -S");
		return -1;
	}
	run->src = calloc(MAX_SOURCES, sizeof(*run->src));
	if (!run->src) {
		fclose(f);
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		struct source *src = &run->src[run->n];

		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (run->n == MAX_SOURCES ||
		    sscanf(line, "%45s %63s", src->name, key64) != 2 ||
		    key_from_base64(priv, key64) ||
		    source_handshake(src, priv, o->responder) ||
		    source_open(src, o)) {
			fprintf(stderr, "hsflood: -S: bad source line %zu\n",
				run->n + 1);
			ret = -1;
		}
		run->n++;
	}
	crypto_wipe(priv, sizeof(priv));
	crypto_wipe(key64, sizeof(key64));
	crypto_wipe(line, sizeof(line));
	fclose(f);
	if (!ret && !run->n) {
		fprintf(stderr, "hsflood: -S: no sources\n");
		ret = -1;
	}
	return ret;
}

static void source_send(struct mac2_run *run, struct source *src,
			const struct options *o, bool with_mac2)
{
	uint8_t msg[MESSAGE_INITIATION_LEN];

	source_initiation(src, o, msg, with_mac2);
	if (send(src->fd, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		run->errors++;
	else if (with_mac2)
		src->sent++;
}

/* A cookie reply for src's last initiation: decrypt and keep the cookie
 * (whitepaper 5.4.7).  False if it does not open. */
static bool source_take_cookie(struct source *src, const struct mac2_run *run,
			       const uint8_t *buf)
{
	const struct message_handshake_cookie *r = (const void *)buf;
	uint8_t cookie[COOKIE_LEN];

	if (!xchacha20poly1305_decrypt(cookie, r->encrypted_cookie,
				       sizeof(r->encrypted_cookie),
				       src->last_mac1, MAC_LEN, r->nonce,
				       run->cookie_key))
		return false;
	memcpy(src->cookie, cookie, COOKIE_LEN);
	src->has_cookie = true;
	crypto_wipe(cookie, sizeof(cookie));
	return true;
}

/* Everything waiting on src's socket: handshake responses and cookie
 * replies, counted by phase. */
static void source_receive(struct source *src, const struct mac2_run *run,
			   bool mac2_phase)
{
	uint8_t buf[256];
	ssize_t n;

	while ((n = recv(src->fd, buf, sizeof(buf), 0)) > 0) {
		if (n == MESSAGE_RESPONSE_LEN &&
		    buf[0] == MESSAGE_HANDSHAKE_RESPONSE) {
			if (mac2_phase)
				src->responses++;
			else
				src->early_responses++;
		} else if (n == MESSAGE_COOKIE_LEN &&
			   buf[0] == MESSAGE_HANDSHAKE_COOKIE) {
			if (mac2_phase)
				src->late_cookies++;
			source_take_cookie(src, run, buf);
		}
	}
}

/* Waits up to `seconds` for answers on every socket and reads them. */
static void mac2_poll(struct mac2_run *run, double seconds, bool mac2_phase)
{
	struct pollfd pfd[MAX_SOURCES];
	struct timespec ts;
	size_t i;

	if (seconds < 0)
		seconds = 0;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	for (i = 0; i < run->n; i++)
		pfd[i] = (struct pollfd){ .fd = run->src[i].fd, .events = POLLIN };
	if (ppoll(pfd, run->n, &ts, NULL) <= 0)
		return;
	for (i = 0; i < run->n; i++)
		if (pfd[i].revents & POLLIN)
			source_receive(&run->src[i], run, mac2_phase);
}

/* Phase 1: cookie-less initiations from every source still without a
 * cookie, every COOKIE_RETRY_SECONDS, until all have one.  True then. */
static bool mac2_get_cookies(struct mac2_run *run, const struct options *o)
{
	double start = now_seconds(), round;
	size_t i, missing;

	for (;;) {
		missing = 0;
		for (i = 0; i < run->n; i++)
			if (!run->src[i].has_cookie) {
				source_send(run, &run->src[i], o, false);
				missing++;
			}
		if (!missing)
			return true;
		if (now_seconds() - start >= COOKIE_WAIT_SECONDS)
			return false;
		round = now_seconds();
		while (now_seconds() - round < COOKIE_RETRY_SECONDS)
			mac2_poll(run, COOKIE_RETRY_SECONDS -
					       (now_seconds() - round), false);
	}
}

/*
 * Phase 2: RATE initiations a second with mac1 and mac2, the sources in
 * turn, each every n / RATE s.  A source that fell behind does not catch
 * up in a burst: its sends stay at least 0.9 of its period apart, so a
 * peer never sends two within 1 / INITIATIONS_PER_SECOND (RATE is
 * checked in run_mac2) and what limits the answers is the rate limiter
 * alone.
 */
static double mac2_send_phase(struct mac2_run *run, const struct options *o)
{
	double period = (double)run->n / o->rate, start = now_seconds(), now,
	       next, end = start + o->seconds;
	size_t i;

	for (i = 0; i < run->n; i++)
		run->src[i].next_send = start + (double)i / o->rate;
	while ((now = now_seconds()) < end) {
		next = end;
		for (i = 0; i < run->n; i++) {
			struct source *src = &run->src[i];

			if (now >= src->next_send) {
				source_send(run, src, o, true);
				src->next_send += period;
				if (src->next_send < now + 0.9 * period)
					src->next_send = now + 0.9 * period;
			}
			if (src->next_send < next)
				next = src->next_send;
		}
		mac2_poll(run, next - now_seconds(), true);
	}
	return now_seconds() - start;
}

/* -m mac2 from start to end, the report included; the exit status. */
static int run_mac2(const struct options *o)
{
	struct mac2_run run = { 0 };
	unsigned long long sent = 0, resp = 0, early = 0, late = 0, lo = ~0ull,
			   hi = 0;
	size_t i, cookies = 0;
	double seconds = 0, drain;
	bool all_cookies;

	blake2s_2(run.cookie_key, (const uint8_t *)LABEL_COOKIE,
		  strlen(LABEL_COOKIE), o->responder, NOISE_PUBLIC_KEY_LEN);
	if (sources_load(&run, o) < 0)
		return 1;
	/* At most 4/5 of INITIATIONS_PER_SECOND per source: with the 0.9
	 * of mac2_send_phase, sends of one peer stay >= 22.5 ms apart. */
	if (o->rate <= 0 ||
	    o->rate / (double)run.n > 0.8 * INITIATIONS_PER_SECOND) {
		fprintf(stderr, "hsflood: -m mac2 needs 0 < RATE <= %d x %zu "
			"sources\n", INITIATIONS_PER_SECOND * 4 / 5, run.n);
		return 2;
	}
	all_cookies = mac2_get_cookies(&run, o);
	if (all_cookies) {
		seconds = mac2_send_phase(&run, o);
		drain = now_seconds();
		while (now_seconds() - drain < DRAIN_SECONDS)
			mac2_poll(&run, DRAIN_SECONDS - (now_seconds() - drain),
				  true);
	}
	for (i = 0; i < run.n; i++) {
		struct source *src = &run.src[i];

		printf("source %s sent=%llu responses=%llu\n", src->name,
		       src->sent, src->responses);
		cookies += src->has_cookie;
		sent += src->sent;
		resp += src->responses;
		early += src->early_responses;
		late += src->late_cookies;
		lo = src->responses < lo ? src->responses : lo;
		hi = src->responses > hi ? src->responses : hi;
		close(src->fd);
		crypto_wipe(src, sizeof(*src));
	}
	printf("hsflood: mode=mac2 sources=%zu cookies=%zu early_responses=%llu "
	       "late_cookie_replies=%llu responses=%llu resp_min=%llu "
	       "resp_max=%llu sent=%llu errors=%llu seconds=%.3f rate=%.0f\n",
	       run.n, cookies, early, late, resp, lo, hi, sent, run.errors,
	       seconds, seconds > 0 ? (double)sent / seconds : 0.0);
	free(run.src);
	return all_cookies ? 0 : 1;
}

int main(int argc, char **argv)
{
	static struct batch b;
	struct options o;
	struct totals t = { 0 };
	int fd;

	if (crypto_init() < 0 || rng_seed() < 0) {
		fprintf(stderr, "hsflood: cannot initialise crypto/random\n");
		return 1;
	}
	parse_options(&o, argc, argv);
	if (o.mode == MODE_MAC2)
		return run_mac2(&o);
	if (pool_fill(&o) < 0) {
		fprintf(stderr, "hsflood: out of memory for the pool\n");
		return 1;
	}
	fd = open_raw(&o.plan, &b);
	if (fd < 0)
		return 1;
	flood(fd, &b, &o, &t);
	close(fd);
	crypto_wipe(o.mac1_key, sizeof(o.mac1_key));
	free(o.pool);
	printf("hsflood: mode=%s sent=%llu errors=%llu seconds=%.3f rate=%.0f\n",
	       mode_names[o.mode], t.sent, t.errors, t.seconds,
	       t.seconds > 0 ? (double)t.sent / t.seconds : 0.0);
	return t.sent > 0 ? 0 : 1;
}
