# make bench: Aramid against Debian's Linux in the same QEMU, with the same
# machine flags, in one run; it prints ns per operation for both and the
# ratio, one BENCH name=... line per workload, and build/bench/results.json.
# Not part of make test: it measures, it does not check. See docs/bench.md.

BENCH_DIR := $(BUILD)/bench
BENCH_PROG := $(BENCH_DIR)/linuxbench
BENCH_FLAGS ?=
# BENCH selects workloads: all, or a comma-separated list of names.
BENCH ?= all
# linuxbench also runs on Aramid, as a Linux process under linuxd, from the
# root image's /test.
ROOT_BINS += $(BENCH_PROG)
# The Linux reference: Debian's linux-image-amd64 unpacked here, never
# installed, so that a benchmark does not change how this machine boots.
LINUX_REF := $(BUILD)/linux-ref

$(BENCH_PROG): tools/bench/progs/linuxbench.c
	@$(NEED) musl-tools
	@mkdir -p $(BENCH_DIR)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

## linux-ref: fetch Debian's kernel into build/linux-ref without installing it (make bench does this)
linux-ref: $(LINUX_REF)/.fetched

$(LINUX_REF)/.fetched: tools/fetch-linux
	tools/fetch-linux $(LINUX_REF)
	@touch $@

## bench: boot Aramid and Linux under the same QEMU flags; print ns/op and the ratio Aramid/Linux (BENCH=name for one workload)
bench: kernel bundle $(BENCH_PROG) $(ROOT_IMG) linux-ref
	@$(NEED) qemu-system-x86 busybox-static xz-utils
	$(GO) run ./tools/bench -kernel $(KERNEL) -bundle $(BUNDLE) -system "$(LINUX_APPEND)" \
		-devices "$(call LINUX_DEVICES,$(abspath $(ROOT_IMG)),snapshot=on)" -prog $(BENCH_PROG) \
		-linux $(LINUX_REF) -work $(BENCH_DIR) -w $(BENCH) $(BENCH_FLAGS)

.PHONY: linux-ref bench
