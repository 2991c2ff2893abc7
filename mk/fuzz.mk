# Fuzzing: sysfuzz throws random Linux system calls at the whole system in
# QEMU (make fuzz-guest, and a short run in make test); make fuzz runs every
# Go fuzz target of the repository on the host. See docs/testing.md.

FUZZ_DIR := $(BUILD)/fuzz
# sysfuzz goes into the root image's /test (mk/linux.mk).
ROOT_BINS += $(FUZZ_DIR)/sysfuzz
# fuzz-guest's number of calls and seed; the stall is how long the run may
# go without a progress line before it counts as a hang.
FUZZ_COUNT ?= 100000
FUZZ_SEED ?= 1
FUZZ_STALL ?= 60s
FUZZTIME ?= 60s

$(FUZZ_DIR)/sysfuzz: test/fuzz/progs/sysfuzz.c
	@$(NEED) musl-tools
	@mkdir -p $(FUZZ_DIR)
	musl-gcc -static -O2 -Wall -Werror -o $@ $<

## fuzz-guest: boot the Linux system and run sysfuzz's FUZZ_COUNT random system calls (seed FUZZ_SEED); fail on a panic, a server death or a hang
fuzz-guest: kernel bundle $(ROOT_IMG)
	@$(NEED) qemu-system-x86
	ARAMID_KERNEL=$(abspath $(KERNEL)) ARAMID_BUNDLE=$(abspath $(BUNDLE)) ARAMID_LINUX_APPEND="$(LINUX_APPEND)" \
		ARAMID_DEVICES="$(call LINUX_DEVICES,$(abspath $(ROOT_IMG)),snapshot=on)" \
		ARAMID_FUZZ_COUNT=$(FUZZ_COUNT) ARAMID_FUZZ_SEED=$(FUZZ_SEED) ARAMID_FUZZ_STALL=$(FUZZ_STALL) \
		ARAMID_FUZZ_ARGS="$(FUZZ_ARGS)" \
		$(GO) test -count=1 -timeout $$(( 10 + $(FUZZ_COUNT) / 10000 ))m -v -run TestGuestFuzz ./test/fuzz/

## test-fuzz-guest: a short fuzz-guest run (20,000 calls, seed 1), part of make test
test-fuzz-guest:
	$(MAKE) fuzz-guest FUZZ_COUNT=20000 FUZZ_SEED=1

## fuzz: run every Go fuzz target of the repository for FUZZTIME each (default 60s), one at a time
fuzz:
	GO=$(GO) tools/fuzzall $(FUZZTIME)

TESTS += test-fuzz-guest
.PHONY: fuzz-guest test-fuzz-guest fuzz
