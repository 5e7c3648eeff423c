// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the endpoint text form (common/endpoint.c): the
 * input is one endpoint value. Besides the sanitizers' findings it traps
 * when an accepted endpoint does not print back to text that parses to the
 * same bytes, when a refused one changed the output, when the text does not
 * fit ENDPOINT_STR_MAX, or when the same scope id without its zone text
 * (as learned from a packet) prints as something that names another scope.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "endpoint.h"

static void check_learned_form(const struct endpoint *ep)
{
	struct endpoint learned = *ep, back;
	char buf[ENDPOINT_STR_MAX];

	memset(learned.zone, 0, sizeof(learned.zone));
	endpoint_format(buf, sizeof(buf), &learned);
	if (endpoint_parse(&back, buf, strlen(buf)) ||
	    back.in6.sin6_scope_id != ep->in6.sin6_scope_id)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct endpoint ep, back, untouched;
	char buf[ENDPOINT_STR_MAX + 1];

	memset(&ep, 0xa5, sizeof(ep));
	untouched = ep;
	if (endpoint_parse(&ep, (const char *)data, size)) {
		if (memcmp(&ep, &untouched, sizeof(ep)))
			__builtin_trap();
		return 0;
	}
	endpoint_format(buf, sizeof(buf), &ep);
	if (strlen(buf) >= ENDPOINT_STR_MAX || !buf[0])
		__builtin_trap();
	if (endpoint_parse(&back, buf, strlen(buf)) ||
	    memcmp(&back, &ep, sizeof(back)))
		__builtin_trap();
	if (ep.sa.sa_family == AF_INET6)
		check_learned_form(&ep);
	return 0;
}
