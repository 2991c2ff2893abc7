# User space: the boot bundle of Go programs and the ring-3 tests.

BUNDLE := $(BUILD)/bundle.cpio
# The system bundle holds only the servers of the Linux system, which is
# what make qemu, make run and make bench boot. The bundle stays in RAM
# (init restarts servers from it) and the test programs would add 30 MiB.
SYSTEM_BUNDLE := $(BUILD)/system.cpio
SYSTEM_PROGS := servers/init servers/linuxd/cmd/linuxd servers/procd/cmd/procd servers/authd/cmd/authd servers/vfsd/cmd/vfsd servers/netd/cmd/netd
# C_PROGS are the C test programs (test/progs), built below.
C_PROGS := $(basename $(notdir $(wildcard test/progs/*.c)))
USER_PROGS := $(SYSTEM_PROGS) test/servers/authcheck test/servers/vfscheck test/servers/netcheck test/servers/echo test/servers/pinger test/servers/hog test/servers/evil test/servers/abuse test/servers/devcheck test/servers/drivercheck test/servers/drivebench test/servers/authwatch

## bundle: build the boot bundles of user programs (build/bundle.cpio, and build/system.cpio with the system's servers only)
# Without symbols or DWARF (-s -w): the bundle is in RAM for good, and Go's
# tracebacks need only the pclntab, which stays.
bundle: $(addprefix $(BUILD)/bundle/,$(C_PROGS))
	@mkdir -p $(BUILD)/bundle
	for p in $(USER_PROGS); do \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BUILD)/bundle/$$(basename $$p) ./$$p || exit 1; \
	done
	$(GO) run ./tools/mkbundle -o $(BUNDLE) $(addprefix $(BUILD)/bundle/,$(notdir $(USER_PROGS)) $(C_PROGS))
	$(GO) run ./tools/mkbundle -o $(SYSTEM_BUNDLE) $(addprefix $(BUILD)/bundle/,$(notdir $(SYSTEM_PROGS)))

## test-user: boot QEMU with ring-3 servers: IPC with handles, GC in ring 3, crash restart, isolation
test-user: kernel bundle
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) \
		$(GO) test -count=1 -timeout 20m -v ./test/user/

TESTS += test-user
.PHONY: bundle test-user

# C test programs, built static against musl like Alpine's userland.
$(BUILD)/bundle/%: test/progs/%.c
	@$(NEED) musl-tools
	@mkdir -p $(BUILD)/bundle
	musl-gcc -static -O2 -Wall -o $@ $< -lpthread
