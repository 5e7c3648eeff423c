// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of lanwire up's two readers (planner/upstate.c): the
 * state file RUN/IFACE.state and the output of `wg show IFACE dump`. The
 * first byte picks the reader (even: state, odd: dump); the rest, cut at
 * its first NUL, is the text. Besides the sanitizers' findings it traps
 * when a promise breaks: an accepted state formats to text that parses
 * again to the same text (what up writes, down reads back); an accepted
 * dump has at most one peer per line after the first; the free functions
 * leave nothing behind.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "upstate.h"

#define MAX_INPUT 65536

static void state_case(const char *text)
{
	struct lw_up_state st, again;
	char *out, *out2;
	int line;

	if (up_state_parse(&st, text, &line)) {
		up_state_free(&st);
		return;
	}
	out = up_state_format(&st);
	if (!out)
		__builtin_trap();
	if (up_state_parse(&again, out, &line))
		__builtin_trap();
	out2 = up_state_format(&again);
	if (!out2 || strcmp(out, out2))
		__builtin_trap();
	free(out);
	free(out2);
	up_state_free(&again);
	up_state_free(&st);
	if (st.addrs.v || st.routes.v || st.endpoints || st.n_pids)
		__builtin_trap();
}

static void dump_case(const char *text)
{
	struct lw_wg_dump d;
	size_t lines = 0;
	const char *p;

	for (p = text; *p; p++)
		lines += *p == '\n';
	if (!wg_dump_parse(&d, text) && (!lines || d.n_peers > lines - 1))
		__builtin_trap();
	wg_dump_free(&d);
	if (d.peers || d.n_peers || d.has_private_key ||
	    !crypto_is_zero(d.private_key, sizeof(d.private_key)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[MAX_INPUT + 1];

	if (!size || size > MAX_INPUT + 1)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		dump_case(text);
	else
		state_case(text);
	return 0;
}
