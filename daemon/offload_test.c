// SPDX-License-Identifier: MIT
/*
 * Tests for TUN offload (offload*.c). Super-packets are built the way the
 * kernel hands them to a TUN with IFF_VNET_HDR (checksum partial: the
 * pseudo-header sum in the L4 checksum field), split, and every segment is
 * checked field by field, with IP and TCP/UDP checksums recomputed from
 * scratch by a deliberately naive reference written here. The segments are
 * then coalesced again and the single packet gro_flush() emits is checked
 * against the original and split once more. Table cases cover what must
 * not coalesce, and malformed or truncated inputs (every prefix, random
 * header flips, in exact-size heap buffers so ASan sees any overrun).
 * Random payloads from a fixed seed.
 */
#include "offload_internal.h" /* the word-at-a-time sums, tested directly */

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define NSLOTS 80
#define SLOT 65536
#define HEADROOM 16
#define BIG (VNET_HDR_LEN + 70000)

static uint8_t *slot[NSLOTS];		/* heap, exactly SLOT bytes each */
static uint8_t *slot_pkt[NSLOTS];	/* slot[i] + HEADROOM */
static size_t slot_len[NSLOTS];
static uint8_t orig[NSLOTS][2048];	/* copies of what was offered */
static uint8_t in_buf[BIG] __attribute__((aligned(16)));
static uint8_t payload[BIG], scratch[BIG];
static uint8_t saved[64][1600];
static size_t saved_len[64];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill_random(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = (uint8_t)rng();
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, (uint16_t)v);
}

/* ---- naive reference checksum ---- */

/* Folded one's-complement sum of big-endian words, one word at a time. */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		if (s > 0xffff)
			s = (s & 0xffff) + 1;
	}
	return (uint16_t)s;
}

static size_t ref_iphlen(const uint8_t *pkt)
{
	return (pkt[0] >> 4) == 4 ? (size_t)(pkt[0] & 15) * 4 : 40;
}

/* Writes the pseudo-header of pkt for an l4len-byte segment into buf. */
static size_t ref_pseudo(uint8_t *buf, const uint8_t *pkt, size_t l4len)
{
	if ((pkt[0] >> 4) == 4) {
		memcpy(buf, pkt + 12, 8);
		buf[8] = 0;
		buf[9] = pkt[9];
		wr16(buf + 10, (uint16_t)l4len);
		return 12;
	}
	memcpy(buf, pkt + 8, 32);
	wr32(buf + 32, (uint32_t)l4len);
	buf[36] = buf[37] = buf[38] = 0;
	buf[39] = pkt[6];
	return 40;
}

/* Sum over pseudo-header and L4 segment: 0xffff when the checksum is good. */
static uint16_t ref_l4_sum(const uint8_t *pkt, size_t len)
{
	size_t iphlen = ref_iphlen(pkt), n;

	n = ref_pseudo(scratch, pkt, len - iphlen);
	memcpy(scratch + n, pkt + iphlen, len - iphlen);
	return ref_sum(scratch, n + len - iphlen);
}

static bool ref_l4_ok(const uint8_t *pkt, size_t len)
{
	return ref_l4_sum(pkt, len) == 0xffff;
}

static bool ref_ip4_ok(const uint8_t *pkt)
{
	return ref_sum(pkt, ref_iphlen(pkt)) == 0xffff;
}

/* ---- packet builder ---- */

struct pkt_spec {
	int version;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t tos, ttl;
	bool df;
	uint16_t id, frag;
	uint32_t flow_label;
	size_t ip_opts;		/* IPv4 option bytes, multiple of 4 */
	size_t tcp_opts;	/* 0 or 12 (NOP NOP timestamps) */
	uint32_t tsval;
	bool partial;		/* pseudo-header sum in the L4 checksum */
};

static struct pkt_spec spec_tcp(int version)
{
	struct pkt_spec s = {
		.version = version, .proto = IPPROTO_TCP,
		.sport = 40000, .dport = 5201,
		.seq = 0x10000000, .ack = 0xabcdef01, .flags = 0x10,
		.window = 502, .ttl = 64, .df = true, .id = 0x1234,
		.flow_label = 0x12345, .tcp_opts = 12, .tsval = 777,
	};
	uint8_t a4[4] = { 10, 0, 0, 1 }, b4[4] = { 10, 0, 0, 2 };
	uint8_t a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	if (version == 4) {
		memcpy(s.src, a4, 4);
		memcpy(s.dst, b4, 4);
	} else {
		memcpy(s.src, a6, 16);
		memcpy(s.dst, a6, 16);
		s.dst[15] = 2;
		s.dst[3] = 0x77;
	}
	return s;
}

static struct pkt_spec spec_udp(int version)
{
	struct pkt_spec s = spec_tcp(version);

	s.proto = IPPROTO_UDP;
	s.sport = 4433;
	s.dport = 51820;
	return s;
}

static void build_ip(uint8_t *p, const struct pkt_spec *s, size_t len)
{
	size_t iphlen = s->version == 4 ? 20 + s->ip_opts : 40;

	if (s->version == 6) {
		wr32(p, 6u << 28 | (uint32_t)s->tos << 20 | s->flow_label);
		wr16(p + 4, (uint16_t)(len - 40));
		p[6] = s->proto;
		p[7] = s->ttl;
		memcpy(p + 8, s->src, 16);
		memcpy(p + 24, s->dst, 16);
		return;
	}
	p[0] = (uint8_t)(0x40 | iphlen / 4);
	p[1] = s->tos;
	wr16(p + 2, (uint16_t)len);
	wr16(p + 4, s->id);
	wr16(p + 6, (uint16_t)((s->df ? 0x4000 : 0) | s->frag));
	p[8] = s->ttl;
	p[9] = s->proto;
	wr16(p + 10, 0);
	memcpy(p + 12, s->src, 4);
	memcpy(p + 16, s->dst, 4);
	memset(p + 20, 1, s->ip_opts); /* NOP options */
	wr16(p + 10, (uint16_t)~ref_sum(p, iphlen));
}

static size_t build_l4(uint8_t *l4, const struct pkt_spec *s, size_t paylen)
{
	size_t hlen = s->proto == IPPROTO_TCP ? 20 + s->tcp_opts : 8;

	wr16(l4, s->sport);
	wr16(l4 + 2, s->dport);
	if (s->proto == IPPROTO_UDP) {
		wr16(l4 + 4, (uint16_t)(hlen + paylen));
		wr16(l4 + 6, 0);
		return hlen;
	}
	wr32(l4 + 4, s->seq);
	wr32(l4 + 8, s->ack);
	l4[12] = (uint8_t)(hlen / 4) << 4;
	l4[13] = s->flags;
	wr16(l4 + 14, s->window);
	wr32(l4 + 16, 0);
	if (s->tcp_opts) {
		l4[20] = l4[21] = 1;
		l4[22] = 8;
		l4[23] = 10;
		wr32(l4 + 24, s->tsval);
		wr32(l4 + 28, 4242);
	}
	return hlen;
}

