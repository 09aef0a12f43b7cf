# SPDX-License-Identifier: GPL-2.0
#
# faultdemo: out-of-tree module, its tools and its tests.
#
#   make                  build faultdemo.ko for the running kernel
#   make tools            build the faultdemo(1) command
#   make install          modules_install, <linux/faultdemo.h>, faultdemo(1)
#                         and the man pages
#   make KVER=<version>   ... for an installed linux-headers-<version>
#   make KDIR=<dir>       ... for a configured kernel tree
#   make check            build, boot each supported kernel in a VM, run
#                         the kselftests there (see README.md)

# Kbuild reads the Kbuild file, never this one. dkms passes KERNELRELEASE.
ifneq ($(KERNELRELEASE),)
KVER ?= $(KERNELRELEASE)
endif
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
DESTDIR ?=
SRCDIR := $(CURDIR)

.PHONY: all modules clean install modules_install headers_install check \
	demo dkms-check dkms-install dkms-remove kdir-check lint check-debug \
	tools bench

all: modules

# The faultdemo(1) command.
tools:
	$(MAKE) -C tools/faultdemo

kdir-check:
	@if [ -z "$(KVER)" ] && [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "faultdemo: KVER is empty: give a kernel version, e.g. KVER=$$(uname -r)" >&2; \
		exit 2; \
	fi
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "faultdemo: no kernel headers in $(KDIR)." >&2; \
		echo "faultdemo: install them: apt-get install linux-headers-$(KVER)" >&2; \
		exit 2; \
	fi

modules: kdir-check
	$(MAKE) -C $(KDIR) M=$(SRCDIR) modules

modules_install: kdir-check
	$(MAKE) -C $(KDIR) M=$(SRCDIR) modules_install

headers_install:
	install -D -m 0644 include/uapi/linux/faultdemo.h \
		$(DESTDIR)$(PREFIX)/include/linux/faultdemo.h

install: modules_install headers_install
	$(MAKE) -C tools/faultdemo install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C $(KDIR) M=$(SRCDIR) clean; \
	else \
		rm -rf module/*.o module/.*.cmd *.o *.ko *.mod *.mod.c .*.cmd \
			Module.symvers modules.order .tmp_versions; \
	fi
	$(MAKE) -C selftests/faultdemo clean >/dev/null 2>&1 || true
	$(MAKE) -C tools/faultdemo clean >/dev/null

# The whole suite on every supported kernel, in the test VM.
check:
	scripts/check.sh

# checkpatch --strict, W=1 + sparse builds for each kernel, shellcheck.
lint:
	scripts/lint.sh

# The suite on the debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak...);
# builds that kernel first if the cache does not have it (about 12 minutes).
check-debug:
	scripts/check-debug.sh

# faultdemo's fault paths against anon, tmpfs, ext4, MAP_POPULATE and the
# remap_pfn_range floor, in the VM on each kernel: CSV, plots, key ratios.
bench:
	scripts/bench.sh

# Build, boot, load, show the fault paths.
demo:
	scripts/demo.sh

dkms-check:
	scripts/dkms-check.sh $(KVER)

# Register with dkms, build and install for every kernel with headers.
dkms-install:
	scripts/dkms-install.sh

dkms-remove:
	scripts/dkms-install.sh --remove
