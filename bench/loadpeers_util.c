// SPDX-License-Identifier: MIT
/*
 * loadpeers' helpers that know no protocol state: clocks, the peers'
 * keys (derived from their number, so `loadpeers conf` and `loadpeers
 * run` agree without sharing a file), addresses, base64 keys, the hub's
 * wg setconf file, inner IPv4/UDP packets and the sink that counts what
 * the hub delivered.
 */
#include "loadpeers.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "crypto.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t lp_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t lp_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int lp_random(void *buf, size_t len)
{
	return crypto_random(buf, len);
}

/* Peer n's private key: BLAKE2s("lwld loadpeers" || n), clamped. A bench
 * identity, not a secret: anyone may recompute it. */
void lp_peer_private(uint8_t priv[static NOISE_PUBLIC_KEY_LEN], uint32_t n)
{
	uint8_t in[20] = "lwld loadpeers";
	uint32_t le = htole32(n);

	memcpy(in + 14, &le, sizeof(le));
	blake2s(priv, NOISE_PUBLIC_KEY_LEN, NULL, 0, in, sizeof(in));
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

struct in_addr lp_addr_add(struct in_addr base, uint32_t n)
{
	struct in_addr a = { htonl(ntohl(base.s_addr) + n) };

	return a;
}

int lp_parse_key(uint8_t key[static NOISE_PUBLIC_KEY_LEN], const char *b64)
{
	uint8_t buf[48];

	if (strlen(b64) != 44 || b64[43] != '=' ||
	    EVP_DecodeBlock(buf, (const unsigned char *)b64, 44) != 33)
		return -EINVAL;
	memcpy(key, buf, NOISE_PUBLIC_KEY_LEN);
	crypto_wipe(buf, sizeof(buf));
	return 0;
}

void lp_print_key(const uint8_t key[static NOISE_PUBLIC_KEY_LEN])
{
	char b64[48];

	EVP_EncodeBlock((unsigned char *)b64, key, NOISE_PUBLIC_KEY_LEN);
	fputs(b64, stdout);
}

/* The hub's configuration for wg setconf: its key and port, and every
 * peer with its one tunnel address (tun_base + 2 + n). */
int lp_print_conf(uint32_t n, const char *hub_private_b64, unsigned port,
		  struct in_addr tun_base)
{
	uint8_t priv[NOISE_PUBLIC_KEY_LEN], pub[NOISE_PUBLIC_KEY_LEN];
	char a[INET_ADDRSTRLEN];

	if (lp_parse_key(priv, hub_private_b64))
		return -EINVAL;
	crypto_wipe(priv, sizeof(priv));
	printf("[Interface]\nPrivateKey = %s\nListenPort = %u\n",
	       hub_private_b64, port);
	for (uint32_t i = 0; i < n; i++) {
		lp_peer_private(priv, i);
		x25519_public_from_private(pub, priv);
		struct in_addr t = lp_addr_add(tun_base, 2 + i);

		inet_ntop(AF_INET, &t, a, sizeof(a));
		fputs("\n[Peer]\nPublicKey = ", stdout);
		lp_print_key(pub);
		printf("\nAllowedIPs = %s/32\n", a);
	}
	crypto_wipe(priv, sizeof(priv));
	return fflush(stdout) ? -EIO : 0;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4/UDP packet of len bytes (>= 28) from src to dst_addr:LP_SINK_PORT
 * whose payload starts with seq; UDP checksum 0 (none, allowed in IPv4). */
size_t lp_build_inner(uint8_t *d, size_t len, struct in_addr src,
		      struct in_addr dst_addr, uint32_t seq)
{
	uint16_t sport = htons(40000), dport = htons(LP_SINK_PORT);
	uint16_t tot = htons((uint16_t)len), ulen = htons((uint16_t)(len - 20));
	uint16_t csum;

	memset(d, 0, 28);
	d[0] = 0x45;
	memcpy(d + 2, &tot, 2);
	d[8] = 64;
	d[9] = IPPROTO_UDP;
	memcpy(d + 12, &src.s_addr, 4);
	memcpy(d + 16, &dst_addr.s_addr, 4);
	csum = htons(ip_checksum(d, 20));
	memcpy(d + 10, &csum, 2);
	memcpy(d + 20, &sport, 2);
	memcpy(d + 22, &dport, 2);
	memcpy(d + 24, &ulen, 2);
	memcpy(d + 28, &seq, len >= 32 ? 4 : 0);
	return len;
}

static volatile sig_atomic_t sink_stop;
static void sink_signal(int sig)
{
	sink_stop = 1;
}

/* One recvmmsg of what waits (up to 64 datagrams): counted, and their
 * inner sources marked by the low 16 bits of the address. */
static int sink_batch(int fd, uint64_t *packets, uint64_t *bytes,
		      uint32_t *sources)
{
	static uint8_t seen[65536 / 8], bufs[64][LP_DGRAM_MAX];
	static struct sockaddr_in from[64];
	static struct iovec iov[64];
	static struct mmsghdr m[64];
	int n;

	for (int i = 0; i < 64; i++) {
		iov[i] = (struct iovec){ bufs[i], LP_DGRAM_MAX };
		m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
						.msg_namelen = sizeof(from[i]),
						.msg_iov = &iov[i],
						.msg_iovlen = 1 };
	}
	n = recvmmsg(fd, m, 64, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		uint16_t low = (uint16_t)ntohl(from[i].sin_addr.s_addr);

		(*packets)++;
		*bytes += m[i].msg_len + 28; /* the inner IPv4 packet */
		if (!(seen[low / 8] & (1u << (low % 8)))) {
			seen[low / 8] |= (uint8_t)(1u << (low % 8));
			(*sources)++;
		}
	}
	return n;
}

/* Counts datagrams to port for up to seconds (or until expect_sources
 * distinct sources were seen, when not 0), then prints one line:
 *   sink: packets=N bytes=N sources=N seconds=S mbit=M
 * where seconds runs from the first datagram to the last. */
int lp_sink(unsigned port, double seconds, uint32_t expect_sources)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	uint64_t packets = 0, bytes = 0, first = 0, last = 0, end;
	uint32_t sources = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;

	if (fd < 0 || bind(fd, (void *)&sa, sizeof(sa)) < 0) {
		perror("loadpeers sink: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	signal(SIGTERM, sink_signal);
	signal(SIGINT, sink_signal);
	printf("sink: ready\n");
	fflush(stdout);
	end = lp_mono_ns() + (uint64_t)(seconds * 1e9);
	while (!sink_stop && lp_mono_ns() < end &&
	       !(expect_sources && sources >= expect_sources)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while ((n = sink_batch(fd, &packets, &bytes, &sources)) > 0) {
			last = lp_mono_ns();
			first = first ? first : last;
		}
	}
	double s = (double)(last - first) / 1e9;
	printf("sink: packets=%llu bytes=%llu sources=%u seconds=%.3f mbit=%.1f\n",
	       (unsigned long long)packets, (unsigned long long)bytes, sources,
	       s, s > 0 ? (double)bytes * 8 / s / 1e6 : 0.0);
	close(fd);
	return 0;
}
