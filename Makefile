# SPDX-License-Identifier: GPL-2.0
#
# make            build daxfs.ko for the running kernel and the userspace tools
# make module     only the module; KVER=6.1|6.12|<full version> picks an installed
#                 kernel, KDIR=<kernel build tree> any other tree
# make tools      only the userspace tools (cmake + ninja, into build/bin)
# make clean      remove module and tool build outputs
#
# The module is built out of tree in build/kmod/<kernel version>/ (see
# scripts/build-module); the path of daxfs.ko is printed last.

ifdef KDIR
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	  $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
BUILD_MODULE := KDIR=$(KDIR) scripts/build-module
else
KVER ?= $(shell uname -r)
BUILD_MODULE := scripts/build-module
endif

all: module tools

module:
	@test -n "$(KVER)" || { echo "make: cannot tell the kernel version of $(KDIR)"; exit 1; }
	$(BUILD_MODULE) $(KVER)

tools:
	cmake -S . -B build -G Ninja
	cmake --build build

clean:
	rm -rf build/kmod
	if [ -f build/build.ninja ]; then cmake --build build --target clean; fi

.PHONY: all module tools clean
