// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the join parsers (planner/ctl_invite.c): the first
 * input byte picks what the rest is.
 *   even: a token text for ctl_token_parse(). A token taken must encode
 *     back to a token that parses to the same fields; a refused one leaves
 *     the output wiped.
 *   odd: a join grant for ctl_grant_parse() against a fixed network key:
 *     the fuzzer cannot sign, so nothing may ever be taken.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ctl.h"
#include "ctl_join.h"

static EVP_PKEY *pub;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *text, *again;
	struct ctl_token t, u;
	struct ctl_grant g;

	if (!pub) {
		uint8_t seed[32] = { 7 };

		crypto_init();
		pub = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
						   32);
	}
	if (!size)
		return 0;
	if (data[0] & 1) {
		if (!ctl_grant_parse(&g, (const char *)data + 1, size - 1, pub,
				     err, sizeof(err)))
			abort(); /* a grant nobody signed */
		return 0;
	}
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (ctl_token_parse(&t, text, err, sizeof(err))) {
		if (!crypto_is_zero(&t, sizeof(t)))
			abort();
	} else {
		again = ctl_token_encode(&t);
		if (!again || ctl_token_parse(&u, again, err, sizeof(err)) ||
		    memcmp(&t, &u, sizeof(t)))
			abort();
		free(again);
	}
	free(text);
	return 0;
}
