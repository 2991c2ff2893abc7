# Server protocols: regenerate the Go code of every .proto file under proto/
# with Debian's protoc, the protoc-gen-go pinned in go.mod, and our own
# protoc-gen-aramid. protoc-gen-go runs first because protoc-gen-aramid
# builds on aramid/proto/rpc, whose Handle type it generates. See
# docs/protocols.md.

PROTO_FILES = $(shell find proto -name '*.proto' | LC_ALL=C sort)
PROTO_BIN := $(BUILD)/proto-bin
PROTO_GENERATED := ':(glob)proto/**/*.pb.go' ':(glob)proto/**/*_aramid_test.go'

## proto: regenerate the Go code of every .proto file in proto/
proto:
	@$(NEED) protobuf-compiler
	@mkdir -p $(PROTO_BIN)
	$(GO) build -o $(PROTO_BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	protoc -I proto --plugin=protoc-gen-go=$(PROTO_BIN)/protoc-gen-go \
		--go_out=proto --go_opt=paths=source_relative $(PROTO_FILES:proto/%=%)
	$(GO) build -o $(PROTO_BIN)/protoc-gen-aramid ./proto/cmd/protoc-gen-aramid
	protoc -I proto --plugin=protoc-gen-aramid=$(PROTO_BIN)/protoc-gen-aramid \
		--aramid_out=proto --aramid_opt=paths=source_relative $(PROTO_FILES:proto/%=%)

## test-proto: fail if the committed generated code differs from make proto
test-proto: proto
	@git diff --exit-code -- $(PROTO_GENERATED) || \
		{ echo "generated code is stale: run make proto and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- $(PROTO_GENERATED))" || \
		{ git status --short -- $(PROTO_GENERATED); echo "make proto made files that are not committed" >&2; exit 1; }

TESTS += test-proto

.PHONY: proto test-proto
