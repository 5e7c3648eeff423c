// SPDX-License-Identifier: MIT
/*
 * The Internet checksum and IP header reading shared by TUN segmentation
 * (offload.c) and coalescing (offload_gro.c), issue 4. Checksums are summed
 * in host order 8 bytes at a time and byte-swapped once at the end
 * (RFC 1071 section 2(B)); a copy and its sum are one pass over the data.
 */
#include "offload_internal.h"

#include <errno.h>
#include <string.h>

/* ---- checksums ---- */

/* Host-order sum of p[0..len): 32-bit halves of 64-bit loads into a 64-bit
 * accumulator, which cannot overflow below 16 GiB. An odd last byte goes
 * into the lower-addressed byte of its word, as a 16-bit load would. */
uint64_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, w8;
	uint32_t w4;
	uint16_t w2 = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w8, p, 8);
		acc += (w8 & 0xffffffff) + (w8 >> 32);
	}
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

/* sum_native() of src while copying it to dst: one pass over the data. */
uint64_t sum_copy_native(uint8_t *dst, const uint8_t *src, size_t len)
{
	uint64_t acc = 0, w8;

	for (; len >= 8; src += 8, dst += 8, len -= 8) {
		memcpy(&w8, src, 8);
		memcpy(dst, &w8, 8);
		acc += (w8 & 0xffffffff) + (w8 >> 32);
	}
	memcpy(dst, src, len);
	return acc + sum_native(src, len);
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
