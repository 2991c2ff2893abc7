# procd: /proc. Plain `go test ./...` runs its tests; this adds the race
# detector, because procd serves every request on its own goroutine.

## test-procd: procd's tests under the race detector
test-procd:
	$(GO) test -race -count=1 ./servers/procd/...

TESTS += test-procd

.PHONY: test-procd
