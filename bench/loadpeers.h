/* SPDX-License-Identifier: MIT */
/*
 * loadpeers: one process that plays N WireGuard peers against one hub, for
 * bench/manypeers.sh and tests/e2e/manypeers.sh. Each peer is a real
 * initiator (whitepaper 5.4.2-5.4.7): its own static key, Noise IKpsk2
 * handshakes built with the daemon's noise.c and cookie.c (so cookie
 * replies are consumed and the next initiation carries mac2), retries
 * every REKEY_TIMEOUT plus jitter (6.4), and transport data encrypted
 * with the session's sending key (5.4.6). The peers share one UDP socket
 * and each sends from its own IPv4 address (IP_PKTINFO), so the hub sees
 * N distinct endpoints: the test gives the load namespace a local route
 * for the whole range ("AnyIP").
 *
 * Ownership: struct lp_run is main()'s, on its stack; it owns the peer
 * array and the socket. Each peer owns its one keypair. One thread.
 */
#ifndef LW_LOADPEERS_H
#define LW_LOADPEERS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "cookie.h"
#include "noise.h"

/* Whole seconds/nanoseconds helpers, and the largest batch of datagrams
 * moved per sendmmsg/recvmmsg. */
#define LP_BATCH 256
/* Inner packets: IPv4 + UDP to the sink, whole MTU in data mode. */
#define LP_SINK_PORT 9999
#define LP_DATA_LEN 1420
#define LP_DGRAM_MAX 2048

struct lp_peer {
	uint32_t number;         /* 0..N-1 */
	struct in_addr addr;     /* outer source address */
	struct in_addr tun_addr; /* inner source address */
	struct noise_local local;
	struct noise_handshake hs;
	struct cookie_maker cookie;
	struct noise_keypair *kp; /* the session, or NULL */
	uint64_t next_initiation_ns; /* monotonic; 0: none due */
	uint64_t session_wall_ns;    /* kernel time of its response */
	uint32_t attempts;           /* initiations sent for this session */
	bool wants_session;
	bool sent_data;
	/* Prebuilt first initiation (burst mode), sent at the start. */
	bool has_prebuilt;
	struct message_handshake_initiation prebuilt;
};

/* One datagram waiting in the send batch. */
struct lp_out {
	struct in_addr src;
	uint16_t len;
	uint8_t buf[LP_DGRAM_MAX];
};

struct lp_counts {
	uint64_t initiations, responses, bad_responses, cookies, bad_cookies;
	uint64_t data_sent, data_bytes_sent, data_received, keepalives_received;
	uint64_t bad_data, hub_initiations, send_errors, other;
};

struct lp_run {
	int fd;
	struct sockaddr_in hub;
	uint8_t hub_public[NOISE_PUBLIC_KEY_LEN];
	struct lp_peer *peers;
	uint32_t npeers;
	uint32_t sessions; /* peers holding a session */
	uint64_t start_wall_ns; /* when the phase being measured began */
	uint64_t last_session_wall_ns;
	struct lp_out *out;
	unsigned nout;
	struct lp_counts c;
	bool send_data_once; /* every new session sends one data packet */
};

/* loadpeers_util.c */
uint64_t lp_mono_ns(void);
uint64_t lp_wall_ns(void);
int lp_random(void *buf, size_t len);
void lp_peer_private(uint8_t priv[static NOISE_PUBLIC_KEY_LEN], uint32_t n);
struct in_addr lp_addr_add(struct in_addr base, uint32_t n);
int lp_parse_key(uint8_t key[static NOISE_PUBLIC_KEY_LEN], const char *b64);
void lp_print_key(const uint8_t key[static NOISE_PUBLIC_KEY_LEN]);
int lp_print_conf(uint32_t n, const char *hub_private_b64, unsigned port,
		  struct in_addr tun_base);
size_t lp_build_inner(uint8_t *dst, size_t len, struct in_addr src,
		      struct in_addr dst_addr, uint32_t seq);
int lp_sink(unsigned port, double seconds, uint32_t expect_sources);

/* loadpeers_peer.c: one peer's protocol steps. */
int lp_peer_init(struct lp_peer *p, uint32_t n, struct in_addr addr,
		 struct in_addr tun_addr,
		 const uint8_t hub_public[static NOISE_PUBLIC_KEY_LEN]);
void lp_peer_free(struct lp_peer *p);
int lp_peer_build_initiation(struct lp_peer *p,
			     struct message_handshake_initiation *msg,
			     uint64_t now);
void lp_peer_schedule_retry(struct lp_peer *p, uint64_t now);
void lp_peer_drop_session(struct lp_peer *p);
/* Handles one datagram addressed to peer p; kernel_wall_ns is its arrival
 * time. Returns true when it gave p a new session. */
bool lp_peer_receive(struct lp_run *r, struct lp_peer *p, uint8_t *buf,
		     size_t len, uint64_t kernel_wall_ns);
/* Encrypts an inner packet of plain_len (in out->buf after the header)
 * under p's session. False without one. */
bool lp_peer_seal(struct lp_peer *p, struct lp_out *out, size_t plain_len);

/* loadpeers.c: the send batch. */
struct lp_out *lp_out_next(struct lp_run *r, struct in_addr src);
void lp_out_flush(struct lp_run *r);

#endif
