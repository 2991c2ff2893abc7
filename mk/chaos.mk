# Reliability: the short runs of the tests that break things on purpose.

## test-chaos: servers killed under load (test-restart), the guest system-call fuzzer (test-fuzz-guest) and QEMU killed during ext4 writes (test-crash); test-nginx also kills netd under wrk
test-chaos: test-restart test-fuzz-guest test-crash
TESTS += test-chaos
.PHONY: test-chaos
