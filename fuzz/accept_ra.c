// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of lanwire up's reader of `ip -6 -o route show default
 * proto ra` (planner/accept_ra.c), which names the interfaces whose
 * accept_ra it changes: the input, cut at its first NUL, is that output.
 * Besides the sanitizers' findings it traps when an accepted list breaks
 * a promise: more names than asked for, a name twice, a name that is not
 * an interface name (1-15 printable characters, no '/', ':' or blank) or
 * that the text does not hold as " dev NAME"; a sysctl key that is not
 * net.ipv6.conf.NAME.accept_ra (or the slash form for a dotted NAME).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept_ra.h"

#define MAX_INPUT 65536
#define MAX_NAMES 4

static bool name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > LW_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

static void check_key(const char *name)
{
	char key[96], want[96];

	ra_sysctl_key(key, sizeof(key), name);
	snprintf(want, sizeof(want),
		 strchr(name, '.') ? "net/ipv6/conf/%s/accept_ra" :
				     "net.ipv6.conf.%s.accept_ra",
		 name);
	if (strcmp(key, want))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char names[MAX_NAMES][LW_IFNAME_MAX + 1], needle[LW_IFNAME_MAX + 6];
	size_t n = MAX_NAMES + 1, i, k;
	char *text;

	if (size > MAX_INPUT)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!ra_default_ifaces(text, names, MAX_NAMES, &n)) {
		if (n > MAX_NAMES)
			__builtin_trap();
		for (i = 0; i < n; i++) {
			snprintf(needle, sizeof(needle), " dev %s", names[i]);
			if (!name_ok(names[i]) || !strstr(text, needle))
				__builtin_trap();
			for (k = 0; k < i; k++)
				if (!strcmp(names[k], names[i]))
					__builtin_trap();
			check_key(names[i]);
		}
	}
	(void)ra_decide(text);
	free(text);
	return 0;
}
