# The kernel image and the QEMU boots.

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
KERNEL := $(BUILD)/kernel.elf
# The kernel is linked at 0xffffffff80201000 (headers at -2 GiB + 2 MiB);
# the linker takes the address as a signed decimal.
KERNEL_TEXT := -2145382400
KERNEL_LDFLAGS := -E aramid/boot.Entry32 -T $(KERNEL_TEXT) -X main.version=$(VERSION)
QEMU_FLAGS := -M pc -cpu max -m 512 -no-reboot -nographic -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
# Kernel command line for make qemu: the words that are not aramid.* are
# the programs init starts (see docs/user-space.md).
APPEND ?= echo authd vfsd netd

## kernel: build the bootable kernel image (build/kernel.elf)
kernel:
	@mkdir -p $(BUILD)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(KERNEL_LDFLAGS)' -o $(KERNEL) ./microkernel
	$(GO) run ./boot/imagetool $(KERNEL)

## qemu: build and boot Aramid with its user-space bundle on this terminal (quit: Ctrl-A X)
qemu: no-rootfs kernel bundle
	@$(NEED) qemu-system-x86
	qemu-system-x86_64 $(QEMU_FLAGS) -kernel $(KERNEL) -initrd $(BUNDLE) -append "$(APPEND)"

# no-rootfs refuses ROOTFS= clearly rather than ignoring it.
no-rootfs:
	@if [ -n "$(ROOTFS)" ]; then \
		echo "make qemu ROOTFS=$(ROOTFS): booting a Linux root filesystem needs linuxd and a block driver, which do not exist yet (see README.md)" >&2; \
		exit 2; \
	fi

## test-boot: boot QEMU: in-kernel self-test of the hosted Go runtime, crash report
test-boot: kernel
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) $(GO) test -count=1 -timeout 20m -v ./test/boot/

TESTS += test-boot
.PHONY: kernel qemu no-rootfs test-boot