/* Builds the packet at p; returns its length. */
static size_t build(uint8_t *p, const struct pkt_spec *s, const uint8_t *pay,
		    size_t paylen)
{
	size_t iphlen = s->version == 4 ? 20 + s->ip_opts : 40;
	uint8_t *l4 = p + iphlen;
	size_t l4len = build_l4(l4, s, paylen) + paylen, len = iphlen + l4len;
	size_t at = s->proto == IPPROTO_TCP ? 16 : 6;
	uint16_t c;

	build_ip(p, s, len);
	memcpy(l4 + l4len - paylen, pay, paylen);
	if (s->partial) {
		c = ref_sum(scratch, ref_pseudo(scratch, p, l4len));
	} else {
		c = (uint16_t)~ref_l4_sum(p, len);
		if (c == 0 && s->proto == IPPROTO_UDP)
			c = 0xffff;
	}
	wr16(l4 + at, c);
	return len;
}

static void put_vnet(uint8_t *buf, uint8_t flags, uint8_t type,
		     uint16_t hdr_len, uint16_t gso_size, uint16_t start,
		     uint16_t off)
{
	struct vnet_hdr h = { flags, type, hdr_len, gso_size, start, off };

	memcpy(buf, &h, VNET_HDR_LEN);
}

static struct vnet_hdr get_vnet(const uint8_t *buf)
{
	struct vnet_hdr h;

	memcpy(&h, buf, VNET_HDR_LEN);
	return h;
}

static void set_vnet(struct vnet_hdr h)
{
	memcpy(in_buf, &h, VNET_HDR_LEN);
}

/* A super-packet in in_buf as the kernel would hand it over; returns the
 * total length read() would return. */
static size_t make_super(struct pkt_spec s, size_t paylen, uint16_t gso_size,
			 uint8_t gso_type)
{
	size_t iphlen = s.version == 4 ? 20 + s.ip_opts : 40;
	size_t l4hlen = s.proto == IPPROTO_TCP ? 20 + s.tcp_opts : 8;
	size_t len;

	s.partial = true;
	len = build(in_buf + VNET_HDR_LEN, &s, payload, paylen);
	put_vnet(in_buf, VNET_HDR_F_NEEDS_CSUM, gso_type,
		 (uint16_t)(iphlen + l4hlen), gso_size, (uint16_t)iphlen,
		 s.proto == IPPROTO_TCP ? 16 : 6);
	return VNET_HDR_LEN + len;
}

static int split(size_t len, unsigned max_out)
{
	return offload_split(in_buf, len, slot, SLOT, HEADROOM, slot_len,
			     max_out);
}

/* ---- checksum helpers ---- */

/* The library's folded sum, to compare with ref_sum(). */
static uint16_t lib_sum(uint32_t partial)
{
	uint16_t folded = inet_csum_fold(partial);

	return (uint16_t)~folded;
}

