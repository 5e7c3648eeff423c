#!/usr/bin/env bash
# Installs the Debian 12 packages lanwire builds and tests with, if missing.
# Safe to run again: does nothing when everything is present.
set -euo pipefail

PKGS=(
	gcc make pkg-config libssl-dev         # build: libcrypto for the primitives
	libinih-dev libqrencode-dev            # planner: description parser, QR codes
	clang libclang-rt-14-dev llvm          # libFuzzer targets and sanitizers
	valgrind                               # unit tests under memcheck
	wireguard-tools wireguard-go           # wg, wg-quick; interop peer
	iproute2 iputils-ping iperf3 nftables  # namespaces, ping, throughput, NAT
	tcpdump netcat-openbsd procps kmod     # captures, UAPI by hand, ps
	jq                                     # make bench: iperf3 -J output
	libjansson-dev                         # lanwire status --json, control state
	libmicrohttpd-dev libcurl4-openssl-dev # lanwire serve / agent (HTTP)
	curl                                   # tests/ctl: a request from no node
	scdoc                                  # man pages from man/*.scd
	build-essential debhelper              # make deb (dpkg-buildpackage)
	lintian                                # the package test's lintian
	man-db bash-completion systemd         # package test: man -l, bash -i
	                                       # completion, systemd-analyze
	bird2                                  # the overlay's routing engine:
	                                       # bird -p on rendered configs
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# bird2 enables its own bird.service; lanwire runs BIRD per router with its
# own config and socket, and a system-wide BIRD must not run beside it.
if [[ " ${missing[*]} " == *" bird2 "* ]] && command -v systemctl >/dev/null; then
	systemctl disable --now bird.service >/dev/null 2>&1 || true
fi
