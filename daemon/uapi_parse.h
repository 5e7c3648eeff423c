/* SPDX-License-Identifier: MIT */
/*
 * Parser of the cross-platform userspace UAPI "set=1" transaction
 * (wireguard.com/xplatform). Text is parsed into one model, struct uapi_set;
 * the device validates and applies the model in one place (uapi.c), so a
 * bad line applies nothing.
 *
 * Ownership: the caller owns struct uapi_set; uapi_set_free() wipes the keys
 * in it and frees its arrays.
 */
#ifndef LW_UAPI_PARSE_H
#define LW_UAPI_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "key.h" /* key_from_hex, key_to_hex: keys in UAPI form */
#include "messages.h"

struct uapi_allowed_ip {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t addr[16]; /* first 4 bytes for AF_INET */
};

struct uapi_peer {
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
	bool remove;
	bool update_only;
	bool replace_allowed_ips;
	bool has_preshared_key;
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	bool has_endpoint;
	struct endpoint endpoint;
	bool has_persistent_keepalive;
	uint16_t persistent_keepalive_interval;
	bool has_probe_ms; /* lanwire_probe_ms (uapi_names.h) */
	uint16_t probe_ms;
	bool has_carrier_ms; /* lanwire_carrier_ms (uapi_names.h) */
	uint16_t carrier_ms;
	bool has_replaces; /* lanwire_replaces (uapi_names.h) */
	uint8_t replaces[NOISE_PUBLIC_KEY_LEN];
	size_t n_allowed_ips;
	size_t cap_allowed_ips;
	struct uapi_allowed_ip *allowed_ips;
};

struct uapi_set {
	bool has_private_key;
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN]; /* all zero = remove key */
	bool has_listen_port;
	uint16_t listen_port;
	bool has_fwmark;
	uint32_t fwmark;
	bool replace_peers;
	size_t n_peers;
	size_t cap_peers;
	struct uapi_peer *peers;
	/* Where parsing stopped, for the error log: 1-based line number. */
	size_t error_line;
};

/*
 * Streaming interface: uapi_set_init(), then uapi_set_parse_line() once per
 * line (without the trailing newline; the "set=1" line and the empty line
 * that ends the transaction are not passed), then the caller applies or
 * frees. Returns 0 or a negative errno, as wireguard-go answers: -EPROTO
 * for a line without '=', -EINVAL for a malformed value, an unknown key or
 * one out of place (a peer key before any public_key, a device key after
 * one) and a protocol_version other than 1; or -ENOMEM.
 *
 * replace_allowed_ips=true empties the allowed_ips gathered so far for its
 * peer op and sets replace_allowed_ips, so the op replaces the peer's
 * allowed IPs with those of the lines after it (wireguard-go's order).
 */
void uapi_set_init(struct uapi_set *s);
int uapi_set_parse_line(struct uapi_set *s, const char *line, size_t len);
void uapi_set_free(struct uapi_set *s);

/* Whole-buffer convenience (for tests and the fuzzer): text holds lines
 * separated by '\n', without "set=1" and ending at an empty line or at the
 * end of the buffer. */
int uapi_set_parse(struct uapi_set *s, const char *text, size_t len);

#endif