static void test_csum(void)
{
	size_t len, k;
	unsigned bad = 0;
	uint8_t *p = payload + 1; /* odd address */
	uint32_t s;

	for (len = 0; len < 300; len++) {
		fill_random(p, len);
		if (lib_sum(inet_csum_partial(p, len, 0)) != ref_sum(p, len))
			bad++;
		for (k = 0; k <= len; k += 2) {
			s = inet_csum_partial(p, k, 0);
			s = inet_csum_partial(p + k, len - k, s);
			if (lib_sum(s) != ref_sum(p, len))
				bad++;
		}
	}
	CHECK_EQ(bad, 0);
	fill_random(p, 65535);
	CHECK_EQ(lib_sum(inet_csum_partial(p, 65535, 0)), ref_sum(p, 65535));
	memset(p, 0xff, 65535);
	CHECK_EQ(lib_sum(inet_csum_partial(p, 65535, 0)), ref_sum(p, 65535));
	CHECK_EQ(inet_csum_fold(0), 0xffff);
	CHECK_EQ(inet_csum_fold(0xffff), 0);
	CHECK_EQ(inet_csum_fold(0xffffffff), 0);
	CHECK_EQ(inet_csum_fold(0x1fffe), 0);
	CHECK_EQ(inet_csum_partial(p, 4, 0xffffffff), 0xffff);
	/* RFC 1071 example: 0001 f203 f4f5 f6f7 sums to ddf2 */
	memcpy(p, "\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8);
	CHECK_EQ(inet_csum_fold(inet_csum_partial(p, 8, 0)), 0x220d);
}

/* Equal as ones' complement numbers: 0 and 0xffff are both zero. */
static bool same_sum(uint16_t a, uint16_t b)
{
	return a % 0xffff == b % 0xffff;
}

/* Random data, mostly 0xff bytes or not at all: many carries, or few. */
static void fill_biased(uint8_t *p, size_t len)
{
	unsigned mode = (unsigned)(rng() % 3);

	fill_random(p, len);
	for (size_t i = 0; mode && i < len; i++)
		if (rng() % 8)
			p[i] = mode == 1 ? 0xff : p[i];
}

/*
 * The word-at-a-time sums (sum_native, sum_copy_native) against the
 * reference on random lengths, every alignment of source and destination,
 * odd tails and carry-heavy data; a copy must be exact; and several sums
 * added before one fold, as the segmentation code adds them.
 */
static void test_csum_random(void)
{
	unsigned bad = 0, round;
	size_t len, k, so, dof;
	uint64_t acc, one = 1;

	/* Two all-ones words and a 1: the 128-bit sum is 2^65 - 1, whose
	 * halves' sum carries out again (end-around carry of the fold). */
	memset(payload, 0xff, 16);
	memcpy(payload + 16, &one, 8);
	for (len = 24; len <= 40; len += 16) {
		CHECK(same_sum((uint16_t)~inet_csum_fold(fold_native(
				       sum_native(payload, len))),
			       ref_sum(payload, len)));
		memset(payload + 24, 0, 16);
	}

	for (round = 0; round < 3000; round++) {
		len = round < 2000 ? rng() % 2100 : rng() % 65536;
		so = rng() % 8;
		dof = rng() % 8;
		fill_biased(payload + so, len);
		memset(scratch, 0x5a, len + 16);
		acc = sum_copy_native(scratch + dof, payload + so, len);
		bad += !same_sum((uint16_t)~inet_csum_fold(fold_native(acc)),
				 ref_sum(payload + so, len));
		bad += !!memcmp(scratch + dof, payload + so, len);
		bad += scratch[dof + len] != 0x5a;
		bad += !same_sum(lib_sum(inet_csum_partial(payload + so, len,
							   0)),
				 ref_sum(payload + so, len));
		/* Split at an even offset, the two halves' sums added. */
		k = len ? (rng() % (len + 1)) & ~(size_t)1 : 0;
		acc = sum_native(payload + so, k) +
		      sum_copy_native(scratch, payload + so + k, len - k);
		bad += !same_sum((uint16_t)~inet_csum_fold(fold_native(acc)),
				 ref_sum(payload + so, len));
	}
	CHECK_EQ(bad, 0);
}

/* ---- segmentation ---- */

static int nsegs(size_t paylen, size_t gso_size)
{
	return paylen ? (int)((paylen + gso_size - 1) / gso_size) : 1;
}

/* Checks slot_pkt[0..n) as segments first.. of super-packet s. */
static void check_window(const struct pkt_spec *s, size_t paylen,
			 size_t gso_size, int first, int n)
{
	size_t iphlen = s->version == 4 ? 20 + s->ip_opts : 40;
	size_t l4hlen = s->proto == IPPROTO_TCP ? 20 + s->tcp_opts : 8;
	size_t hdrlen = iphlen + l4hlen, off, pay, want;
	const uint8_t *super = in_buf + VNET_HDR_LEN;
	unsigned bad = 0;
	int j, i;

	for (j = 0; j < n && j < NSLOTS; j++) {
		const uint8_t *p = slot_pkt[j], *l4 = p + iphlen;
		bool last;

		i = first + j;
		off = (size_t)i * gso_size;
		pay = paylen - off < gso_size ? paylen - off : gso_size;
		last = i == nsegs(paylen, gso_size) - 1;

		bad += slot_len[j] != hdrlen + pay;
		bad += memcmp(l4 + l4hlen, payload + off, pay) != 0;
		bad += !ref_l4_ok(p, slot_len[j]);
		if (s->version == 4) {
			bad += rd16(p + 2) != slot_len[j];
			bad += rd16(p + 4) != (uint16_t)(s->id + i);
			bad += rd16(p + 6) != (s->df ? 0x4000 : 0);
			bad += !ref_ip4_ok(p);
			bad += memcmp(p + 8, super + 8, 2) != 0;
			bad += memcmp(p + 12, super + 12, iphlen - 12) != 0;
		} else {
			bad += rd16(p + 4) != slot_len[j] - 40;
			bad += memcmp(p, super, 4) != 0;
			bad += memcmp(p + 6, super + 6, 34) != 0;
		}
		bad += memcmp(l4, super + iphlen, 4) != 0;
		if (s->proto == IPPROTO_UDP) {
			bad += rd16(l4 + 4) != l4hlen + pay;
			bad += rd16(l4 + 6) == 0;
			continue;
		}
		bad += rd32(l4 + 4) != s->seq + (uint32_t)off;
		bad += memcmp(l4 + 8, super + iphlen + 8, 5) != 0;
		want = s->flags & ~(last ? 0 : 0x09) & ~(i ? 0x80 : 0);
		bad += l4[13] != want;
		bad += memcmp(l4 + 14, super + iphlen + 14, 2) != 0;
		bad += memcmp(l4 + 18, super + iphlen + 18, l4hlen - 18) != 0;
	}
	CHECK_EQ(bad, 0);
}

/* Checks the n segments of a whole split against super-packet s. */
static void check_segments(const struct pkt_spec *s, size_t paylen,
			   size_t gso_size, int n)
{
	CHECK_EQ(n, nsegs(paylen, gso_size));
	check_window(s, paylen, gso_size, 0, n);
}

static void test_split_tcp4(void)
{
	struct pkt_spec s = spec_tcp(4);
	struct vnet_hdr h;
	size_t len;
	int n;

	/* 45 x 1380 with timestamps; id and seq wrap; CWR, PSH, FIN */
	s.id = 0xffe0;
	s.seq = 0xffffc000;
	s.flags = 0x80 | 0x10 | 0x08 | 0x01;
	fill_random(payload, 45 * 1380);
	len = make_super(s, 45 * 1380, 1380,
			 VNET_HDR_GSO_TCPV4 | VNET_HDR_GSO_ECN);
	n = split(len, 64);
	CHECK_EQ(n, 45);
	check_segments(&s, 45 * 1380, 1380, n);
	CHECK_EQ(slot_pkt[0][20 + 13], 0x90);
	CHECK_EQ(slot_pkt[1][20 + 13], 0x10);
	CHECK_EQ(slot_pkt[44][20 + 13], 0x19);

	/* the same with max_out exactly 45, then one short */
	CHECK_EQ(split(len, 45), 45);
	CHECK_EQ(split(len, 44), -ENOSPC);

	/* IPv4 options, no TCP options, last segment shorter, hdr_len a lie */
	s = spec_tcp(4);
	s.ip_opts = 8;
	s.tcp_opts = 0;
	fill_random(payload, 10000);
	len = make_super(s, 10000, 1448, VNET_HDR_GSO_TCPV4);
	h = get_vnet(in_buf);
	h.hdr_len = 1;
	set_vnet(h);
	n = split(len, 64);
	check_segments(&s, 10000, 1448, n);
}

static void test_split_tcp6(void)
{
	struct pkt_spec s = spec_tcp(6);
	size_t len, paylen = 44 * 1380 + 700;
	struct vnet_hdr h;
	int n;

	s.flags = 0x18;
	s.tos = 0x2e;
	fill_random(payload, paylen);
	len = make_super(s, paylen, 1380, VNET_HDR_GSO_TCPV6);
	/* the kernel's hdr_len may cover the whole first packet */
	h = get_vnet(in_buf);
	h.hdr_len = (uint16_t)(len - VNET_HDR_LEN);
	set_vnet(h);
	n = split(len, 64);
	CHECK_EQ(n, 45);
	check_segments(&s, paylen, 1380, n);
	CHECK_EQ(slot_len[44], 40 + 32 + 700);
}

static void test_split_edges(void)
{
	struct pkt_spec s = spec_tcp(4);
	size_t len;
	int n;

	/* gso_size larger than the payload: one segment, flags kept */
	s.flags = 0x19;
	fill_random(payload, 1000);
	len = make_super(s, 1000, 1400, VNET_HDR_GSO_TCPV4);
	n = split(len, 1);
	CHECK_EQ(n, 1);
	check_segments(&s, 1000, 1400, n);
	CHECK_EQ(slot_pkt[0][33], 0x19);

	/* zero payload with GSO: the bare header, checksummed */
	len = make_super(s, 0, 1400, VNET_HDR_GSO_TCPV4);
	n = split(len, 64);
	CHECK_EQ(n, 1);
	check_segments(&s, 0, 1400, n);

	/* payload an exact multiple of gso_size */
	s = spec_tcp(6);
	fill_random(payload, 4 * 1000);
	len = make_super(s, 4000, 1000, VNET_HDR_GSO_TCPV6);
	n = split(len, 64);
	CHECK_EQ(n, 4);
	check_segments(&s, 4000, 1000, n);

	/* gso_size 1: one byte per segment, odd lengths everywhere */
	fill_random(payload, 64);
	len = make_super(s, 64, 1, VNET_HDR_GSO_TCPV6);
	n = split(len, 64);
	check_segments(&s, 64, 1, n);
	CHECK_EQ(split(len, 63), -ENOSPC);

	/* a slot too small for one segment */
	CHECK_EQ(offload_split(in_buf, len, slot, 10 + 72 + 1, 10, slot_len,
			       64), 64);
	CHECK_EQ(offload_split(in_buf, len, slot, 10 + 72, 10, slot_len, 64),
		 -ENOSPC);
	CHECK_EQ(offload_split(in_buf, len, slot, 5, 10, slot_len, 64),
		 -ENOSPC);
	CHECK_EQ(offload_split(in_buf, len, slot, SLOT, 0, slot_len, 0),
		 -ENOSPC);

	/* 110 segments through a window of 64, then 50, then none */
	s = spec_tcp(4);
	s.flags = 0x98;
	fill_random(payload, 109 * 536 + 100);
	len = make_super(s, 109 * 536 + 100, 536, VNET_HDR_GSO_TCPV4);
	CHECK_EQ(split(len, 64), -ENOSPC);
	n = offload_split_at(in_buf, len, 0, slot, SLOT, HEADROOM, slot_len,
			     64);
	CHECK_EQ(n, 64);
	check_window(&s, 109 * 536 + 100, 536, 0, n);
	n = offload_split_at(in_buf, len, 64, slot, SLOT, HEADROOM, slot_len,
			     64);
	CHECK_EQ(n, 46);
	check_window(&s, 109 * 536 + 100, 536, 64, n);
	CHECK_EQ(slot_len[45], 52 + 100);
	CHECK_EQ(offload_split_at(in_buf, len, 110, slot, SLOT, HEADROOM,
				  slot_len, 64), 0);
	CHECK_EQ(offload_split_at(in_buf, len, ~0u, slot, SLOT, HEADROOM,
				  slot_len, 64), 0);
	CHECK_EQ(offload_split_at(in_buf, 12, 0, slot, SLOT, HEADROOM,
				  slot_len, 64), -EINVAL);
	len = make_super(s, 1000, 0, VNET_HDR_GSO_NONE);
	CHECK_EQ(offload_split_at(in_buf, len, 0, slot, SLOT, HEADROOM,
				  slot_len, 64), 1);
	CHECK_EQ(offload_split_at(in_buf, len, 1, slot, SLOT, HEADROOM,
				  slot_len, 64), 0);
}

/* Sets the last two payload bytes so that the datagram's checksum comes
 * out as 0 (which must be sent as 0xffff). */
static size_t make_zero_csum_udp(struct pkt_spec s, size_t paylen)
{
	uint8_t *p = in_buf + VNET_HDR_LEN;
	size_t len;
	uint16_t c;

	s.partial = false;
	payload[paylen - 2] = payload[paylen - 1] = 0;
	len = build(p, &s, payload, paylen);
	wr16(p + len - paylen - 2, 0);
	c = (uint16_t)~ref_l4_sum(p, len);
	wr16(payload + paylen - 2, c);
	return paylen;
}

static void test_split_udp(void)
{
	struct pkt_spec s;
	size_t len, paylen = 20 * 1200 + 333;
	int n, v;

	for (v = 4; v <= 6; v += 2) {
		s = spec_udp(v);
		fill_random(payload, paylen);
		len = make_super(s, paylen, 1200, VNET_HDR_GSO_UDP_L4);
		n = split(len, 64);
		CHECK_EQ(n, 21);
		check_segments(&s, paylen, 1200, n);
		CHECK_EQ(rd16(slot_pkt[20] + (v == 4 ? 20 : 40) + 4), 8 + 333);

		/* one datagram whose checksum is 0: sent as 0xffff */
		fill_random(payload, 600);
		make_zero_csum_udp(s, 600);
		len = make_super(s, 600, 1200, VNET_HDR_GSO_UDP_L4);
		CHECK_EQ(split(len, 64), 1);
		CHECK_EQ(rd16(slot_pkt[0] + (v == 4 ? 26 : 46)), 0xffff);
		CHECK(ref_l4_ok(slot_pkt[0], slot_len[0]));
	}
}

/* GSO_NONE: copy, completing a partial checksum if asked. */
static void test_split_none(void)
{
	struct pkt_spec s = spec_tcp(4);
	struct vnet_hdr h;
	size_t len;
	int v;

	fill_random(payload, 999);
	len = make_super(s, 999, 0, VNET_HDR_GSO_NONE);
	CHECK(!ref_l4_ok(in_buf + VNET_HDR_LEN, len - VNET_HDR_LEN));
	CHECK_EQ(split(len, 1), 1);
	CHECK_EQ(slot_len[0], len - VNET_HDR_LEN);
	CHECK(ref_l4_ok(slot_pkt[0], slot_len[0]));
	CHECK(ref_ip4_ok(slot_pkt[0]));
	CHECK(!memcmp(slot_pkt[0] + 52, payload, 999));

	/* without NEEDS_CSUM: verbatim */
	h = get_vnet(in_buf);
	h.flags = 0;
	set_vnet(h);
	slot_len[0] = 0;
	CHECK_EQ(split(len, 1), 1);
	CHECK_EQ(slot_len[0], len - VNET_HDR_LEN);
	CHECK(!memcmp(slot_pkt[0], in_buf + VNET_HDR_LEN, len - VNET_HDR_LEN));

	/* IPv4 options: csum_start 28 */
	s.ip_opts = 8;
	len = make_super(s, 999, 0, VNET_HDR_GSO_NONE);
	CHECK_EQ(split(len, 1), 1);
	CHECK(ref_l4_ok(slot_pkt[0], slot_len[0]));

	/* UDP, including a datagram whose checksum is 0 */
	for (v = 4; v <= 6; v += 2) {
		s = spec_udp(v);
		len = make_super(s, 1001, 0, VNET_HDR_GSO_NONE);
		CHECK_EQ(split(len, 1), 1);
		CHECK(ref_l4_ok(slot_pkt[0], slot_len[0]));
		make_zero_csum_udp(s, 500);
		len = make_super(s, 500, 0, VNET_HDR_GSO_NONE);
		CHECK_EQ(split(len, 1), 1);
		CHECK_EQ(rd16(slot_pkt[0] + (v == 4 ? 26 : 46)), 0xffff);
		CHECK(ref_l4_ok(slot_pkt[0], slot_len[0]));
	}
}

/* ---- malformed input ---- */

/* Splits a heap copy of exactly in_buf[0..len) into exact-size slots;
 * counts in untouched_errors how often an error left out[] unwritten. */
static unsigned untouched_errors;

static int split_exact(size_t len, unsigned max_out)
{
	uint8_t *copy = malloc(len ? len : 1);
	unsigned i, dirty = 0;
	int ret;

	memcpy(copy, in_buf, len);
	for (i = 0; i < 2; i++)
		memset(slot[i], 0xa5, 256);
	ret = offload_split(copy, len, slot, SLOT, HEADROOM, slot_len,
			    max_out);
	for (i = 0; i < 256; i++)
		dirty += slot[0][i] != 0xa5 || slot[1][i] != 0xa5;
	untouched_errors += ret < 0 && !dirty;
	free(copy);
	return ret;
}

enum mutation { M_NONE, M_BYTE, M_VNET_TYPE, M_VNET_GSO, M_VNET_START,
		M_VNET_FLAGS, M_VNET_OFFSET };

struct bad_case {
	int num;
	int version;
	uint8_t gso_type;
	enum mutation what;
	size_t at;		/* packet byte offset (M_BYTE) */
	unsigned value;
	size_t cut;		/* packet bytes kept; 0 means all */
};

#define TCP4 VNET_HDR_GSO_TCPV4
#define TCP6 VNET_HDR_GSO_TCPV6
#define NONE VNET_HDR_GSO_NONE
#define UDPL4 VNET_HDR_GSO_UDP_L4

static const struct bad_case bad_cases[] = {
	{ 1, 4, TCP4, M_VNET_TYPE, 0, 2, 0 },		/* unknown type */
	{ 2, 4, TCP4, M_VNET_TYPE, 0, 3, 0 },		/* legacy UFO */
	{ 3, 4, TCP4, M_VNET_TYPE, 0, 0x7f, 0 },
	{ 4, 4, TCP4, M_VNET_TYPE, 0, TCP6, 0 },	/* v4 packet, TCPV6 */
	{ 5, 6, TCP6, M_VNET_TYPE, 0, TCP4, 0 },	/* v6 packet, TCPV4 */
	{ 6, 4, TCP4, M_VNET_GSO, 0, 0, 0 },		/* gso_size 0 */
	{ 7, 6, UDPL4, M_VNET_GSO, 0, 0, 0 },
	{ 8, 4, TCP4, M_VNET_START, 0, 0, 0 },		/* csum_start */
	{ 9, 4, TCP4, M_VNET_START, 0, 19, 0 },
	{ 10, 4, TCP4, M_VNET_START, 0, 21, 0 },
	{ 11, 6, TCP6, M_VNET_START, 0, 0xffff, 0 },
	{ 12, 4, TCP4, M_BYTE, 0, 0x44, 0 },		/* IHL 4 */
	{ 13, 4, TCP4, M_BYTE, 0, 0x4f, 0 },		/* IHL 15 */
	{ 14, 4, TCP4, M_BYTE, 0, 0x54, 0 },		/* version 5 */
	{ 15, 6, TCP6, M_BYTE, 0, 0x00, 0 },		/* version 0 */
	{ 16, 4, TCP4, M_BYTE, 32, 0x40, 0 },		/* TCP doff 4 */
	{ 17, 4, TCP4, M_BYTE, 32, 0xf0, 60 },		/* doff 15, short */
	{ 18, 4, TCP4, M_BYTE, 9, IPPROTO_UDP, 0 },	/* UDP in TCPV4 */
	{ 19, 4, UDPL4, M_BYTE, 9, IPPROTO_TCP, 0 },	/* TCP in UDP_L4 */
	{ 20, 6, TCP6, M_BYTE, 6, 0, 0 },		/* extension header */
	{ 21, 4, TCP4, M_BYTE, 6, 0x60, 0 },		/* MF */
	{ 22, 4, TCP4, M_BYTE, 7, 0x01, 0 },		/* fragment offset */
	{ 23, 4, TCP4, M_NONE, 0, 0, 19 },		/* truncated IP */
	{ 24, 6, TCP6, M_NONE, 0, 0, 39 },
	{ 25, 4, TCP4, M_NONE, 0, 0, 30 },		/* truncated TCP */
	{ 26, 6, TCP6, M_NONE, 0, 0, 71 },		/* options cut */
	{ 27, 6, UDPL4, M_NONE, 0, 0, 47 },		/* truncated UDP */
	{ 28, 4, NONE, M_NONE, 0, 0, 19 },		/* plain, truncated */
	{ 29, 4, NONE, M_BYTE, 0, 0x35, 0 },		/* plain, version 3 */
	{ 30, 4, NONE, M_VNET_START, 0, 1100, 0 },	/* start past end */
	{ 31, 4, NONE, M_VNET_OFFSET, 0, 1000 - 20 - 1, 0 }, /* field cut */
	{ 32, 4, NONE, M_VNET_START, 0, 10, 0 },	/* inside IP header */
	{ 33, 6, NONE, M_VNET_OFFSET, 0, 0xffff, 0 },
	{ 34, 4, NONE, M_NONE, 0, 0, 1 },
};

static void apply_bad_case(const struct bad_case *c, size_t *len)
{
	struct vnet_hdr h = get_vnet(in_buf);

	switch (c->what) {
	case M_BYTE:
		in_buf[VNET_HDR_LEN + c->at] = (uint8_t)c->value;
		break;
	case M_VNET_TYPE:
		h.gso_type = (uint8_t)c->value;
		break;
	case M_VNET_GSO:
		h.gso_size = (uint16_t)c->value;
		break;
	case M_VNET_START:
		h.csum_start = (uint16_t)c->value;
		break;
	case M_VNET_FLAGS:
		h.flags = (uint8_t)c->value;
		break;
	case M_VNET_OFFSET:
		h.csum_offset = (uint16_t)c->value;
		break;
	case M_NONE:
		break;
	}
	set_vnet(h);
	if (c->cut)
		*len = VNET_HDR_LEN + c->cut;
}

static void test_malformed_table(void)
{
	size_t i, len;
	unsigned nerr = 0;
	int ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct pkt_spec s = c->gso_type == UDPL4 ? spec_udp(c->version)
							 : spec_tcp(c->version);

		fill_random(payload, 3000);
		len = make_super(s, c->gso_type == NONE ? 948 : 3000, 1000,
				 c->gso_type);
		apply_bad_case(c, &len);
		ret = split_exact(len, 64);
		if (ret == -EINVAL) {
			test_passed++;
			continue;
		}
		test_failed++;
		fprintf(stderr, "bad case %d: got %d, want -EINVAL\n", c->num,
			ret);
	}
	/* short reads */
	for (len = 0; len <= VNET_HDR_LEN; len++)
		CHECK_EQ(split_exact(len, 64), -EINVAL);
	/* too many segments for max_out */
	len = make_super(spec_tcp(6), 3000, 1000, TCP6);
	CHECK_EQ(split_exact(len, 2), -ENOSPC);
	nerr = (unsigned)(sizeof(bad_cases) / sizeof(bad_cases[0])) +
	       VNET_HDR_LEN + 2;
	/* an IPv4 segment that cannot be longer than 65535 */
	fill_random(payload, 65535);
	len = make_super(spec_tcp(4), 65535 - 32, 65535, VNET_HDR_GSO_TCPV4);
	CHECK_EQ(split_exact(len, 64), -EINVAL);
	len = make_super(spec_tcp(4), 65535 - 52, 65535, VNET_HDR_GSO_TCPV4);
	CHECK_EQ(split_exact(len, 64), -ENOSPC); /* 65535 > SLOT - HEADROOM */
	/* no error wrote anything */
	CHECK_EQ(untouched_errors, nerr + 2);
}

