# User space: the boot bundle of Go programs and the ring-3 tests.

BUNDLE := $(BUILD)/bundle.cpio
USER_PROGS := servers/init servers/linuxd/cmd/linuxd servers/procd/cmd/procd servers/authd/cmd/authd servers/vfsd/cmd/vfsd servers/netd/cmd/netd test/servers/authcheck test/servers/vfscheck test/servers/netcheck test/servers/echo test/servers/pinger test/servers/hog test/servers/evil test/servers/abuse test/servers/devcheck test/servers/drivercheck test/servers/drivebench test/servers/authwatch

## bundle: build the boot bundle of user programs (build/bundle.cpio)
bundle: $(BUILD)/bundle/forktest
	@mkdir -p $(BUILD)/bundle
	for p in $(USER_PROGS); do \
		CGO_ENABLED=0 $(GO) build -trimpath -o $(BUILD)/bundle/$$(basename $$p) ./$$p || exit 1; \
	done
	$(GO) run ./tools/mkbundle -o $(BUNDLE) $(addprefix $(BUILD)/bundle/,$(notdir $(USER_PROGS)) forktest)

## test-user: boot QEMU with ring-3 servers: IPC with handles, GC in ring 3, crash restart, isolation
test-user: kernel bundle
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) \
		$(GO) test -count=1 -timeout 20m -v ./test/user/

TESTS += test-user
.PHONY: bundle test-user

# C test programs, built static against musl like Alpine's userland.
$(BUILD)/bundle/forktest: test/progs/forktest.c
	@$(NEED) musl-tools
	@mkdir -p $(BUILD)/bundle
	musl-gcc -static -O2 -o $@ $<
