# netd: TCP/IP on gVisor's netstack (servers/netd); see docs/netd.md.

## test-netd: netd's host tests under the race detector, and short fuzz runs
test-netd:
	$(GO) test -race -count=1 ./servers/netd/
	$(GO) test -run XXX -fuzz FuzzService -fuzztime 15s -parallel 1 ./servers/netd/
	$(GO) test -run XXX -fuzz FuzzSockOpt -fuzztime 10s -parallel 1 ./servers/netd/

## bench-netd: TCP throughput and connection rate, host link and loopback
bench-netd:
	$(GO) test -run XXX -bench . -benchtime 2s ./servers/netd/

TESTS += test-netd
.PHONY: test-netd bench-netd
