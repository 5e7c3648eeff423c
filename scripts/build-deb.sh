#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make deb: builds the lanwire package with dpkg-buildpackage -us -uc -b
# from a copy of the tree in OUT/src (the files git knows, as they are in
# the work tree, untracked ones not ignored included), so the tree itself
# gets no build outputs. The .deb, .buildinfo and .changes land in OUT.
# DEB_BUILD_OPTIONS defaults to "nocheck parallel=2": make check runs the
# tests on the tree itself.
# usage: scripts/build-deb.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-deb}")
ver=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
src=$out/src/lanwire-$ver
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude='./build*' -cf - . | tar -xf - -C "$src"
fi
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2}
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log"
	echo "deb: dpkg-buildpackage failed (log $out/build.log)" >&2
	exit 1
}
for f in "$out"/src/lanwire*_*; do
	[ -f "$f" ] && mv "$f" "$out"/
done
rm -rf "$out/src"
ls "$out"/*.deb