/* Every prefix and random header damage: never a crash or an overrun. */
static void test_malformed_fuzz(void)
{
	static const uint8_t types[] = { TCP4, TCP6, UDPL4, NONE, UDPL4 };
	unsigned bad = 0, iter, k, flips;
	size_t len, full, cut;
	int ret, t;

	for (t = 0; t < 5; t++) {
		int v = t == 1 || t == 4 ? 6 : 4;
		struct pkt_spec s = types[t] == UDPL4 ? spec_udp(v)
						      : spec_tcp(v);

		fill_random(payload, 6000);
		full = make_super(s, 6000, 1400, types[t]);
		for (cut = 0; cut <= full; cut += cut < 200 ? 1 : 61) {
			ret = split_exact(cut, 64);
			bad += ret != -EINVAL && (ret < 1 || ret > 5);
		}
		for (iter = 0; iter < 3000; iter++) {
			len = make_super(s, 6000, 1400, types[t]);
			flips = 1 + rng() % 4;
			for (k = 0; k < flips; k++)
				in_buf[rng() % 100] = (uint8_t)rng();
			if (rng() % 4 == 0)
				len = rng() % (len + 1);
			ret = split_exact(len, (unsigned)(1 + rng() % 64));
			bad += ret != -EINVAL && ret != -ENOSPC &&
			       (ret < 1 || ret > 64);
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---- coalescing ---- */

struct emitted {
	uint8_t *buf;
	size_t len;
	struct vnet_hdr h;
};

static struct emitted emits[NSLOTS];
static unsigned nemits;

static void record(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (nemits < NSLOTS)
		emits[nemits] = (struct emitted){ buf, len, get_vnet(buf) };
	nemits++;
}

static bool vnet_is_zero(const struct vnet_hdr *h)
{
	static const struct vnet_hdr zero;

	return !memcmp(h, &zero, sizeof(zero));
}

/* Completes a NEEDS_CSUM checksum into a copy, as the kernel would, and
 * checks it and the IPv4 header checksum with the reference. */
static bool coalesced_csums_ok(const struct emitted *e)
{
	static uint8_t copy[SLOT];
	const uint8_t *pkt = e->buf + VNET_HDR_LEN;
	size_t len = e->len - VNET_HDR_LEN, at;
	uint16_t c;

	memcpy(copy, pkt, len);
	at = e->h.csum_start + e->h.csum_offset;
	c = (uint16_t)~ref_sum(copy + e->h.csum_start, len - e->h.csum_start);
	wr16(copy + at, c);
	if ((copy[0] >> 4) == 4 && !ref_ip4_ok(copy))
		return false;
	return ref_l4_ok(copy, len);
}

/* Round trip: split a super-packet, coalesce the segments, compare. */
static void test_gro_roundtrip(int version, size_t paylen)
{
	struct pkt_spec s = spec_tcp(version);
	size_t iphlen = version == 4 ? 20 : 40, len, want;
	struct gro_table t;
	unsigned bad = 0, i;
	uint8_t *pkt;
	int n;

	s.flags = 0x18;
	fill_random(payload, paylen);
	len = make_super(s, paylen, 1380, version == 4 ? VNET_HDR_GSO_TCPV4 :
							 VNET_HDR_GSO_TCPV6);
	n = split(len, 64);
	CHECK_EQ(n, (int)((paylen + 1379) / 1380));
	for (i = 0; i < (unsigned)n; i++) {
		memcpy(saved[i], slot_pkt[i], slot_len[i]);
		saved_len[i] = slot_len[i];
	}
	gro_init(&t);
	nemits = 0;
	for (i = 0; i < (unsigned)n; i++)
		bad += gro_add(&t, slot_pkt[i], slot_len[i], SLOT - HEADROOM) !=
		       (i ? GRO_MERGED : GRO_HELD);
	CHECK_EQ(bad, 0);
	gro_flush(&t, record, NULL);
	CHECK_EQ(nemits, 1);
	CHECK(emits[0].buf == slot_pkt[0] - VNET_HDR_LEN);
	want = VNET_HDR_LEN + iphlen + 32 + paylen;
	CHECK_EQ(emits[0].len, want);
	CHECK_EQ(emits[0].h.flags, VNET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(emits[0].h.gso_type, version == 4 ? VNET_HDR_GSO_TCPV4 :
						     VNET_HDR_GSO_TCPV6);
	CHECK_EQ(emits[0].h.hdr_len, iphlen + 32);
	CHECK_EQ(emits[0].h.gso_size, 1380);
	CHECK_EQ(emits[0].h.csum_start, iphlen);
	CHECK_EQ(emits[0].h.csum_offset, 16);
	pkt = slot_pkt[0];
	if (version == 4) {
		CHECK_EQ(rd16(pkt + 2), want - VNET_HDR_LEN);
		CHECK(ref_ip4_ok(pkt));
	} else {
		CHECK_EQ(rd16(pkt + 4), want - VNET_HDR_LEN - 40);
	}
	/* the checksum field holds the pseudo-header sum */
	CHECK_EQ(rd16(pkt + iphlen + 16),
		 ref_sum(scratch, ref_pseudo(scratch, pkt, 32 + paylen)));
	CHECK_EQ(rd32(pkt + iphlen + 4), s.seq);
	CHECK_EQ(pkt[iphlen + 13], 0x18);
	CHECK(!memcmp(pkt + iphlen + 32, payload, paylen));
	CHECK(coalesced_csums_ok(&emits[0]));

	/* splitting what GRO produced gives the same segments back */
	memcpy(in_buf, emits[0].buf, emits[0].len);
	CHECK_EQ(split(emits[0].len, 64), n);
	for (i = 0, bad = 0; i < (unsigned)n; i++)
		bad += slot_len[i] != saved_len[i] ||
		       memcmp(slot_pkt[i], saved[i], saved_len[i]);
	CHECK_EQ(bad, 0);
}

/* Builds a full packet into slot s and offers it. */
static enum gro_result offer(struct gro_table *t, unsigned s,
			     const struct pkt_spec *sp, size_t paylen)
{
	fill_random(payload, paylen);
	slot_len[s] = build(slot_pkt[s], sp, payload, paylen);
	memcpy(orig[s], slot_pkt[s], slot_len[s] < 2048 ? slot_len[s] : 2048);
	return gro_add(t, slot_pkt[s], slot_len[s], SLOT - HEADROOM);
}

/* One expected emission: which slot, and its total packet length if
 * coalesced (0: emitted alone and unchanged). */
struct want {
	unsigned slot;
	size_t coalesced_len;
};

static void expect(int num, struct gro_table *t, const struct want *w,
		   unsigned n)
{
	unsigned i, bad = 0;

	nemits = 0;
	gro_flush(t, record, NULL);
	bad += nemits != n;
	for (i = 0; i < n && i < nemits; i++) {
		const struct emitted *e = &emits[i];
		unsigned s = w[i].slot;

		bad += e->buf != slot_pkt[s] - VNET_HDR_LEN;
		if (w[i].coalesced_len) {
			bad += e->len != VNET_HDR_LEN + w[i].coalesced_len;
			bad += e->h.gso_type == 0 || !coalesced_csums_ok(e);
		} else {
			bad += e->len != VNET_HDR_LEN + slot_len[s];
			bad += !vnet_is_zero(&e->h);
			bad += memcmp(slot_pkt[s], orig[s],
				      slot_len[s] < 2048 ? slot_len[s] : 2048);
		}
	}
	CHECK_EQ(t->count, 0);
	if (bad) {
		test_failed++;
		fprintf(stderr, "gro case %d: %u emitted, %u mismatches\n",
			num, nemits, bad);
	} else {
		test_passed++;
	}
}

#define EXPECT(num, t, ...)                                                  \
	do {                                                                 \
		static const struct want w[] = { __VA_ARGS__ };              \
		expect(num, t, w, sizeof(w) / sizeof(w[0]));                 \
	} while (0)

/* Offers the next in-sequence segment of a flow. */
static enum gro_result next_seg(struct gro_table *t, unsigned slot_i,
				struct pkt_spec *sp, size_t paylen)
{
	enum gro_result r = offer(t, slot_i, sp, paylen);

	sp->seq += (uint32_t)paylen;
	return r;
}

static void test_gro_not_merged(void)
{
	uint8_t *big = malloc(BIG);
	struct pkt_spec a = spec_tcp(4), b, c;
	struct gro_table t;
	unsigned i;

	gro_init(&t);
	/* 1: non-contiguous seq */
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.seq += 1;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	EXPECT(1, &t, { 0, 0 }, { 1, 0 });

	/* 2: two flows interleaved coalesce separately, never together */
	a = spec_tcp(4);
	b = a;
	b.sport++;
	c = spec_tcp(6);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 1, &b, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 2, &c, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 3, &a, 1000), GRO_MERGED);
	CHECK_EQ(next_seg(&t, 4, &b, 1000), GRO_MERGED);
	CHECK_EQ(next_seg(&t, 5, &c, 1000), GRO_MERGED);
	b.dst[3]++;
	b.seq = a.seq;
	CHECK_EQ(next_seg(&t, 6, &b, 1000), GRO_HELD);
	EXPECT(2, &t, { 0, 52 + 2000 }, { 1, 52 + 2000 }, { 2, 72 + 2000 },
	       { 6, 0 });

	/* 3: PSH in the middle ends the packet */
	a = spec_tcp(4);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.flags = 0x18;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_MERGED);
	a.flags = 0x10;
	CHECK_EQ(next_seg(&t, 2, &a, 1000), GRO_HELD);
	CHECK_EQ(slot_pkt[0][33], 0x18);
	EXPECT(3, &t, { 0, 52 + 2000 }, { 2, 0 });

	/* 4: a bad TCP checksum in the middle, then at the head */
	a = spec_tcp(4);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	fill_random(payload, 1000);
	slot_len[1] = build(slot_pkt[1], &a, payload, 1000);
	slot_pkt[1][100] ^= 0x40;
	memcpy(orig[1], slot_pkt[1], slot_len[1]);
	CHECK_EQ(gro_add(&t, slot_pkt[1], slot_len[1], SLOT - HEADROOM),
		 GRO_HELD);
	a.seq += 1000;
	CHECK_EQ(next_seg(&t, 2, &a, 1000), GRO_HELD);
	EXPECT(4, &t, { 0, 0 }, { 1, 0 }, { 2, 0 });

	/* 5: a bad IPv4 header checksum */
	a = spec_tcp(4);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	fill_random(payload, 1000);
	slot_len[1] = build(slot_pkt[1], &a, payload, 1000);
	slot_pkt[1][10] ^= 1;
	memcpy(orig[1], slot_pkt[1], slot_len[1]);
	CHECK_EQ(gro_add(&t, slot_pkt[1], slot_len[1], SLOT - HEADROOM),
		 GRO_HELD);
	EXPECT(5, &t, { 0, 0 }, { 1, 0 });

	/* 6: IPv4 options, and no merging across them */
	a = spec_tcp(4);
	a.ip_opts = 4;
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	a.ip_opts = 0;
	CHECK_EQ(next_seg(&t, 2, &a, 1000), GRO_HELD);
	a.ip_opts = 4;
	CHECK_EQ(next_seg(&t, 3, &a, 1000), GRO_HELD);
	a.ip_opts = 0;
	CHECK_EQ(next_seg(&t, 4, &a, 1000), GRO_HELD);
	EXPECT(6, &t, { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 });

	/* 7: UDP is never coalesced */
	b = spec_udp(4);
	c = spec_udp(6);
	CHECK_EQ(offer(&t, 0, &b, 1200), GRO_HELD);
	CHECK_EQ(offer(&t, 1, &b, 1200), GRO_HELD);
	CHECK_EQ(offer(&t, 2, &c, 1200), GRO_HELD);
	EXPECT(7, &t, { 0, 0 }, { 1, 0 }, { 2, 0 });

	/* 8: a short segment ends the packet; a longer one starts anew */
	a = spec_tcp(6);
	CHECK_EQ(next_seg(&t, 0, &a, 1380), GRO_HELD);
	CHECK_EQ(next_seg(&t, 1, &a, 700), GRO_MERGED);
	CHECK_EQ(next_seg(&t, 2, &a, 1380), GRO_HELD);
	CHECK_EQ(next_seg(&t, 3, &a, 1381), GRO_HELD);
	EXPECT(8, &t, { 0, 72 + 2080 }, { 2, 0 }, { 3, 0 });

	/* 9: header fields that must match: ack, window, TTL, TOS, DF,
	 * timestamp, flow label, hop limit */
	for (i = 0; i < 8; i++) {
		a = spec_tcp(i < 6 ? 4 : 6);
		CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
		switch (i) {
		case 0: a.ack++; break;
		case 1: a.window++; break;
		case 2: a.ttl--; break;
		case 3: a.tos = 2; break;
		case 4: a.df = false; break;
		case 5: a.tsval++; break;
		case 6: a.flow_label++; break;
		case 7: a.ttl++; break;
		}
		CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
		EXPECT(9, &t, { 0, 0 }, { 1, 0 });
	}

	/* 10: flags other than ACK/PSH, pure ACKs, no merging across them */
	a = spec_tcp(4);
	a.flags = 0x11; /* FIN */
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.flags = 0x10;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 2, &a, 0), GRO_HELD);
	CHECK_EQ(next_seg(&t, 3, &a, 1000), GRO_HELD);
	a.flags = 0x50; /* ECE */
	CHECK_EQ(next_seg(&t, 4, &a, 1000), GRO_HELD);
	EXPECT(10, &t, { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 });

	/* 11: the head's cap limits growth */
	a = spec_tcp(4);
	fill_random(payload, 1000);
	slot_len[0] = build(slot_pkt[0], &a, payload, 1000);
	memcpy(orig[0], slot_pkt[0], slot_len[0]);
	CHECK_EQ(gro_add(&t, slot_pkt[0], slot_len[0], slot_len[0] + 999),
		 GRO_HELD);
	a.seq += 1000;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	EXPECT(11, &t, { 0, 0 }, { 1, 0 });

	/* 12: no more than 65535 bytes in one packet, even with room for
	 * more (a head buffer larger than 64 KiB) */
	a = spec_tcp(4);
	slot_pkt[0] = big + HEADROOM;
	fill_random(payload, 1380);
	slot_len[0] = build(slot_pkt[0], &a, payload, 1380);
	a.seq += 1380;
	CHECK_EQ(gro_add(&t, slot_pkt[0], slot_len[0], BIG - HEADROOM),
		 GRO_HELD);
	for (i = 1; i < 48; i++)
		CHECK_EQ(next_seg(&t, i, &a, 1380),
			 i == 47 ? GRO_HELD : GRO_MERGED);
	EXPECT(12, &t, { 0, 52 + 47 * 1380 }, { 47, 0 });
	slot_pkt[0] = slot[0] + HEADROOM;

	/* 13: an IP length one short of the buffer (a valid TCP checksum
	 * over the whole buffer), IPv4 and IPv6 */
	for (i = 4; i <= 6; i += 2) {
		a = spec_tcp((int)i);
		CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
		fill_random(payload, 1000);
		slot_len[1] = build(slot_pkt[1], &a, payload, 1000);
		if (i == 4) {
			wr16(slot_pkt[1] + 2, (uint16_t)(slot_len[1] - 1));
			wr16(slot_pkt[1] + 10, 0);
			wr16(slot_pkt[1] + 10, (uint16_t)~ref_sum(slot_pkt[1],
								  20));
		} else {
			wr16(slot_pkt[1] + 4, (uint16_t)(slot_len[1] - 41));
		}
		memcpy(orig[1], slot_pkt[1], slot_len[1]);
		CHECK_EQ(gro_add(&t, slot_pkt[1], slot_len[1],
				 SLOT - HEADROOM), GRO_HELD);
		EXPECT(13, &t, { 0, 0 }, { 1, 0 });
	}

	/* 18: an IPv4 first fragment (MF) */
	a = spec_tcp(4);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.frag = 0x2000;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	EXPECT(18, &t, { 0, 0 }, { 1, 0 });

	/* 19: PSH on the first segment: nothing may follow it */
	a = spec_tcp(4);
	a.flags = 0x18;
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.flags = 0x10;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	EXPECT(19, &t, { 0, 0 }, { 1, 0 });

	/* 20: different TCP header lengths */
	a = spec_tcp(6);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	a.tcp_opts = 0;
	CHECK_EQ(next_seg(&t, 1, &a, 1000), GRO_HELD);
	EXPECT(20, &t, { 0, 0 }, { 1, 0 });

	/* 14: no merging across a pure ACK of the same flow */
	a = spec_tcp(6);
	CHECK_EQ(next_seg(&t, 0, &a, 1000), GRO_HELD);
	CHECK_EQ(offer(&t, 1, &a, 0), GRO_HELD);
	CHECK_EQ(next_seg(&t, 2, &a, 1000), GRO_HELD);
	CHECK_EQ(next_seg(&t, 3, &a, 1000), GRO_MERGED);
	EXPECT(14, &t, { 0, 0 }, { 1, 0 }, { 2, 72 + 2000 });

	/* 17: not even IP */
	memset(slot_pkt[0], 0, 3);
	slot_len[0] = 3;
	memcpy(orig[0], slot_pkt[0], 3);
	CHECK_EQ(gro_add(&t, slot_pkt[0], 3, 3), GRO_HELD);
	EXPECT(17, &t, { 0, 0 });
	free(big);
}

