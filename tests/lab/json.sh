# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by tests/lab/live.sh and tests/lab/overlay.sh (source it): field
# FILE NAME prints NAME's value in the JSON object on FILE's last line
# ("" if absent; booleans as true/false), without jq (python3's json).
field() {
	python3 -c 'import json,sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
v = d.get(sys.argv[2])
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1" "$2" 2>/dev/null
}
