// SPDX-License-Identifier: MIT
/*
 * Which interfaces keep their router advertisements when lanwire up
 * switches IPv6 forwarding on, and how (accept_ra.h).
 */
#include "accept_ra.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* An interface name as the kernel allows it: 1-15 characters, no '/',
 * no white space, not "." or "..". */
static bool ifname_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > LW_IFNAME_MAX || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

static bool seen(char names[][LW_IFNAME_MAX + 1], size_t n, const char *s,
		 size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], s, len))
			return true;
	return false;
}

int ra_default_ifaces(const char *route_text,
		      char names[][LW_IFNAME_MAX + 1], size_t max, size_t *n)
{
	const char *p = route_text, *w;
	size_t len;

	*n = 0;
	while ((p = strstr(p, " dev ")) != NULL) {
		w = p + 5;
		len = strcspn(w, " \t\n\\");
		p = w + len;
		if (!ifname_ok(w, len))
			return -EINVAL;
		if (seen(names, *n, w, len))
			continue;
		if (*n == max)
			return -ENOSPC;
		memcpy(names[*n], w, len);
		names[(*n)++][len] = '\0';
	}
	return 0;
}

void iface_sysctl_key(char *buf, size_t size, const char *family,
		      const char *iface, const char *name)
{
	if (strchr(iface, '.'))
		snprintf(buf, size, "net/%s/conf/%s/%s", family, iface, name);
	else
		snprintf(buf, size, "net.%s.conf.%s.%s", family, iface, name);
}

void ra_sysctl_key(char *buf, size_t size, const char *iface)
{
	iface_sysctl_key(buf, size, "ipv6", iface, "accept_ra");
}

enum ra_action ra_decide(const char *cur)
{
	if (!strcmp(cur, "0") || !strcmp(cur, "2"))
		return RA_KEEP;
	if (!strcmp(cur, "1"))
		return RA_SET;
	return RA_BAD;
}
