# ext4 engine and ext4tool (servers/vfsd/ext4, cmd/ext4tool); see docs/ext4.md.

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

TESTS += test-ext4
.PHONY: test-ext4 fuzz-ext4 ext4tool bench-ext4
