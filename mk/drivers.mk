# User-space drivers: virtio-blk under vfsd, virtio-net under netd, and the
# kernel's device grants (docs/devices.md).

## test-drivers: boot QEMU with virtio-blk and virtio-net: ext4 root read and written, curl via hostfwd, guestfwd, refused device calls
test-drivers: kernel bundle
	@$(NEED) qemu-system-x86 curl e2fsprogs
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) \
		$(GO) test -count=1 -timeout 20m -v ./test/drivers/

## fuzz-virtio: fuzz lib/virtio's parsers of device-supplied bytes (FUZZTIME each, default 60s)
fuzz-virtio:
	$(GO) test -run XXX -fuzz FuzzParseCaps -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./lib/virtio/
	$(GO) test -run XXX -fuzz FuzzUsedRing -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./lib/virtio/

TESTS += test-drivers
.PHONY: test-drivers fuzz-virtio
