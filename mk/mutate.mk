# Mutation testing: tools/mutate runs gremlins over each package and
# prints a table (docs/testing.md). Not part of make test: it runs for as
# long as it needs. MUTATE_DIRS picks packages (directories or go list
# patterns: MUTATE_DIRS=./servers/linuxd/... for linuxd's), MUTATE_TIMEOUT
# bounds each.

MUTATE_DIRS ?=

## mutate: mutation testing with gremlins per package under servers/, lib/ and proto/rpc, with a summary table
mutate:
	tools/mutate $(MUTATE_DIRS)

.PHONY: mutate
