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
	SysProcessSpawn  = NativeBase + 6 // (cmdline, len, bootstrap h, cpu mask) -> process h
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
	// SysAffinity reads, and with a mask other than 0 first sets, the CPU
	// mask of a process (h 0: the caller's) or of its thread tid. Bit i
	// is CPU i; the result is limited to the CPUs that run threads.
	SysAffinity = NativeBase + 13 // (process h or 0, tid or 0, mask or 0) -> mask
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

// Calls for the Linux personality (linuxd). A Linux process is one whose
// system calls the kernel forwards, as a LinuxMsg, to the syscall port it
// was created with; linuxd takes them with SysPortWait and answers with a
// LinuxReply (docs/linux.md).
const (
	// SysPortCreate makes a syscall port, the queue of forwarded calls.
	SysPortCreate = NativeBase + 0x10 // () -> port h
	// SysPortWait answers one forwarded call (reply.TID != 0), then waits
	// for the next and stores it at msg. With a reply, the CPU goes
	// straight to the answered thread while linuxd waits. A timeout (ns,
	// 0: none) ends the wait with EAGAIN; the reply stands.
	SysPortWait = NativeBase + 0x11 // (port h, msg *LinuxMsg, reply *LinuxReply or 0, timeout)
	// SysPortReply answers one forwarded call without waiting.
	SysPortReply = NativeBase + 0x12 // (port h, reply *LinuxReply)
	// SysLinuxCreate makes an empty Linux process (no memory, no threads)
	// whose calls go to the port, tagged with cookie.
	SysLinuxCreate = NativeBase + 0x13 // (port h, name, len, cookie) -> process h
	// SysProcessRead and SysProcessWrite copy between the caller and a
	// Linux process's memory; unmapped or protected ranges are EFAULT.
	SysProcessRead  = NativeBase + 0x14 // (process h, addr, buf, n)
	SysProcessWrite = NativeBase + 0x15 // (process h, addr, buf, n)
	// SysProcessVM maps, unmaps or protects memory of a Linux process.
	SysProcessVM = NativeBase + 0x16 // (process h, op, addr, len, prot) -> addr
	// SysThreadStart starts a thread in a Linux process with registers,
	// and the CPU mask of its thread like (0: the process's).
	SysThreadStart = NativeBase + 0x17 // (process h, regs *Regs, like tid or 0) -> tid
	// SysProcessKill ends a process with a status.
	SysProcessKill = NativeBase + 0x18 // (process h, status)
	// SysLinuxFork copies a Linux process whose thread tid is waiting for
	// a reply: the child has one thread, a copy of that one, which also
	// waits for a reply.
	SysLinuxFork = NativeBase + 0x19 // (process h, tid, cookie, out tid *uint32) -> process h
	// SysProcessFutex wakes up to n threads waiting on a futex in a Linux
	// process (CLONE_CHILD_CLEARTID).
	SysProcessFutex = NativeBase + 0x1a // (process h, addr, n) -> woken
	// SysThreadInterrupt makes thread tid of a Linux process come to
	// linuxd (MsgInterrupt) as soon as it would next run user code, and
	// ends its futex wait if it is in one: a signal for it is pending.
	SysThreadInterrupt = NativeBase + 0x1b // (process h, tid)
)

// Operations of SysProcessVM.
const (
	VMMap     = 1 // anonymous demand-zero memory; addr 0: anywhere
	VMUnmap   = 2
	VMProtect = 3
	VMReset   = 4 // unmap everything and end every thread but addr (a tid)
)

// Regs is a Linux thread's general register state.
type Regs struct {
	RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP uint64
	R8, R9, R10, R11, R12, R13, R14, R15   uint64
	RIP, RFLAGS, FSBase                    uint64
}

// Kinds of LinuxMsg.
const (
	MsgSyscall = 0 // Regs.RAX is the call number
	MsgFault   = 1 // a CPU exception: Vector, Err, Addr (CR2)
	// MsgNoMemory: a page fault at Addr that the kernel could not back,
	// because the process reached its memory limit (Err: the limit in
	// MiB) or the machine ran out of frames (Err: 0). linuxd ends the
	// process with SIGKILL, as Linux's OOM killer does, so that its
	// parent's wait sees it.
	MsgNoMemory = 2
	// MsgInterrupt: the thread was interrupted for a signal
	// (SysThreadInterrupt) where it ran user code, with Regs as it would
	// resume. Err is 1 if that ended a system call the kernel answers (a
	// futex wait), whose number is then Vector and which returns -EINTR
	// in Regs.RAX unless it is restarted.
	MsgInterrupt = 3
)

// LinuxMsg is one forwarded system call or fault, in a fixed layout.
type LinuxMsg struct {
	Kind, TID         uint32
	Cookie            uint64
	Vector, Err, Addr uint64
	Regs              Regs
}

// Actions of a LinuxReply.
const (
	ReplyReturn = 0 // RAX = Value
	ReplyRegs   = 1 // load Regs (sigreturn, signal delivery)
	ReplyExec   = 2 // load Regs and reset the FPU state (execve)
	ReplyExit   = 3 // end the thread
)

// LinuxReply answers a forwarded call.
type LinuxReply struct {
	TID, Action uint32
	Value       uint64
	Regs        Regs
}
