// SPDX-License-Identifier: MIT
/*
 * The Internet checksum and IP header reading shared by TUN segmentation
 * (offload.c) and coalescing (offload_gro.c), issue 4. Checksums are summed
 * in host order 8 bytes at a time with the carries kept, folded and
 * byte-swapped once at the end (RFC 1071 section 2(B)); a copy and its sum
 * are one pass over the data.
 */
#include "offload_internal.h"

#include <errno.h>
#include <string.h>

/* ---- checksums ---- */

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/*
 * A ones' complement sum of 64-bit words kept as their sum modulo 2^64
 * and the count of carries out of it, folded to at most 33 bits with its
 * value kept: the carries added back in (end-around carry, 2^64 being 1
 * modulo 2^64 - 1), then the two 32-bit halves. Modulo 2^64 - 1 is also
 * modulo 2^16 - 1, so the 16-bit sum (RFC 1071) survives both folds; the
 * result is small enough for callers to add a few of them.
 */
static inline uint64_t fold_carries(uint64_t sum, uint64_t carries)
{
	uint64_t x = sum + carries;

	x += x < carries;
	return (x & 0xffffffff) + (x >> 32);
}

/* Host-order sum of the last len < 8 bytes. An odd last byte goes into the
 * lower-addressed byte of its word, as a 16-bit load would. */
static uint64_t sum_tail(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	uint32_t w4;
	uint16_t w2 = 0;

	if (len >= 4) {
		memcpy(&w4, p, 4);
		acc += w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		acc += w2;
		p += 2;
		len -= 2;
	}
	if (len) {
		w2 = 0;
		memcpy(&w2, p, 1);
		acc += w2;
	}
	return acc;
}

/* Host-order sum of p[0..len): whole 64-bit words added with their
 * carries counted, in two chains so that the additions overlap (add with
 * carry on x86-64; about three times the speed of 32-bit halves into one
 * 64-bit sum), folded once. */
uint64_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, ca = 0, cb = 0;

	for (; len >= 32; p += 32, len -= 32) {
		ca += __builtin_add_overflow(a, load64(p), &a);
		cb += __builtin_add_overflow(b, load64(p + 8), &b);
		ca += __builtin_add_overflow(a, load64(p + 16), &a);
		cb += __builtin_add_overflow(b, load64(p + 24), &b);
	}
	for (; len >= 8; p += 8, len -= 8)
		ca += __builtin_add_overflow(a, load64(p), &a);
	ca += cb + __builtin_add_overflow(a, b, &a);
	return fold_carries(a, ca) + sum_tail(p, len);
}

static inline void store64(uint8_t *p, uint64_t w)
{
	memcpy(p, &w, 8);
}

/* sum_native() of src while copying it to dst: one pass over the data
 * (words through registers: a bounce buffer made the compiler spill). */
uint64_t sum_copy_native(uint8_t *dst, const uint8_t *src, size_t len)
{
	uint64_t a = 0, b = 0, ca = 0, cb = 0, w0, w1, w2, w3;

	for (; len >= 32; src += 32, dst += 32, len -= 32) {
		w0 = load64(src);
		w1 = load64(src + 8);
		w2 = load64(src + 16);
		w3 = load64(src + 24);
		store64(dst, w0);
		store64(dst + 8, w1);
		store64(dst + 16, w2);
		store64(dst + 24, w3);
		ca += __builtin_add_overflow(a, w0, &a);
		cb += __builtin_add_overflow(b, w1, &b);
		ca += __builtin_add_overflow(a, w2, &a);
		cb += __builtin_add_overflow(b, w3, &b);
	}
	for (; len >= 8; src += 8, dst += 8, len -= 8) {
		w0 = load64(src);
		store64(dst, w0);
		ca += __builtin_add_overflow(a, w0, &a);
	}
	memcpy(dst, src, len);
	ca += cb + __builtin_add_overflow(a, b, &a);
	return fold_carries(a, ca) + sum_tail(src, len);
}

uint32_t inet_csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	return add_carry(sum, fold_native(sum_native(p, len)));
}

uint16_t inet_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Source, destination and protocol of the pseudo-header (RFC 9293 3.1,
 * RFC 8200 8.1); the upper-layer length is added per packet. */
uint32_t pseudo_sum(const uint8_t *ip, unsigned version, uint8_t proto)
{
	if (version == 4)
		return inet_csum_partial(ip + 12, 8, proto);
	return inet_csum_partial(ip + 8, 32, proto);
}

void ipv4_set_csum(uint8_t *ip, size_t iphlen)
{
	put16(ip + 10, 0);
	put16(ip + 10, inet_csum_fold(inet_csum_partial(ip, iphlen, 0)));
}

/* ---- packet geometry ---- */

/* Reads the fixed IP header: version, header length, upper protocol. An
 * IPv6 packet's next header is taken as its protocol (no extension
 * headers are followed). */
int parse_ip(const uint8_t *pkt, size_t len, unsigned *version,
	     size_t *iphlen, uint8_t *proto)
{
	if (len < 1)
		return -EINVAL;
	*version = pkt[0] >> 4;
	if (*version == 4) {
		*iphlen = (size_t)(pkt[0] & 0x0f) * 4;
		if (len < IPV4_HDR_MIN || *iphlen < IPV4_HDR_MIN ||
		    *iphlen > len)
			return -EINVAL;
		*proto = pkt[9];
		return 0;
	}
	if (*version == 6) {
		*iphlen = IPV6_HDR_LEN;
		if (len < IPV6_HDR_LEN)
			return -EINVAL;
		*proto = pkt[6];
		return 0;
	}
	return -EINVAL;
}
