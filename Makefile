# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree build of the ntsync module, plus the project's test entry
# points.  "make" builds against the running kernel; point KDIR at another
# kernel's build tree (or set KVER) to build for it.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build

all: modules

# Without the kernel's build tree, say what to install instead of make's bare
# "No such file or directory".
kdir-check:
	@test -f $(KDIR)/Makefile || { \
		echo "error: no kernel build tree in $(KDIR)" >&2; \
		echo "  install the headers of kernel $(KVER) (Debian, Ubuntu: apt install linux-headers-$(KVER);" >&2; \
		echo "  Fedora: dnf install kernel-devel-$(KVER); Arch: pacman -S linux-headers)," >&2; \
		echo "  or build for another kernel with KVER=<release> or KDIR=<build tree>" >&2; \
		exit 1; }

# The module users get (make install builds it here too).  The debug and benchmark
# switches of Kbuild are set empty on this command line: given to this make
# (make NTSYNC_DEBUG=1 install, or an exported MAKEFLAGS) they would reach
# Kbuild through MAKEFLAGS as command-line variables, which Kbuild cannot tell
# from the lanes' own.  The lanes build their debug module with Kbuild directly.
modules: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) NTSYNC_DEBUG= NTSYNC_NO_TRACE= modules

clean: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/ntsync-top clean
	$(MAKE) -C tools/ntsync-check clean

# The module's version: NTSYNC_VERSION in ntsync.h (MODULE_VERSION) is its one
# source, read here and nowhere else; dkms.conf, debian/rules and the lanes ask
# "make -s version".
VERSION	:= $(shell sed -n 's/^\#define NTSYNC_VERSION "\(.*\)"$$/\1/p' $(CURDIR)/ntsync.h)
# What a DKMS or Debian source tree of the module holds.
SRC_FILES := Kbuild Makefile dkms.conf LICENSE README.md include/uapi/linux/ntsync.h \
	     $(filter-out %.mod.c,$(wildcard *.c)) $(wildcard *.h)

version:
	@test -n "$(VERSION)" || { echo "error: no NTSYNC_VERSION in ntsync.h" >&2; exit 1; }
	@echo $(VERSION)

# ntsync-top, the user tool that shows who waits for what (tools/ntsync-top), and ntsync-check,
# the one that says whether Wine uses /dev/ntsync and why not (tools/ntsync-check).
TOP	:= tools/ntsync-top/ntsync-top
$(TOP): tools/ntsync-top/ntsync-top.c
	$(MAKE) -C tools/ntsync-top
CHECKTOOL := tools/ntsync-check/ntsync-check
$(CHECKTOOL): tools/ntsync-check/ntsync-check.c
	$(MAKE) -C tools/ntsync-check

# Without DKMS: the module for KVER into updates/, depmod, loaded at boot, /dev/ntsync 0666,
# the uapi header for Wine's build, ntsync-top and ntsync-check into /usr/local/bin; DESTDIR
# works.  uninstall removes what the manifest lists.
install: modules $(TOP) $(CHECKTOOL)
	KVER=$(KVER) DESTDIR=$(DESTDIR) sh tools/install.sh install ntsync.ko $(TOP) $(CHECKTOOL)

uninstall:
	DESTDIR=$(DESTDIR) sh tools/install.sh uninstall

# Through DKMS: /usr/src/ntsync-$(VERSION), built and installed for every kernel that has its
# headers installed (or only KVER, if given), and for every kernel installed later; and the
# package's udev rule (mode 0666, also for the node the boot makes before the module is loaded).
UDEV_RULE := /etc/udev/rules.d/60-ntsync.rules
DKMS_KERNELS = $(if $(filter command line environment,$(origin KVER)),$(KVER),\
	       $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build))))

