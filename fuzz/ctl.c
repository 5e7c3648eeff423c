// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the control plane's parsers (planner/ctl*.c): the
 * first input byte picks what the rest is.
 *   bit 0 clear: an envelope for ctl_envelope_parse() against a fixed
 *     network key. An input the fuzzer cannot sign must never be taken;
 *     one the harness signed itself (bit 1 set: the rest is a state
 *     object, signed here at epoch 7, then cut or flipped as bits 2-7
 *     say) must be taken exactly when it was left whole, and a refused
 *     envelope leaves the output untouched.
 *   bit 0 set: a state object for ctl_state_plan(), as if its signature
 *     had held: accepted states must have at most what ctl.h allows
 *     (two addresses, names that are interface names, a rotation per
 *     peer at most, naming a peer, with a time and another key), and
 *     every path frees what it made (ASan).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ctl.h"

static EVP_PKEY *key, *pub;
static uint8_t priv[32];

static void setup(void)
{
	uint8_t seed[32] = { 7 }, raw[32];
	size_t len = sizeof(raw);

	crypto_init();
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_PKEY_get_raw_public_key(key, raw, &len);
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
	memset(priv, 0x42, sizeof(priv));
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
}

static void envelope(const uint8_t *data, size_t size, uint8_t mode)
{
	struct ctl_envelope e = { "x", "x", 1, NULL };
	char err[512], *signed_text = NULL;
	const char *text = (const char *)data;
	size_t len = size;
	bool whole = false;
	int r;

	if (mode & 2) {
		json_t *st = json_loadb(text, len, 0, NULL);

		if (!json_is_object(st)) {
			json_decref(st);
			return;
		}
		signed_text = ctl_envelope_sign(key, "n", "a", 7, st);
		json_decref(st);
		if (!signed_text)
			return;
		text = signed_text;
		len = strlen(signed_text);
		whole = !(mode & 0xfc);
		if (mode & 0x80)
			len -= (mode >> 2 & 0x1f) % len + 1; /* cut */
		else if (mode & 0x7c)
			signed_text[(mode >> 2) % len] ^= 0x20; /* flip */
	}
	r = ctl_envelope_parse(&e, text, len, pub, "n", "a", 3, err,
			       sizeof(err));
	if (!signed_text && !r)
		abort(); /* an unsigned input taken */
	if (whole && r)
		abort(); /* our own envelope refused */
	if (r && (strcmp(e.network, "x") || e.epoch != 1 || e.state))
		abort(); /* a refusal that changed the output */
	if (!r) {
		if (e.epoch != 7)
			abort();
		ctl_envelope_free(&e);
	}
	free(signed_text);
}

static void state(const uint8_t *data, size_t size)
{
	json_t *st = json_loadb((const char *)data, size, 0, NULL);
	char err[512];
	struct ctl_plan cp;

	if (!st)
		return;
	if (!ctl_state_plan(&cp, st, "n", "a", priv, "/k", err,
			    sizeof(err))) {
		if (cp.pl.n_addrs > LW_FAMILIES || !cp.pl.iface[0] ||
		    cp.pl.iface[0] == '-' || cp.n_hubs > 8 ||
		    cp.n_switches > cp.pl.n_peers)
			abort();
		for (size_t i = 0; i < cp.n_switches; i++)
			if (cp.switches[i].peer >= cp.pl.n_peers ||
			    !cp.switches[i].at_ms ||
			    !memcmp(cp.switches[i].replaces,
				    cp.pl.peers[cp.switches[i].peer].public_key,
				    32))
				abort();
		ctl_plan_free(&cp);
	}
	json_decref(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1 || size > CTL_MAX_ENVELOPE + 16)
		return 0;
	if (data[0] & 1)
		state(data + 1, size - 1);
	else
		envelope(data + 1, size - 1, data[0]);
	return 0;
}
