# Linux userland: the root image that linuxd runs programs from, and
# make run.

ROOTFS_DIR := $(BUILD)/rootfs
# The system as make qemu and make run start it: vfsd on the root disk,
# netd on the network card; the caller adds linuxd and what it runs as
# init's main task.
LINUX_APPEND := aramid.tty aramid.exit authd vfsd,proc@virtio-blk +netd@virtio-net procd
# The devices of make run, make bench and the boot tests: the root disk
# $(1) (with drive options $(2), such as snapshot=on) and a network card
# without forwards.
LINUX_DEVICES = -drive file=$(1),if=none,id=root,format=raw$(if $(2),$(comma)$(2)) -device virtio-blk-pci,drive=root,disable-legacy=on \
	-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on

comma := ,

# ROOT_BINS are programs copied into the root image's /test (test
# programs, benchmarks); each mk file adds its own with +=. The image's
# rule below reads ROOT_BINS as make parses it, so only mk files that sort
# before this one, and this one above the rule, can add to it.
ROOT_BINS +=

# The test programs of make test-linux: static musl C programs, each
# checking one area of the Linux ABI. They go into /test with the list of
# their names and the script that runs them under Aramid.
LINUX_TESTS := $(sort $(basename $(notdir $(wildcard test/linux/progs/*.c))))
LINUX_TEST_DIR := $(BUILD)/linux
ROOT_BINS += $(addprefix $(LINUX_TEST_DIR)/,$(LINUX_TESTS) linuxtests.list) test/linux/progs/linuxtests.sh

# ROOT_TREE fills directory $(1) with the standard root: busybox with
# its applet links, /etc/passwd, /etc/group and /etc/hostname. Other
# images (mk/packages.mk) start from it.
define ROOT_TREE
@$(NEED) busybox-static
rm -rf $(1)
mkdir -p $(1)/bin $(1)/sbin $(1)/usr/bin $(1)/usr/sbin $(1)/etc $(1)/root $(1)/dev $(1)/proc \
	$(1)/tmp $(1)/run $(1)/var $(1)/test
cp /bin/busybox $(1)/bin/busybox
for a in $$(/bin/busybox --list-full); do \
	[ -e $(1)/$$a ] || ln -s /bin/busybox $(1)/$$a; \
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > $(1)/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > $(1)/etc/group
printf 'aramid\n' > $(1)/etc/hostname
endef

# EXT4_IMAGE makes image $(2) of size $(3) from directory $(1) with
# mke2fs -d, without root; the root directory is owned by root.
define EXT4_IMAGE
@$(NEED) e2fsprogs
rm -f $(2)
mke2fs -q -t ext4 -b 4096 -E lazy_itable_init=0,root_owner=0:0 -d $(1) $(2) $(3)
endef

# root image: the standard root tree and ROOT_BINS under /test, 24 MiB.
$(ROOT_IMG): $(ROOT_BINS)
	$(call ROOT_TREE,$(ROOTFS_DIR))
	$(if $(strip $(ROOT_BINS)),cp $(ROOT_BINS) $(ROOTFS_DIR)/test/)
	$(call EXT4_IMAGE,$(ROOTFS_DIR),$@,24M)

## root-image: build the ext4 root image of busybox and the test programs (build/root.ext4)
root-image: $(ROOT_IMG)

## run: boot Aramid and run CMD (a shell command line) as root; make fails with Error N when CMD exits N (ROOTFS=IMG for another root)
run: export RUN_CMD = $(value CMD)
run: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86 e2fsprogs
	@[ -n "$$RUN_CMD" ] || { echo "usage: make run CMD='command line' [ROOTFS=image]" >&2; exit 2; }
	@cp $(if $(ROOTFS),$(ROOTFS),$(ROOT_IMG)) $(BUILD)/run.ext4
	@printf '%s\n' "$$RUN_CMD" > $(BUILD)/run.sh
	@$(GO) run ./cmd/ext4tool put $(BUILD)/run.ext4 $(BUILD)/run.sh /run.sh
	@qemu-system-x86_64 $(QEMU_FLAGS) -kernel $(KERNEL) -initrd $(BOOT_BUNDLE) $(call LINUX_DEVICES,$(BUILD)/run.ext4) \
		-append "$(LINUX_APPEND) linuxd,/bin/sh,/run.sh!!" \
		| tr -d '\r' | sed -u -n '/^linuxd: started$$/,$${/^linuxd: started$$/d;/^init: /,$$d;p}'; \
	rc=$${PIPESTATUS[0]}; [ $$((rc % 2)) -eq 1 ] && exit $$(( rc / 2 )); echo "make run: QEMU stopped with status $$rc" >&2; exit 125

.PHONY: root-image run

## test-shell: boot to the busybox shell on the console, type at it, power off
test-shell: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	cp $(ROOT_IMG) $(BUILD)/shell.ext4
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) ARAMID_APPEND="$(LINUX_APPEND)" \
		ARAMID_DEVICES="$(call LINUX_DEVICES,$(abspath $(BUILD)/shell.ext4))" \
		$(GO) test -count=1 -timeout 10m -v ./test/shell/

TESTS += test-shell
.PHONY: test-shell

## syscalls-doc: regenerate docs/syscalls.md from linuxd's system-call table
syscalls-doc:
	$(GO) run ./servers/linuxd/cmd/syscalltable > docs/syscalls.md

.PHONY: syscalls-doc

$(LINUX_TEST_DIR)/%: test/linux/progs/%.c test/linux/progs/check.h
	@$(NEED) musl-tools
	@mkdir -p $(LINUX_TEST_DIR)
	musl-gcc -static -O2 -Wall -Werror -o $@ $<

$(LINUX_TEST_DIR)/linuxtests.list: $(wildcard test/linux/progs/*.c) mk/linux.mk
	@mkdir -p $(LINUX_TEST_DIR)
	printf '%s\n' $(LINUX_TESTS) > $@

## test-linux: run the C programs of test/linux on the host and under Aramid and compare what they print
test-linux: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) \
		ARAMID_LINUX_APPEND="$(LINUX_APPEND)" ARAMID_LINUX_TESTS=$(abspath $(LINUX_TEST_DIR)) \
		ARAMID_DEVICES="$(call LINUX_DEVICES,$(abspath $(ROOT_IMG)),snapshot=on)" \
		$(GO) test -count=1 -timeout 30m -v ./test/linux/

TESTS += test-linux
.PHONY: test-linux

## test-restart: kill netd under load, authd and vfsd in a running Linux system and check what survives
test-restart: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) ARAMID_APPEND="$(LINUX_APPEND)" \
		ARAMID_IMAGE=$(abspath $(ROOT_IMG)) $(GO) test -count=1 -timeout 10m -v ./test/restart/

.PHONY: test-restart
