/* SPDX-License-Identifier: MIT */
/*
 * What offload.c (segmentation of TUN reads) and offload_gro.c (coalescing
 * of TUN writes) share: header sizes and flags, big-endian field access,
 * and the checksum and IP header helpers of offload_csum.c. Include only
 * from daemon/offload*.c; the public interface is offload.h. Declares no
 * structs.
 */
#ifndef LW_OFFLOAD_INTERNAL_H
#define LW_OFFLOAD_INTERNAL_H

#include "offload.h"

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_MIN 20
#define UDP_HDR_LEN 8
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define IP_LEN_MAX 65535

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFF 0x1fff

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- checksums (the smallest three inline; offload_csum.c) ---- */

/* Folds a host-order accumulator to the 16-bit network-order sum (not
 * complemented). */
static inline uint16_t fold_native(uint64_t acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((uint16_t)acc);
#else
	return (uint16_t)acc;
#endif
}

/* a + b with the carry out of bit 31 added back in. */
static inline uint32_t add_carry(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;

	return s + (s < b);
}

/* The folded sum itself, as CHECKSUM_PARTIAL leaves it in the field. */
static inline uint16_t csum_unfolded16(uint32_t sum)
{
	return (uint16_t)~inet_csum_fold(sum);
}

/* Host-order sum of p[0..len) (RFC 1071 2(B)), folded to at most 33 bits
 * so that callers may add a few before fold_native(). */
uint64_t sum_native(const uint8_t *p, size_t len);
/* sum_native() of src while copying it to dst: one pass over the data. */
uint64_t sum_copy_native(uint8_t *dst, const uint8_t *src, size_t len);
/* Source, destination and protocol of the pseudo-header; the upper-layer
 * length is added per packet. */
uint32_t pseudo_sum(const uint8_t *ip, unsigned version, uint8_t proto);
/* Recomputes an IPv4 header's checksum field. */
void ipv4_set_csum(uint8_t *ip, size_t iphlen);

/* ---- packet geometry (offload_csum.c) ---- */

/* Reads the fixed IP header: version, header length, upper protocol;
 * -EINVAL when it is not a whole IPv4 or IPv6 header. */
int parse_ip(const uint8_t *pkt, size_t len, unsigned *version,
	     size_t *iphlen, uint8_t *proto);

#endif
