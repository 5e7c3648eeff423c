// SPDX-License-Identifier: MIT
/*
 * accept_ra.h: the interfaces read from `ip -6 -o route show default
 * proto ra` as iproute2 prints them (one route, several, a multipath
 * route on one -o line, none), each once; names that are not interface
 * names and too many interfaces refused; the sysctl key in both forms;
 * which accept_ra values are changed, kept or refused.
 */
#include "accept_ra.h"

#include <errno.h>
#include <string.h>

#include "test.h"

#define MAX 4

static char names[MAX][LW_IFNAME_MAX + 1];

static void test_ifaces(void)
{
	size_t n = 99;

	CHECK_EQ(ra_default_ifaces("", names, MAX, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(ra_default_ifaces(
			 "default via fe80::1 dev eth0 proto ra metric 1024 "
			 "expires 1787sec hoplimit 64 pref medium\n",
			 names, MAX, &n),
		 0);
	CHECK_EQ(n, 1);
	CHECK(!strcmp(names[0], "eth0"));
	/* two routers on two links, and the same link twice */
	CHECK_EQ(ra_default_ifaces(
			 "default via fe80::1 dev wlp2s0 proto ra metric 600 "
			 "pref medium\n"
			 "default via fe80::2 dev eth0.10 proto ra metric 1024 "
			 "pref high\n"
			 "default via fe80::3 dev wlp2s0 proto ra metric 700 "
			 "pref low\n",
			 names, MAX, &n),
		 0);
	CHECK_EQ(n, 2);
	CHECK(!strcmp(names[0], "wlp2s0") && !strcmp(names[1], "eth0.10"));
	/* a multipath route, as -o prints it: nexthops after backslashes */
	CHECK_EQ(ra_default_ifaces(
			 "default proto ra metric 1024 expires 1790sec pref "
			 "medium\\\tnexthop via fe80::1 dev a weight 1\\"
			 "\tnexthop via fe80::2 dev b weight 1\n",
			 names, MAX, &n),
		 0);
	CHECK_EQ(n, 2);
	CHECK(!strcmp(names[0], "a") && !strcmp(names[1], "b"));
}

static void test_ifaces_refused(void)
{
	size_t n;

	CHECK_EQ(ra_default_ifaces("default via fe80::1 dev "
				   "abcdefghijklmnop proto ra\n",
				   names, MAX, &n),
		 -EINVAL);
	CHECK_EQ(ra_default_ifaces("default via fe80::1 dev \n", names, MAX,
				   &n),
		 -EINVAL);
	CHECK_EQ(ra_default_ifaces("default via fe80::1 dev a/b proto ra\n",
				   names, MAX, &n),
		 -EINVAL);
	CHECK_EQ(ra_default_ifaces("default via fe80::1 dev .. proto ra\n",
				   names, MAX, &n),
		 -EINVAL);
	CHECK_EQ(ra_default_ifaces("default dev a\ndefault dev b\n"
				   "default dev c\ndefault dev d\n"
				   "default dev e\n",
				   names, MAX, &n),
		 -ENOSPC);
	CHECK_EQ(ra_default_ifaces("default dev a\ndefault dev b\n"
				   "default dev c\ndefault dev d\n"
				   "default dev a\n",
				   names, MAX, &n),
		 0);
	CHECK_EQ(n, 4);
}

static void test_key(void)
{
	char key[96];

	ra_sysctl_key(key, sizeof(key), "eth0");
	CHECK(!strcmp(key, "net.ipv6.conf.eth0.accept_ra"));
	ra_sysctl_key(key, sizeof(key), "eth0.10");
	CHECK(!strcmp(key, "net/ipv6/conf/eth0.10/accept_ra"));
}

static void test_decide(void)
{
	CHECK_EQ(ra_decide("1"), RA_SET);
	CHECK_EQ(ra_decide("2"), RA_KEEP);
	CHECK_EQ(ra_decide("0"), RA_KEEP);
	CHECK_EQ(ra_decide(""), RA_BAD);
	CHECK_EQ(ra_decide("3"), RA_BAD);
	CHECK_EQ(ra_decide("1 "), RA_BAD);
	CHECK_EQ(ra_decide("-1"), RA_BAD);
}

int main(void)
{
	test_ifaces();
	test_ifaces_refused();
	test_key();
	test_decide();
	return test_finish("planner_accept_ra");
}