static void test_gro_full(void)
{
	struct pkt_spec f[GRO_MAX_FLOWS + 1], extra;
	struct want w[GRO_MAX_FLOWS];
	struct gro_table t;
	unsigned i, bad = 0;

	gro_init(&t);
	for (i = 0; i <= GRO_MAX_FLOWS; i++) {
		f[i] = spec_tcp(i % 2 ? 6 : 4);
		f[i].sport = (uint16_t)(1000 + i);
	}
	for (i = 0; i < GRO_MAX_FLOWS; i++)
		bad += next_seg(&t, i, &f[i], 1000) != GRO_HELD;
	CHECK_EQ(bad, 0);
	/* a new flow does not fit, and is left alone */
	CHECK_EQ(offer(&t, GRO_MAX_FLOWS, &f[GRO_MAX_FLOWS], 1000), GRO_FULL);
	CHECK_EQ(t.count, GRO_MAX_FLOWS);
	CHECK(!memcmp(slot_pkt[GRO_MAX_FLOWS], orig[GRO_MAX_FLOWS],
		      slot_len[GRO_MAX_FLOWS]));
	/* but a continuation still merges */
	CHECK_EQ(next_seg(&t, GRO_MAX_FLOWS + 1, &f[5], 1000), GRO_MERGED);
	extra = f[6];
	extra.seq += 7;
	CHECK_EQ(offer(&t, GRO_MAX_FLOWS + 2, &extra, 1000), GRO_FULL);
	for (i = 0; i < GRO_MAX_FLOWS; i++) {
		w[i].slot = i;
		w[i].coalesced_len = i == 5 ? 72 + 2000 : 0; /* odd: IPv6 */
	}
	expect(15, &t, w, GRO_MAX_FLOWS);
	/* after the flush the packet that did not fit is taken */
	CHECK_EQ(gro_add(&t, slot_pkt[GRO_MAX_FLOWS],
			 slot_len[GRO_MAX_FLOWS], SLOT - HEADROOM), GRO_HELD);
	EXPECT(16, &t, { GRO_MAX_FLOWS, 0 });
}

int main(void)
{
	unsigned i;

	for (i = 0; i < NSLOTS; i++) {
		slot[i] = malloc(SLOT);
		slot_pkt[i] = slot[i] + HEADROOM;
	}
	test_csum();
	test_csum_random();
	test_split_tcp4();
	test_split_tcp6();
	test_split_edges();
	test_split_udp();
	test_split_none();
	test_malformed_table();
	test_malformed_fuzz();
	test_gro_roundtrip(4, 45 * 1380);
	test_gro_roundtrip(6, 44 * 1380 + 700);
	test_gro_roundtrip(4, 1381);
	test_gro_not_merged();
	test_gro_full();
	for (i = 0; i < NSLOTS; i++)
		free(slot[i]);
	return test_finish("offload");
}
