# vfsd's namespace layer: the race detector over the getdents-under-change
# and concurrent-use tests, which plain `go test` does not run with -race.

VFSD_PKGS := ./servers/vfsd/vfs/... ./servers/vfsd/tmpfs/... ./servers/vfsd/devfs/... \
	./servers/vfsd/fwdfs/... ./servers/vfsd/service/... ./servers/vfsd/ext4fs/...

TESTS += test-vfsd

## test-vfsd: vfsd's namespace, tmpfs, devfs, /proc forwarding and server under the race detector
test-vfsd:
	@$(NEED) e2fsprogs
	$(GO) test -race $(VFSD_PKGS)

## fuzz-vfsd: run vfsd's path resolution, script and server fuzzers for FUZZTIME each (default 60s)
fuzz-vfsd:
	$(GO) test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/vfsd/vfs/
	$(GO) test -run '^$$' -fuzz '^FuzzScript$$' -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/vfsd/vfs/
	$(GO) test -run '^$$' -fuzz '^FuzzServer$$' -fuzztime $(or $(FUZZTIME),60s) -parallel 1 ./servers/vfsd/service/

.PHONY: test-vfsd fuzz-vfsd
