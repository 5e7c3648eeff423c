// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the UAPI "set=1" parser (daemon/uapi_parse.c): the
 * input is the text after "set=1". Besides the sanitizers' findings it
 * traps when an accepted model breaks what the parser promises: prefix
 * lengths within their family, public keys and endpoints that format and
 * parse back to the same bytes (lanwire_replaces too), lanwire_probe_ms 0
 * or within its bounds, and a model that uapi_set_free() leaves empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "uapi_names.h"
#include "uapi_parse.h"

static void check_allowed_ips(const struct uapi_peer *peer)
{
	const struct uapi_allowed_ip *ip;
	unsigned int max_cidr;
	size_t i;

	if (peer->n_allowed_ips > peer->cap_allowed_ips)
		__builtin_trap();
	for (i = 0; i < peer->n_allowed_ips; i++) {
		ip = &peer->allowed_ips[i];
		max_cidr = ip->family == AF_INET ? 32 : 128;
		if (ip->family != AF_INET && ip->family != AF_INET6)
			__builtin_trap();
		if (ip->cidr > max_cidr)
			__builtin_trap();
	}
}

static void check_endpoint(const struct uapi_peer *peer)
{
	struct endpoint back;
	char buf[ENDPOINT_STR_MAX];

	if (!peer->has_endpoint)
		return;
	endpoint_format(buf, sizeof(buf), &peer->endpoint);
	if (endpoint_parse(&back, buf, strlen(buf)) ||
	    memcmp(&back, &peer->endpoint, sizeof(back)))
		__builtin_trap();
}

static void check_key(const uint8_t key[static NOISE_PUBLIC_KEY_LEN])
{
	uint8_t back[NOISE_PUBLIC_KEY_LEN];
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1];

	key_to_hex(hex, key);
	if (key_from_hex(back, hex, strlen(hex)) ||
	    memcmp(back, key, sizeof(back)))
		__builtin_trap();
}

static void check_model(const struct uapi_set *s)
{
	size_t i;

	if (s->n_peers > s->cap_peers)
		__builtin_trap();
	for (i = 0; i < s->n_peers; i++) {
		check_key(s->peers[i].public_key);
		if (s->peers[i].has_replaces)
			check_key(s->peers[i].replaces);
		if (s->peers[i].probe_ms &&
		    (!s->peers[i].has_probe_ms ||
		     s->peers[i].probe_ms < UAPI_PROBE_MIN_MS ||
		     s->peers[i].probe_ms > UAPI_PROBE_MAX_MS))
			__builtin_trap();
		check_allowed_ips(&s->peers[i]);
		check_endpoint(&s->peers[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uapi_set s;

	if (!uapi_set_parse(&s, (const char *)data, size))
		check_model(&s);
	uapi_set_free(&s);
	if (s.peers || s.n_peers || s.has_private_key)
		__builtin_trap();
	return 0;
}
