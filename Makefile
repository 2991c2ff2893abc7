# Aramid's Makefile. Every target has a "## name: help" line; `make help`
# lists them. Each component keeps its own targets in mk/<component>.mk and
# adds its test target to TESTS, so `make test` runs everything.

SHELL := /bin/bash
GO ?= go
BUILD := build
# The root filesystem image Linux programs run from (mk/linux.mk).
ROOT_IMG := $(BUILD)/root.ext4
NEED := tools/need

.DEFAULT_GOAL := help
TESTS := test-unit

include $(sort $(wildcard mk/*.mk))

## help: list the targets with a line of help each
help:
	@grep -hE '^## [a-z0-9-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z0-9-]+): /\1\t/' | sort | awk -F'\t' '{ printf "%-12s %s\n", $$1, $$2 }'

## test: run every test (host unit tests, generated-code check, QEMU boots)
test: $(TESTS)

## clean: remove everything the build made (build/)
clean:
	rm -rf $(BUILD)

## test-unit: vet and unit-test every Go package on the host
# Host comparisons that need root skip without it and name themselves in
# a file (test/needroot); one line lists them after the tests.
test-unit:
	$(GO) vet ./...
	@mkdir -p $(BUILD)
	skips=$$(mktemp $(abspath $(BUILD))/root-skips.XXXXXX); \
	ARAMID_ROOT_SKIPS=$$skips $(GO) test ./...; st=$$?; \
	if [ -s $$skips ]; then echo "test-unit: without root, skipped: $$(sort -u $$skips | paste -sd';' - | sed 's/;/; /g')"; fi; \
	rm -f $$skips; exit $$st

.PHONY: help clean test test-unit
