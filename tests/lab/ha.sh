#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The "ha" lab (issue 11; docs/overlay.md), now `lanwire lab ha`
# (planner/lab_ha.c): examples/ha.conf brought up with `lanwire up NODE`
# on every router; the preferred hub killed and restarted, its UDP
# dropped and restored, its link flapping, under a TCP transfer and 10 ms
# pings. Kept as the name people know: it runs tests/lab/overlay.sh ha,
# which checks the lab's JSON line (failover_ms, failover_kill_ms,
# failover_udp_ms, failback_ms, failback_kill_ms, failback_udp_ms,
# transfer_intact, flaps, route_changes, no_plaintext, restart_ms,
# restart_link_ms). LANWIRE_LINK_PROBE_MS, if set, is passed on to
# lanwire up (lanwired's probe) and makes the lab assert
# restart_link_ms < 4000; LANWIRE_LINK_CARRIER_MS (lanwired's carrier)
# is passed on to lanwire up the same way. Closing line "lab-ha: N
# passed, M failed".
#
# Usage: ha.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
exec bash "$(dirname "$0")/overlay.sh" ha "$@"
