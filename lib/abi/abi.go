// Package abi is the native system-call interface between the kernel and
// Aramid's own user-space programs: call numbers, handle rights and exit
// statuses. Both the kernel (microkernel/proc) and the user library
// (lib/ipc) use these definitions. docs/native-abi.md describes each call.
package abi

// Native system call numbers, above Linux's range. Arguments go in RDI,
// RSI, RDX, R10, R8, R9 and the result (or -errno) comes back in RAX, as
// for Linux calls.
const (
	NativeBase       = 0x1000
	SysHandleClose   = NativeBase + 0 // (h)
	SysHandleDup     = NativeBase + 1 // (h, rights) -> new h
	SysChannelCreate = NativeBase + 2 // (out *[2]uint32)
	SysChannelWrite  = NativeBase + 3 // (h, buf, len, handles *uint32, nhandles)
	SysChannelRead   = NativeBase + 4 // (h, buf, cap, handles *uint32, hcap, actual *[2]uint32)
	SysChannelCall   = NativeBase + 5 // (h, args *CallArgs)
	SysProcessSpawn  = NativeBase + 6 // (cmdline, len, bootstrap h) -> process h
	SysProcessWait   = NativeBase + 7 // (process h) -> exit status
	SysVmoCreate     = NativeBase + 8 // (size) -> memory object h
	SysVmoMap        = NativeBase + 9 // (h, prot) -> address
	// SysProcessFork copies the caller into a new process (copy-on-write,
	// calling thread only): the parent gets a process handle, the child 0.
	SysProcessFork = NativeBase + 10 // (bootstrap h or 0) -> process h / 0
	// SysWaitMany waits until one of n handles is ready: a channel with a
	// message or a closed peer, or a process that has exited.
	SysWaitMany = NativeBase + 11 // (handles *uint32, n, timeout ns or -1) -> index
	SysVmoSize  = NativeBase + 12 // (h) -> size in bytes
)

// Handle rights.
const (
	RightRead     = 1 << 0
	RightWrite    = 1 << 1
	RightTransfer = 1 << 2
	RightDup      = 1 << 3
	RightWait     = 1 << 4
	RightMap      = 1 << 5
)

// Limits of one channel message.
const (
	MaxMsg        = 64 << 10
	MaxMsgHandles = 64
)

// Bootstrap is the handle a spawned process finds its bootstrap channel at.
const Bootstrap = 1

// Exit statuses reported by process wait, beside a normal exit code.
const (
	StatusFault  = 0x100 // | CPU exception vector
	StatusMemory = 0x200 // killed at its memory limit
	StatusSignal = 0x300 // | signal number
)

// CallArgs is the argument block of SysChannelCall.
type CallArgs struct {
	WBuf, WLen, WHandles, WNHandles uint64
	RBuf, RCap, RHandles, RHCap     uint64
	Actual                          uint64 // *[2]uint32: bytes, handles
}
