module aramid

go 1.26.3

toolchain go1.26.8

tool google.golang.org/protobuf/cmd/protoc-gen-go

require (
	golang.org/x/arch v0.33.0
	golang.org/x/sys v0.43.0
	google.golang.org/protobuf v1.36.12
	gvisor.dev/gvisor v0.0.0-20260701204157-69c2d17aea96
)

require (
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/time v0.15.0 // indirect
)
