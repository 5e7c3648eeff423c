/* SPDX-License-Identifier: MIT */
/*
 * The names of the cross-platform userspace UAPI (wireguard.com/xplatform)
 * as both sides spell them: lanwired answers and parses them
 * (daemon/uapi.c, daemon/uapi_parse.c), lanwire reads them back
 * (planner/status.c). One spelling, so the two cannot drift apart.
 * Header only: names, no code.
 */
#ifndef LW_UAPI_NAMES_H
#define LW_UAPI_NAMES_H

/* Where the sockets live: UAPI_DIR "/" IFACE UAPI_SOCK_SUFFIX. The
 * directory is shared with wireguard-go and every other daemon. */
#define UAPI_DIR "/var/run/wireguard"
#define UAPI_SOCK_SUFFIX ".sock"

/* Device fields. */
#define UAPI_PRIVATE_KEY "private_key"
#define UAPI_LISTEN_PORT "listen_port"
#define UAPI_FWMARK "fwmark"
#define UAPI_REPLACE_PEERS "replace_peers"
/* Peer fields; public_key opens a peer. */
#define UAPI_PUBLIC_KEY "public_key"
#define UAPI_REMOVE "remove"
#define UAPI_UPDATE_ONLY "update_only"
#define UAPI_PRESHARED_KEY "preshared_key"
#define UAPI_ENDPOINT "endpoint"
#define UAPI_PERSISTENT_KEEPALIVE "persistent_keepalive_interval"
#define UAPI_REPLACE_ALLOWED_IPS "replace_allowed_ips"
#define UAPI_ALLOWED_IP "allowed_ip"
#define UAPI_PROTOCOL_VERSION "protocol_version"
#define UAPI_LAST_HANDSHAKE_SEC "last_handshake_time_sec"
#define UAPI_LAST_HANDSHAKE_NSEC "last_handshake_time_nsec"
#define UAPI_TX_BYTES "tx_bytes"
#define UAPI_RX_BYTES "rx_bytes"
/* lanwired's extension of set=1, a peer field: "lanwire_replaces=HEX"
 * names the peer this one replaces (a key rotation, docs/control.md):
 * that peer's AllowedIPs move to this one on its first authenticated
 * packet. wireguard-go refuses the unknown key (-EINVAL). */
#define UAPI_REPLACES "lanwire_replaces"
/* lanwired's extension, a peer field: "lanwire_probe_ms=N" (0, or
 * UAPI_PROBE_MIN_MS..UAPI_PROBE_MAX_MS): after data sent and N ms with
 * nothing authenticated back, start a new handshake, and retry it every
 * N ms (daemon/timers.c says why that is safe); 0 (the default) keeps
 * the whitepaper's timers. get=1 reports it in each peer, after
 * persistent_keepalive_interval: wg ignores keys it does not know, so
 * wg show and wg showconf print what they always did. wireguard-go
 * refuses it in a set (-EINVAL). */
#define UAPI_PROBE_MS "lanwire_probe_ms"
#define UAPI_PROBE_MIN_MS 100
#define UAPI_PROBE_MAX_MS 5000
/* lanwired's extension, a peer field: "lanwire_carrier_ms=N" (0, or
 * UAPI_CARRIER_MIN_MS..UAPI_CARRIER_MAX_MS): after an authenticated packet
 * sent and N ms with nothing authenticated back, the interface's TUN
 * carrier goes off (while every peer that has it set is silent), and on
 * again at the next authenticated packet (daemon/timers.c). 0 (the
 * default) leaves the carrier on. get=1 reports it after
 * lanwire_probe_ms; wireguard-go refuses it in a set (-EINVAL). */
#define UAPI_CARRIER_MS "lanwire_carrier_ms"
#define UAPI_CARRIER_MIN_MS 100
#define UAPI_CARRIER_MAX_MS 10000
/* The answer's last line. */
#define UAPI_ERRNO "errno"
/* lanwired's extension of get=1: one "lanwire_drop=COUNT NAME" line per
 * reason it drops packets for, before the first peer (README). Other
 * daemons send none. */
#define UAPI_DROP_KEY "lanwire_drop"

#endif
