#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: build the module for the newest Debian kernel (sid), boot that kernel under QEMU with
# the module loaded and run tools/demo's ntsync-demo there, showing its output; ntsync-top goes
# along (/ntsync-top), for the demo's last step.
# NTSYNC_DEMO_LANE=bookworm uses the host's kernel instead; Documentation/testing.rst has the
# other settings.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lane=${NTSYNC_DEMO_LANE:-sid}
[ -f "$REPO/tools/demo/Makefile" ] || die "tools/demo/Makefile does not exist yet: nothing to demonstrate"

setup_start
d=$OUT/demo
rm -rf "$d"
mkdir -p "$d"
install_missing "${HOST_PKGS[@]}"
copy_tree
say "preparing the $lane kernel"
prepare_kernel "$lane" "$d"
abi=$(cat "$d/abi")
say "building the module for $abi"
build_module "$d"
say "building the demo"
quiet make -C "$OUT/src/tools/demo" OUTPUT="$d"
[ -x "$d/ntsync-demo" ] || die "tools/demo did not produce ntsync-demo"
quiet make -C "$OUT/src/tools/ntsync-top" OUTPUT="$d" STATIC=1
[ -x "$d/ntsync-top" ] || die "tools/ntsync-top did not produce ntsync-top"
make_initrd "$d" "$d/ntsync-demo" "+$d/ntsync-top"
say "booting $abi under QEMU (software emulation; this takes a while)"
rc=0
boot "$d" demo || rc=$?

status=$(sed -n 's/^@@exit ntsync-demo //p' "$d/results.log")
if guest_clean demo "$d" "$rc" && [ "$status" = 0 ]; then
	echo "demo: ntsync-demo ran on $abi and exited 0"
	exit 0
fi
echo "demo: ntsync-demo exit status ${status:-missing}; console: $d/console.log"
exit 1
