// Package linux holds the facts of Linux's x86-64 system-call ABI that
// more than one part of Aramid needs: the kernel's hosting of Go runtimes,
// the servers (vfsd, netd, procd) and linuxd. Each value carries Linux's
// own name, so that grepping for O_CREAT or MAP_FIXED finds its one home.
//
// The package imports nothing, so the kernel can use it on its trap
// path: its functions are go:nosplit and allocate nothing. The values are
// written out here rather than taken from gVisor's pkg/abi/linux, which
// the kernel cannot link (it registers types and starts a logger at init,
// and pulls in encoding/json and regexp); the tests compare every value
// and layout with gVisor's, so the two cannot drift apart.
// docs/linux-abi.md says what lives where.
//
// Errors are syscall.Errno values: on GOOS=linux they are Linux's
// numbers, and every error path in Aramid already speaks them.
package linux
