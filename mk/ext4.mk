# ext4 engine, its journal and ext4tool (servers/vfsd/ext4, servers/vfsd/jbd2,
# cmd/ext4tool); see docs/ext4.md.

## test-ext4: ext4 concurrency tests under the race detector
test-ext4:
	@$(NEED) e2fsprogs gcc
	$(GO) test -race -count=1 -run 'Concurrent' ./servers/vfsd/ext4/

## fuzz-ext4: fuzz the ext4 engine with mutated images (FUZZTIME, default 60s)
fuzz-ext4:
	@$(NEED) e2fsprogs
	$(GO) test -run XXX -fuzz FuzzImage -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/vfsd/ext4/

## ext4tool: build the ext4 image tool into build/ext4tool
ext4tool:
	$(GO) build -o $(BUILD)/ext4tool ./cmd/ext4tool

## bench-ext4: ext4tool cat vs debugfs dump on a 100 MiB file (prints seconds)
bench-ext4: ext4tool
	@$(NEED) e2fsprogs time
	@d=$$(mktemp -d) && mkdir $$d/src && head -c 104857600 /dev/urandom > $$d/src/f && \
	mke2fs -q -F -t ext4 -b 4096 -d $$d/src $$d/img 200M && \
	for i in 1 2 3; do \
	  /usr/bin/env time -f "ext4tool cat: %e s" $(BUILD)/ext4tool cat $$d/img /f > /dev/null; \
	  /usr/bin/env time -f "debugfs dump: %e s" debugfs -R "dump /f /dev/null" $$d/img 2>&1 | grep -v '^debugfs 1'; \
	done; rm -rf $$d

## fuzz-jbd2: fuzz journal recovery with mutated logs (FUZZTIME, default 60s)
fuzz-jbd2:
	$(GO) test -run XXX -fuzz FuzzRecover -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/vfsd/jbd2/

# The guest half of make test-crash, in the root image's /test: it writes
# and fsyncs files and prints which are durable (test/crash).
CRASH_PROG := $(BUILD)/crash/crashload
ROOT_BINS += $(CRASH_PROG)

$(CRASH_PROG): test/crash/progs/crashload.c
	@$(NEED) musl-tools
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Werror -o $@ $<

## test-crash: kill QEMU during a guest write workload CRASH_KILLS times (default 3); each time the image must replay e2fsck-clean (ours and e2fsck's replay) with every fsynced file intact
test-crash: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86 e2fsprogs
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) ARAMID_APPEND="$(LINUX_APPEND)" \
		ARAMID_ROOT=$(abspath $(ROOT_IMG)) ARAMID_DEVICES="$(call LINUX_DEVICES,@IMG@)" CRASH_KILLS=$(or $(CRASH_KILLS),3) \
		$(GO) test -count=1 -timeout $(or $(CRASH_TIMEOUT),30m) -v -run TestCrashLoop ./test/crash/

## test-journal-linux: Linux's ext4 (Debian's kernel, make linux-ref) replays our journal, and we replay one Linux left
test-journal-linux: linux-ref
	@$(NEED) qemu-system-x86 e2fsprogs busybox-static xz-utils
	ARAMID_LINUX_REF=$(abspath $(LINUX_REF)) $(GO) test -count=1 -timeout 20m -v -run TestLinuxJournal ./test/crash/

TESTS += test-ext4
.PHONY: test-ext4 fuzz-ext4 fuzz-jbd2 ext4tool bench-ext4 test-crash test-journal-linux
