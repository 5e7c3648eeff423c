// SPDX-License-Identifier: MIT
/*
 * udpreplay -- tiny helper for tests/e2e/badinput.sh: sends UDP datagrams
 * whose exact bytes the test chose, to an address in a namespace the test
 * created.  No libpcap: reads the classic pcap format tcpdump -w writes.
 *
 *   udpreplay [-t TYPE] [-n COUNT] HOST PORT FILE.pcap
 *	send the UDP payload of every IPv4/IPv6 UDP packet in FILE.pcap (only
 *	those whose first payload byte is TYPE with -t), each COUNT times
 *   udpreplay HOST PORT -
 *	send standard input as one datagram (may be empty, at most 65507 bytes)
 *
 * Prints "udpreplay: sent N datagrams" on stderr; exits 0 when N > 0.
 * Link types: Ethernet (1), raw IP (101, 12), Linux cooked v1 (113) and
 * v2 (276), BSD loopback (0, 108).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DGRAM 65535

struct target {
	int fd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	unsigned long sent;
};

static int target_open(struct target *t, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int ret = getaddrinfo(host, port, &hints, &res);

	if (ret) {
		fprintf(stderr, "udpreplay: %s:%s: %s\n", host, port, gai_strerror(ret));
		return -1;
	}
	t->fd = socket(res->ai_family, SOCK_DGRAM, 0);
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	if (t->fd < 0) {
		perror("udpreplay: socket");
		return -1;
	}
	return 0;
}

static void target_send(struct target *t, const uint8_t *buf, size_t len)
{
	if (sendto(t->fd, buf, len, 0, (struct sockaddr *)&t->addr, t->addr_len) < 0)
		fprintf(stderr, "udpreplay: sendto (%zu bytes): %s\n", len, strerror(errno));
	else
		t->sent++;
}

static int send_stdin(struct target *t)
{
	static uint8_t buf[MAX_DGRAM + 1];
	size_t len = 0;
	ssize_t r;

	while ((r = read(0, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)r;
	if (r < 0 || len > 65507) {
		fprintf(stderr, "udpreplay: stdin: %s\n", r < 0 ? strerror(errno) : "too long");
		return -1;
	}
	target_send(t, buf, len);
	return 0;
}

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* l3_offset: where the IP header starts in a frame of this link type, -1 if unknown. */
static long l3_offset(uint32_t linktype, const uint8_t *f, size_t len)
{
	switch (linktype) {
	case 1:
		if (len < 14)
			return -1;
		if (f[12] == 0x81 && f[13] == 0x00)
			return 18;
		return 14;
	case 12:
	case 101:
		return 0;
	case 113:
		return 16;
	case 276:
		return 20;
	case 0:
	case 108:
		return 4;
	}
	return -1;
}

/* udp_payload: point pl, pll at the UDP payload of the IP packet at ip; 0 if found. */
static int udp_payload(const uint8_t *ip, size_t len, const uint8_t **pl, size_t *pll)
{
	size_t hl, ulen;

	if (len < 1)
		return -1;
	if ((ip[0] >> 4) == 4) {
		if (len < 20)
			return -1;
		hl = (size_t)(ip[0] & 0x0f) * 4;
		if (ip[9] != 17 || (((ip[6] & 0x1f) << 8) | ip[7]) != 0 || (ip[6] & 0x20))
			return -1; /* not UDP, or a fragment */
	} else if ((ip[0] >> 4) == 6) {
		hl = 40;
		if (len < 40 || ip[6] != 17)
			return -1;
	} else {
		return -1;
	}
	if (len < hl + 8)
		return -1;
	ulen = ((size_t)ip[hl + 4] << 8) | ip[hl + 5];
	if (ulen < 8 || hl + ulen > len)
		return -1; /* truncated capture: refuse rather than send a part */
	*pl = ip + hl + 8;
	*pll = ulen - 8;
	return 0;
}

static int send_pcap(struct target *t, const char *path, int type, unsigned count)
{
	static uint8_t frame[262144];
	uint8_t gh[24], rh[16];
	FILE *f = fopen(path, "rb");
	uint32_t magic, linktype, caplen;
	int swap;
	long off;
	const uint8_t *pl;
	size_t pll;
	unsigned i;

	if (!f) {
		fprintf(stderr, "udpreplay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fread(gh, 1, 24, f) != 24)
		goto bad;
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto bad;
	linktype = rd32(gh + 20, swap) & 0x0fffffff;
	while (fread(rh, 1, 16, f) == 16) {
		caplen = rd32(rh + 8, swap);
		if (caplen > sizeof(frame) || fread(frame, 1, caplen, f) != caplen)
			goto bad;
		off = l3_offset(linktype, frame, caplen);
		if (off < 0 || (size_t)off > caplen)
			continue;
		if (udp_payload(frame + off, caplen - (size_t)off, &pl, &pll))
			continue;
		if (type >= 0 && (pll < 1 || pl[0] != type))
			continue;
		for (i = 0; i < count; i++)
			target_send(t, pl, pll);
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "udpreplay: %s: not a classic pcap file, or truncated\n", path);
	fclose(f);
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: udpreplay [-t TYPE] [-n COUNT] HOST PORT FILE.pcap\n"
			"       udpreplay HOST PORT -\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct target t = { .fd = -1 };
	int type = -1, opt, ret;
	unsigned count = 1;

	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		switch (opt) {
		case 't':
			type = atoi(optarg);
			break;
		case 'n':
			count = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (target_open(&t, argv[optind], argv[optind + 1]))
		return 1;
	if (!strcmp(argv[optind + 2], "-"))
		ret = send_stdin(&t);
	else
		ret = send_pcap(&t, argv[optind + 2], type, count);
	close(t.fd);
	fprintf(stderr, "udpreplay: sent %lu datagrams\n", t.sent);
	return ret || !t.sent;
}
