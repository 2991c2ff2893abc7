# netd: TCP/IP on gVisor's netstack (servers/netd); see docs/netd.md.

## test-netd: netd's host tests under the race detector
test-netd:
	$(GO) test -race -count=1 ./servers/netd/...

# Time-bounded fuzzing stays out of make test: Go's fuzzer can end a run
# with "context deadline exceeded" and no finding, which would make CI
# flaky. The seed corpora run as ordinary tests in test-unit.

## fuzz-netd: fuzz netd's dispatcher and socket options (FUZZTIME each, default 60s)
fuzz-netd:
	$(GO) test -run XXX -fuzz FuzzService -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/netd/service/
	$(GO) test -run XXX -fuzz FuzzSockOpt -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/netd/sockets/

## bench-netd: TCP throughput and connection rate, host link and loopback
bench-netd:
	$(GO) test -run XXX -bench . -benchtime 2s ./servers/netd/service/

TESTS += test-netd
.PHONY: test-netd fuzz-netd bench-netd