dkms-install:
	-dkms remove -m ntsync -v $(VERSION) --all >/dev/null 2>&1
	rm -rf /usr/src/ntsync-$(VERSION)
	mkdir -p /usr/src/ntsync-$(VERSION)
	cp --parents $(SRC_FILES) /usr/src/ntsync-$(VERSION)/
	dkms add -m ntsync -v $(VERSION)
	for k in $(DKMS_KERNELS); do dkms install -m ntsync -v $(VERSION) -k $$k || exit 1; done
	install -D -m 644 debian/ntsync-dkms.udev $(UDEV_RULE)
	! command -v udevadm >/dev/null || [ ! -S /run/udev/control ] || udevadm control --reload || true
	dkms status -m ntsync

dkms-remove:
	dkms remove -m ntsync -v $(VERSION) --all
	rm -rf /usr/src/ntsync-$(VERSION)
	rm -f $(UDEV_RULE)
	sh tools/install.sh drop-node

# The Debian packages ntsync-dkms_$(VERSION)_all.deb, ntsync-tools_$(VERSION)_ARCH.deb
# (ntsync-check, ntsync-top) and ntsync-dev_$(VERSION)_ARCH.deb (the header), into build/deb/
# (needs debhelper and dh-dkms; see debian/).
deb:
	rm -rf build/deb
	mkdir -p build/deb/ntsync-$(VERSION)
	cp --parents $(SRC_FILES) $$(find debian -type f) tools/ntsync-top/Makefile \
		tools/ntsync-top/ntsync-top.c tools/ntsync-check/Makefile \
		tools/ntsync-check/ntsync-check.c build/deb/ntsync-$(VERSION)/
	cd build/deb/ntsync-$(VERSION) && dpkg-buildpackage -b -us -uc
	ls -l build/deb/ntsync-dkms_$(VERSION)_all.deb build/deb/ntsync-tools_$(VERSION)_*.deb \
		build/deb/ntsync-dev_$(VERSION)_*.deb

# Every Debian stock kernel from 5.10 on, PREEMPT_RT and arm64 ones and a clang-built one, DKMS,
# make install and the .deb; see tools/matrix.
check-matrix:
	@bash tools/matrix/check.sh

# Boots every kernel of the test lane under QEMU and runs the suites.
check:
	@bash tools/vm/check.sh

# A real Wine on /dev/ntsync: Wine's own synchronization tests with ours, with server-side
# synchronization and (on 7.x) with the kernel's ntsync, on Debian 12's 6.1 and sid's kernel,
# and a Win32 benchmark; see tools/wine/check.sh.  Builds Wine once (about 40 minutes, cached).
check-wine:
	@bash tools/wine/check.sh
.PHONY: check-wine

# The trace-cmd, perf and bpftrace one-liners of Documentation/ntsync.rst, run as written in Debian
# 12 and sid guests with the tools each ships, and their output checked; see tools/trace/check.sh.
check-trace:
	@bash tools/trace/check.sh
.PHONY: check-trace

# Debug kernels (KASAN or KCSAN, lockdep, kmemleak, UBSAN, failslab, KUnit): KUnit, the suites,
# the fuzzer, fault injection and unloading, with a clean kernel log; see tools/debug/check.sh.
check-debug:
	@bash tools/debug/check.sh
.PHONY: check-debug

# Wine's own tests with ours and server-side on those debug kernels, booted with the Wine lane's
# root; no report involving ntsync in their kernel logs; see tools/debug/wine-check.sh.
check-debug-wine:
	@bash tools/debug/wine-check.sh
.PHONY: check-debug-wine

# checkpatch --strict, sparse and W=1 on the driver (also part of make check).
lint:
	@bash tools/lint.sh

# Boots the newest kernel and shows the driver at work.
demo:
	@bash tools/vm/demo.sh

# Boots the newest kernel and benchmarks its own ntsync against this one.
bench:
	@bash tools/bench/bench.sh

.PHONY: all kdir-check version modules clean install check demo lint bench uninstall dkms-install dkms-remove \
	deb check-matrix
