# Fuzzing: sysfuzz throws random Linux system calls at the whole system in
# QEMU (make fuzz-guest, and a short run in make test); make fuzz runs every
# Go fuzz target of the repository on the host. See docs/testing.md.

FUZZ_DIR := $(BUILD)/fuzz
# sysfuzz and memhog go into the root image's /test (mk/linux.mk).
ROOT_BINS += $(FUZZ_DIR)/sysfuzz $(FUZZ_DIR)/memhog
# fuzz-guest's number of calls and seed; the stall is how long the run may
# go without a progress line before it counts as a hang.
FUZZ_COUNT ?= 100000
FUZZ_SEED ?= 1
FUZZ_STALL ?= 60s
FUZZTIME ?= 60s

$(FUZZ_DIR)/%: test/fuzz/progs/%.c
	@$(NEED) musl-tools
	@mkdir -p $(FUZZ_DIR)
	musl-gcc -static -O2 -Wall -Werror -o $@ $<

# FUZZ_TEST runs the tests of test/fuzz matching $(1) on the Linux system.
FUZZ_TEST = ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) ARAMID_LINUX_APPEND="$(LINUX_APPEND)" \
	ARAMID_DEVICES="$(call LINUX_DEVICES,$(abspath $(ROOT_IMG)),snapshot=on)" \
	ARAMID_FUZZ_COUNT=$(FUZZ_COUNT) ARAMID_FUZZ_SEED=$(FUZZ_SEED) ARAMID_FUZZ_STALL=$(FUZZ_STALL) \
	ARAMID_FUZZ_ARGS="$(FUZZ_ARGS)" ARAMID_FUZZ_LOG=$(abspath $(FUZZ_DIR))/console.log \
	$(GO) test -count=1 -timeout $$(( 10 + $(FUZZ_COUNT) / 10000 ))m -v -run '$(1)' ./test/fuzz/

## fuzz-guest: boot the Linux system and run sysfuzz's FUZZ_COUNT random system calls (seed FUZZ_SEED); fail on a panic, a server death or a hang
fuzz-guest: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	$(call FUZZ_TEST,TestGuestFuzz)

## test-fuzz-guest: a short fuzz-guest run (20,000 calls, seed 1) and the memory-exhaustion regression test, part of make test
test-fuzz-guest: FUZZ_COUNT = 20000
test-fuzz-guest: FUZZ_SEED = 1
test-fuzz-guest: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	$(call FUZZ_TEST,TestGuestFuzz|TestMemoryExhaustion|TestFailures)

## fuzz: run every Go fuzz target of the repository for FUZZTIME each (default 60s), one at a time (FUZZ_ONLY=regexp of "dir FuzzName" for some)
fuzz:
	GO=$(GO) tools/fuzzall $(FUZZTIME) '$(FUZZ_ONLY)'


.PHONY: fuzz-guest test-fuzz-guest fuzz
