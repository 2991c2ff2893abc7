# make bench: Aramid against Debian's Linux in the same QEMU, with the same
# machine flags, in one run; it prints ns per operation for both and the
# ratio. Not part of make test: it measures, it does not check. See
# docs/bench.md.

BENCH_DIR := $(BUILD)/bench
BENCH_PROG := $(BENCH_DIR)/linuxbench
BENCH_FLAGS ?=

$(BENCH_PROG): tools/bench/progs/linuxbench.c
	@$(NEED) musl-tools
	@mkdir -p $(BENCH_DIR)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

## bench: boot Aramid and Linux under the same QEMU flags; print ns/op and the ratio Aramid/Linux
bench: kernel bundle $(BENCH_PROG)
	@$(NEED) qemu-system-x86 busybox-static linux-image-amd64 xz-utils
	$(GO) run ./tools/bench -kernel $(KERNEL) -bundle $(BUNDLE) -prog $(BENCH_PROG) -work $(BENCH_DIR) $(BENCH_FLAGS)

.PHONY: bench
