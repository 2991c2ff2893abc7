# The kernel image and the QEMU boots.

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
KERNEL := $(BUILD)/kernel.elf
# The kernel is linked at 0xffffffff80201000 (headers at -2 GiB + 2 MiB);
# the linker takes the address as a signed decimal.
KERNEL_TEXT := -2145382400
KERNEL_LDFLAGS := -E aramid/microkernel/boot.Entry32 -T $(KERNEL_TEXT) -X main.version=$(VERSION)
QEMU_FLAGS := -M pc -cpu max -m 512 -no-reboot -nographic -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
# Kernel command line for make qemu: the words that are not aramid.* are
# the programs init starts (see docs/user-space.md); @ grants a device. By
# default: the Linux system with a busybox shell on the console
# (mk/linux.mk).
APPEND ?= $(LINUX_APPEND) linuxd,/bin/sh!!
# The boot bundle of make qemu and make run: the system's servers only
# (mk/user.mk); BOOT_BUNDLE=build/bundle.cpio adds the test programs, for
# an APPEND that starts them.
BOOT_BUNDLE ?= $(SYSTEM_BUNDLE)
# The disk of make qemu: ROOTFS=path, or the root image built here
# (mk/linux.mk). Either is attached with snapshot=on, so nothing is
# written to it.
DISK = $(or $(ROOTFS),$(ROOT_IMG))
# CPUs of make qemu: SMP=2 (or more) starts the others (aramid.smp,
# docs/smp.md).
SMP ?= 1
SMP_FLAGS = $(if $(filter-out 1,$(SMP)),-smp $(SMP))
SMP_APPEND = $(if $(filter-out 1,$(SMP)),aramid.smp )

## kernel: build the bootable kernel image (build/kernel.elf)
kernel:
	@mkdir -p $(BUILD)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(KERNEL_LDFLAGS)' -o $(KERNEL) ./microkernel
	$(GO) run ./tools/imagetool $(KERNEL)

## qemu: boot Aramid on this terminal with an ext4 disk (ROOTFS=path or a default image), a NIC and SMP CPUs (quit: Ctrl-A X)
qemu: kernel bundle $(DISK)
	@$(NEED) qemu-system-x86
	@http=$$($(GO) run ./tools/freeport) && ssh=$$($(GO) run ./tools/freeport) && \
	echo "make qemu: $(DISK) is the root (snapshot=on); host 127.0.0.1:$$http forwards to port 80 in Aramid, 127.0.0.1:$$ssh to port 22" && \
	qemu-system-x86_64 $(QEMU_FLAGS) $(SMP_FLAGS) -kernel $(KERNEL) -initrd $(BOOT_BUNDLE) -append "$(SMP_APPEND)$(APPEND)" \
		-drive file=$(DISK),if=none,id=root,format=raw,snapshot=on -device virtio-blk-pci,drive=root,disable-legacy=on \
		-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$$http-:80,hostfwd=tcp:127.0.0.1:$$ssh-:22 \
		-device virtio-net-pci,netdev=n0,disable-legacy=on; \
	rc=$$?; printf '\033[?7h'; [ $$((rc % 2)) -eq 1 ] && exit $$(( rc / 2 )); exit $$rc

## test-boot: boot QEMU: in-kernel self-test of the hosted Go runtime, crash report
test-boot: kernel
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) $(GO) test -count=1 -timeout 20m -v ./test/boot/

TESTS += test-boot
.PHONY: kernel qemu test-boot
