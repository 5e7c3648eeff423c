// SPDX-License-Identifier: MIT
/*
 * lanwire lab asymmetric (lab.h, issue 11 item 4): seed 003 written as a
 * description, examples/asymmetric.conf (hub B at cost 10, sites A and
 * C, [link A C] cost 30 from A, 10 from C), run by lab_overlay.c. The
 * cheapest path from A's LAN to C's passes B (10 + 10 < 30); from C's to
 * A's it is the direct link (10 < 10 + 10).
 *
 * rp_filter: `lanwire up` sets it loose (2) on the link ends the render
 * marks (the PostUp lines of `lanwire render --all`'s link configs); the
 * lab checks those are 2 and makes everything else strict (1, for all
 * and on every other link interface), as on a distribution that
 * defaults to strict. Strict everywhere would break the C -> A
 * direction (tests/overlay/asymmetric.sh shows that).
 *
 * While a TCP transfer runs from A's test host to C's (sha256 on both
 * ends) and A's host pings C's, B captures on all its interfaces:
 *
 *   a_to_c_via_b   B forwarded packets from A's LAN to C's LAN
 *   c_to_a_direct  B saw no packet from C's LAN to A's LAN
 *   transfer_intact, no_plaintext  as in ha (B's internet side)
 */
#include "lab.h"

/* Exit status 1 if a link end the render marks loose is not 2 after up
 * (or the render marks none: seed 003 has two). */
#define RP_RENDERED                                                        \
	"\"$LW\" -f \"$CONF\" -k \"$KEYS\" render --all -o \"$DIR/out\" "  \
	">/dev/null || exit 1\nbad=0 n=0\n"                                     \
	"for r in $(ls \"$DIR/out\"); do [ -f \"$DIR/holder-$r\" ] || "    \
	"continue\n"                                                        \
	"in_r $r sysctl -q -w net.ipv4.conf.all.rp_filter=1\n"            \
	"for f in \"$DIR/out/$r\"/lwk*.conf; do ifc=$(basename \"$f\" .conf)\n" \
	"if grep -q '^PostUp = sysctl .*rp_filter=2' \"$f\"; then\n"        \
	"n=$((n + 1)); v=$(in_r $r sysctl -n net.ipv4.conf.$ifc.rp_filter)\n"            \
	"echo \"$r: $ifc rp_filter $v (rendered 2)\"; [ \"$v\" = 2 ] || bad=1\n" \
	"else in_r $r sysctl -q -w net.ipv4.conf.$ifc.rp_filter=1; fi\n"   \
	"done; done; [ $n -gt 0 ] || bad=1; exit $bad"

#define B_COUNTS                                                           \
	"in_ns $Z1 timeout 6 tcpdump -i any -n -s 96 -U -w \"$DIR/b.pcap\" "  \
	"$NETS >/dev/null 2>&1 & c=$!; sleep 1\n"                           \
	"in_ns h0 ping -c 200 -i 0.01 -q \"$H2ADDR\" >/dev/null; wait $c\n"  \
	"A0=${NETS#net }; A0=${A0%% *}\n"                                   \
	"tcpdump -r b.pcap -n \"src net $A0 and dst net $LAN2\" 2>/dev/null" \
	" | wc -l >a2c\n"                                                   \
	"tcpdump -r b.pcap -n \"src net $LAN2 and dst net $A0\" 2>/dev/null" \
	" | wc -l >c2a"

int lab_asym(struct lab *l)
{
	long long a2c, c2a;

	lab_progress(l, "rp_filter: strict, loose where up set it (the "
			"paths are asymmetric)");
	lab_ov_check(l, !lab_ov_step(l, RP_RENDERED),
		     "up set rp_filter 2 on every link end the render marks");
	if (lab_ov_capture_wan(l) || lab_ov_transfer_start(l))
		return -1;
	lab_progress(l, "capturing on the hub for 6 s");
	lab_ov_step(l, B_COUNTS);
	a2c = lab_ov_num(l, "a2c", -1);
	c2a = lab_ov_num(l, "c2a", -1);
	l->ov.via_b = a2c > 0;
	l->ov.not_via_b = c2a == 0;
	lab_ov_check(l, l->ov.via_b, "A -> C passes the hub (%lld packets)",
		     a2c);
	lab_ov_check(l, l->ov.not_via_b, "C -> A does not pass the hub "
					 "(%lld packets)", c2a);
	l->ov.transfer_intact = lab_ov_transfer_stop(l);
	lab_ov_check(l, l->ov.transfer_intact, "transfer intact");
	l->ov.no_plaintext = lab_ov_no_plaintext(l);
	lab_ov_check(l, l->ov.no_plaintext,
		     "no plaintext LAN packet on the hub's internet side");
	return 0;
}

void lab_asym_report(const struct lab *l, bool json, FILE *f)
{
	const struct lab_ov *o = &l->ov;

	if (json) {
		fprintf(f, "{\"scenario\":\"asymmetric\",\"a_to_c_via_b\":%s,"
			   "\"c_to_a_direct\":%s,\"transfer_intact\":%s,"
			   "\"no_plaintext\":%s,\"rp_filter\":\"rendered\","
			   "\"passed\":%u,\"failed\":%u,\"seconds\":%.1f}\n",
			o->via_b ? "true" : "false",
			o->not_via_b ? "true" : "false",
			o->transfer_intact ? "true" : "false",
			o->no_plaintext ? "true" : "false", l->passed,
			l->failed, l->seconds);
		return;
	}
	fprintf(f, "asymmetric: A -> C %s the hub, C -> A %s, transfer %s, "
		   "plaintext on the hub %s\nlab-asym: %u passed, %u failed "
		   "(%.1f s)\n", o->via_b ? "through" : "NOT through",
		o->not_via_b ? "direct" : "THROUGH THE HUB",
		o->transfer_intact ? "intact" : "BROKEN",
		o->no_plaintext ? "none" : "SEEN", l->passed, l->failed,
		l->seconds);
}
