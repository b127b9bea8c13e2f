# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree build of the ntsync module, plus the project's test entry
# points.  "make" builds against the running kernel; point KDIR at another
# kernel's build tree (or set KVER) to build for it.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

# Boots every kernel of the test lane under QEMU and runs the suites.
check:
	@bash tools/vm/check.sh

# checkpatch --strict, sparse and W=1 on the driver (also part of make check).
lint:
	@bash tools/lint.sh

# Boots the newest kernel and shows the driver at work.
demo:
	@bash tools/vm/demo.sh

.PHONY: all modules clean install check demo lint
