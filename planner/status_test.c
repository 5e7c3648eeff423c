// SPDX-License-Identifier: MIT
/*
 * status_parse() on UAPI "get" transcripts as lanwired and wireguard-go
 * answer them: interface keys, peers starting at public_key=, counters,
 * allowed IPs joined, the closing errno; and the malformed ones.
 */
#include "status.h"

#include <errno.h>
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

int main(void)
{
	test_answer();
	test_bad();
	return test_finish("planner_status");
}
