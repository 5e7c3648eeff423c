// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of lanwire status's reader of a UAPI "get" answer
 * (planner/status.c): the input, cut at its first NUL, is what the
 * interface's socket said. Whatever parses is printed (to /dev/null) with
 * the seed-002 star network as the description, whose nodes have made-up
 * keys: node i's public key is 32 bytes of i + 2, so a seed naming them
 * reaches the by-name output. Besides the sanitizers' findings it traps
 * when a promise breaks: an answer accepted has one peer per public_key
 * line and every key it took (private_key, public_key) was exactly 64 hex
 * digits; one drop counter per lanwire_drop line, each with a name;
 * status_free() leaves nothing behind.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "desc.h"
#include "keys.h"
#include "status.h"

#define MAX_INPUT 65536

static struct lw_desc desc;
static struct lw_keyring keyring;
static FILE *devnull;

static const char star[] =
	"[network]\nname = star\ntunnel = 10.9.0.0/16\n"
	"infra-pool = 10.9.0.0/24\nclient-pool = 10.9.9.0/24\n"
	"[hub router]\nendpoint = 203.0.113.1:51820\n"
	"[site homelab]\ngateway = home-gw\nlan = 192.168.1.0/24\n"
	"[site office]\ngateway = office-gw\nlan = 172.19.50.0/24\n"
	"[client macbook]\ngroup = mobile\n"
	"[client cellphone]\ngroup = mobile\n"
	"[policy]\nallow = mobile -> homelab, office\n";

static void setup(void)
{
	size_t i;

	if (crypto_init())
		abort();
	devnull = fopen("/dev/null", "w");
	if (!devnull ||
	    desc_parse(&desc, "star.conf", star, sizeof(star) - 1) ||
	    desc.n_errors ||
	    keyring_load(&keyring, &desc, "/nonexistent/lanwire-fuzz"))
		abort();
	for (i = 0; i < keyring.n_nodes; i++) {
		memset(keyring.nodes[i].public_key, (int)(i + 2), LW_KEY_LEN);
		keyring.nodes[i].has_public = true;
	}
}

static bool is_hex_key(const char *v, size_t n)
{
	size_t i;

	if (n != 2 * LW_KEY_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/*
 * Walks the lines of an accepted answer as status_parse() does (empty
 * lines skipped, errno= ends it): every key line holds a key, and the
 * public_key lines count the peers.
 */
static void check_accepted(const char *text, const struct lw_wg_status *st)
{
	const char *line = text, *nl, *v;
	size_t n, peers = 0, drops = 0;

	for (; *line; line = nl ? nl + 1 : line + n) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		if (!strncmp(line, "errno=", 6))
			break;
		if (!strncmp(line, LW_UAPI_DROP_KEY "=", 13)) {
			drops++;
			continue;
		}
		if (!strncmp(line, "public_key=", 11)) {
			v = line + 11;
			peers++;
		} else if (!peers && !strncmp(line, "private_key=", 12)) {
			v = line + 12;
		} else {
			continue;
		}
		if (!is_hex_key(v, n - (size_t)(v - line)))
			__builtin_trap();
	}
	if (peers != st->n_peers || st->n_peers > st->cap_peers)
		__builtin_trap();
	if (drops != st->n_drops || st->n_drops > st->cap_drops)
		__builtin_trap();
	for (n = 0; n < st->n_drops; n++)
		if (!st->drops[n].name[0])
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[MAX_INPUT + 1];
	struct lw_wg_status st;

	if (!devnull)
		setup();
	if (size > MAX_INPUT)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (status_parse(&st, text) == 0) {
		check_accepted(text, &st);
		status_print(devnull, "wg0", &st, &desc, &keyring, 1700000000);
	}
	status_free(&st);
	if (st.peers || st.n_peers || st.drops || st.n_drops ||
	    st.has_private_key ||
	    !crypto_is_zero(st.private_key, sizeof(st.private_key)))
		__builtin_trap();
	return 0;
}
