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

# The benchmark's root disk, for Aramid and Linux alike: the root image
# grown to hold disk-read's file, /test/disk-read.bin, 64 MiB of random
# bytes (zeros would be stored as a hole), which debugfs writes as one
# extent. Both sides attach it with snapshot=on, so it never changes.
BENCH_IMG := $(BENCH_DIR)/root.ext4

$(BENCH_IMG): $(ROOT_IMG)
	@$(NEED) e2fsprogs
	@mkdir -p $(BENCH_DIR)
	cp $(ROOT_IMG) $@.tmp
	resize2fs $@.tmp 96M
	head -c 64M /dev/urandom > $(BENCH_DIR)/disk-read.bin
	printf 'cd /test\nwrite $(BENCH_DIR)/disk-read.bin disk-read.bin\n' | debugfs -w -f - $@.tmp
	rm $(BENCH_DIR)/disk-read.bin
	mv $@.tmp $@

# The nginx workloads' root disk, for Aramid and Linux alike: the package
# image (mk/packages.mk) with its packages installed once, by Aramid itself
# running test/packages/install as make test-nginx does, and the guest
# script tools/bench/progs/nginx-bench as /test/nginx-bench. Both sides
# attach it with snapshot=on, so every boot starts from the same bytes.
NGINX_IMG := $(BENCH_DIR)/nginx.ext4
# Built only when BENCH selects an nginx workload: the install boots
# Aramid for minutes. The rule is in mk/packages.mk, after PKG_IMG.
BENCH_NGINX := $(if $(filter all,$(BENCH))$(findstring nginx,$(BENCH)),$(NGINX_IMG))

$(BENCH_PROG): tools/bench/progs/linuxbench.c
	@$(NEED) musl-tools
	@mkdir -p $(BENCH_DIR)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

## linux-ref: fetch Debian's kernel into build/linux-ref without installing it (make bench does this)
linux-ref: $(LINUX_REF)/.fetched

$(LINUX_REF)/.fetched: tools/fetch-linux
	tools/fetch-linux $(LINUX_REF)
	@touch $@

## bench: boot Aramid and Linux under the same QEMU flags and devices; print ns/op or MiB/s and the ratio Aramid/Linux (BENCH=name for one workload)
bench: kernel bundle $(BENCH_PROG) $(BENCH_IMG) $(BENCH_NGINX) linux-ref
	@$(NEED) qemu-system-x86 busybox-static xz-utils $(if $(BENCH_NGINX),wrk)
	$(GO) run ./tools/bench -kernel $(KERNEL) -bundle $(BUNDLE) -system-bundle $(SYSTEM_BUNDLE) -system "$(LINUX_APPEND)" \
		-devices "$(call LINUX_DEVICES,$(abspath $(BENCH_IMG)),snapshot=on)" -prog $(BENCH_PROG) \
		$(if $(BENCH_NGINX),-nginx-devices "$(call LINUX_DEVICES,$(abspath $(NGINX_IMG)),snapshot=on)") \
		-linux $(LINUX_REF) -work $(BENCH_DIR) -w $(BENCH) $(BENCH_FLAGS)

.PHONY: linux-ref bench
