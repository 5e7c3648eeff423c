// SPDX-License-Identifier: MIT
/*
 * status_parse() on UAPI "get" transcripts as lanwired and wireguard-go
 * answer them: interface keys, peers starting at public_key=, counters,
 * allowed IPs joined, the closing errno, lanwired's drop counters; and the
 * malformed ones.
 */
#include "status.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char answer[] =
	"private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
	"listen_port=51820\n"
	"public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"endpoint=203.0.113.2:34734\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=1096\n"
	"rx_bytes=860\n"
	"persistent_keepalive_interval=15\n"
	"allowed_ip=10.70.0.2/32\n"
	"allowed_ip=192.168.201.0/24\n"
	"public_key=58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376\n"
	"allowed_ip=10.70.0.3/32\n"
	"errno=0\n\n";

static void test_answer(void)
{
	struct lw_wg_status st;

	CHECK_EQ(status_parse(&st, answer), 0);
	CHECK(st.has_private_key);
	CHECK_EQ(st.private_key[0], 0xe8);
	CHECK_EQ(st.listen_port, 51820);
	CHECK_EQ(st.n_peers, 2);
	if (st.n_peers == 2) {
		CHECK_EQ(st.peers[0].public_key[0], 0xb8);
		CHECK(!strcmp(st.peers[0].endpoint, "203.0.113.2:34734"));
		CHECK_EQ(st.peers[0].handshake_sec, 1700000000);
		CHECK_EQ(st.peers[0].tx_bytes, 1096);
		CHECK_EQ(st.peers[0].rx_bytes, 860);
		CHECK_EQ(st.peers[0].keepalive, 15);
		CHECK(!strcmp(st.peers[0].allowed_ips,
			      "10.70.0.2/32, 192.168.201.0/24"));
		CHECK_EQ(st.peers[1].handshake_sec, 0);
		CHECK(!strcmp(st.peers[1].allowed_ips, "10.70.0.3/32"));
	}
	status_free(&st);
}

static void test_bad(void)
{
	struct lw_wg_status st;

	CHECK_EQ(status_parse(&st, "errno=-22\n\n"), -22);
	status_free(&st);
	CHECK_EQ(status_parse(&st, "listen_port=1\n\n"), -EPROTO);
	status_free(&st);
	CHECK_EQ(status_parse(&st, "garbage\nerrno=0\n\n"), -EPROTO);
	status_free(&st);
	CHECK_EQ(status_parse(&st, "public_key=abcd\nerrno=0\n\n"), -EPROTO);
	status_free(&st);
	/* Found by fuzz/status.c: sscanf("%2x") took "7q" as 7. */
	CHECK_EQ(status_parse(&st, "public_key=7q7f7f7f7f7f7f7f7f7f7f7f7f7f7f"
				   "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f\n"
				   "errno=0\n\n"),
		 -EPROTO);
	status_free(&st);
	CHECK_EQ(status_parse(&st, "private_key= 1-1010101010101010101010101"
				   "010101010101010101010101010101010101\n"
				   "errno=0\n\n"),
		 -EPROTO);
	status_free(&st);
	CHECK_EQ(status_parse(&st, ""), -EPROTO);
	status_free(&st);
}

/* lanwired's drop counters: parsed in order, nonzero ones printed; a
 * daemon that sends none (wireguard-go) gets no such section. */
static void test_drops(void)
{
	static const char with[] =
		"listen_port=51820\n"
		"lanwire_drop=0 packet too short\n"
		"lanwire_drop=7 inner source not in peer's allowed IPs\n"
		"lanwire_drop=18446744073709551615 rate limited\n"
		"public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n"
		"errno=0\n\n";
	struct lw_keyring kr = { 0 };
	struct lw_desc d = { 0 };
	struct lw_wg_status st;
	char *text = NULL;
	size_t len;
	FILE *f;

	CHECK_EQ(status_parse(&st, with), 0);
	CHECK_EQ(st.n_drops, 3);
	CHECK_EQ(st.n_peers, 1);
	if (st.n_drops == 3) {
		CHECK_EQ(st.drops[1].count, 7);
		CHECK(!strcmp(st.drops[1].name,
			      "inner source not in peer's allowed IPs"));
		CHECK(st.drops[2].count == UINT64_MAX);
	}
	f = open_memstream(&text, &len);
	status_print(f, "wg0", &st, &d, &kr, 0);
	fclose(f);
	CHECK(strstr(text, "  dropped packets:\n"
			   "    7 inner source not in peer's allowed IPs\n"
			   "    18446744073709551615 rate limited\n"));
	CHECK(!strstr(text, "packet too short"));
	free(text);
	status_free(&st);

	CHECK_EQ(status_parse(&st, "lanwire_drop=0 x\nerrno=0\n\n"), 0);
	f = open_memstream(&text, &len);
	status_print(f, "wg0", &st, &d, &kr, 0);
	fclose(f);
	CHECK(strstr(text, "dropped packets: none\n"));
	free(text);
	status_free(&st);

	CHECK_EQ(status_parse(&st, answer), 0); /* as wireguard-go answers */
	f = open_memstream(&text, &len);
	status_print(f, "wg0", &st, &d, &kr, 0);
	fclose(f);
	CHECK(!strstr(text, "dropped"));
	free(text);
	status_free(&st);

	static const char *const bad[] = {
		"lanwire_drop=\nerrno=0\n\n", "lanwire_drop=5\nerrno=0\n\n",
		"lanwire_drop=5 \nerrno=0\n\n", "lanwire_drop=x y\nerrno=0\n\n",
		"lanwire_drop=99999999999999999999 y\nerrno=0\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		CHECK_EQ(status_parse(&st, bad[i]), -EPROTO);
		status_free(&st);
	}
}

int main(void)
{
	test_answer();
	test_bad();
	test_drops();
	return test_finish("planner_status");
}
