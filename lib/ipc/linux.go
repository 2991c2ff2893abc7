package ipc

import (
	"syscall"
	"time"
	"unsafe"

	"aramid/lib/abi"
)

// The calls that serve the Linux personality (docs/linux.md): a syscall
// port on which the kernel queues the calls of Linux processes, and the
// control of those processes' memory and threads.

// PortCreate makes a syscall port.
func PortCreate() (Handle, error) {
	r, _, e := syscall.RawSyscall(abi.SysPortCreate, 0, 0, 0)
	return Handle(r), errno(r, e)
}

// PortWait answers reply (if not nil), then waits for the next forwarded
// call and stores it in msg.
func PortWait(port Handle, msg *abi.LinuxMsg, reply *abi.LinuxReply) error {
	_, _, e := syscall.Syscall(abi.SysPortWait, uintptr(port), uintptr(unsafe.Pointer(msg)), uintptr(unsafe.Pointer(reply)))
	return errno(0, e)
}

// PortWaitFor is PortWait for at most timeout (rounded up to the kernel's
// tick), returning syscall.EAGAIN if no call came; the reply is sent
// either way. It is a raw system call: Go's scheduler does not see the
// goroutine wait, so its P stays taken and a stop of the world waits for
// the call to return. What that saves is the scheduler's bookkeeping of
// a blocking call (entersyscall, exitsyscall), and the pages it touches,
// on every forwarded call.
func PortWaitFor(port Handle, msg *abi.LinuxMsg, reply *abi.LinuxReply, timeout time.Duration) error {
	_, _, e := syscall.RawSyscall6(abi.SysPortWait, uintptr(port), uintptr(unsafe.Pointer(msg)), uintptr(unsafe.Pointer(reply)), uintptr(timeout), 0, 0)
	return errno(0, e)
}

// PortReply answers a forwarded call.
func PortReply(port Handle, reply *abi.LinuxReply) error {
	_, _, e := syscall.RawSyscall(abi.SysPortReply, uintptr(port), uintptr(unsafe.Pointer(reply)), 0)
	return errno(0, e)
}

// LinuxCreate makes an empty Linux process whose calls go to port, tagged
// with cookie.
func LinuxCreate(port Handle, name string, cookie uint64) (Handle, error) {
	b := []byte(name)
	if len(b) > 32 {
		b = b[:32]
	}
	r, _, e := syscall.RawSyscall6(abi.SysLinuxCreate, uintptr(port), bytesPtr(b), uintptr(len(b)), uintptr(cookie), 0, 0)
	return Handle(r), errno(r, e)
}

// ProcessRead copies len(b) bytes at addr in process p into b.
func ProcessRead(p Handle, addr uint64, b []byte) error {
	r, _, e := syscall.RawSyscall6(abi.SysProcessRead, uintptr(p), uintptr(addr), bytesPtr(b), uintptr(len(b)), 0, 0)
	return errno(r, e)
}

// ProcessWrite copies b to addr in process p.
func ProcessWrite(p Handle, addr uint64, b []byte) error {
	r, _, e := syscall.RawSyscall6(abi.SysProcessWrite, uintptr(p), uintptr(addr), bytesPtr(b), uintptr(len(b)), 0, 0)
	return errno(r, e)
}

// ProcessVM maps (abi.VMMap), unmaps, protects or resets memory of process
// p; a map returns its address.
func ProcessVM(p Handle, op int, addr, length uint64, prot int) (uint64, error) {
	r, _, e := syscall.RawSyscall6(abi.SysProcessVM, uintptr(p), uintptr(op), uintptr(addr), uintptr(length), uintptr(prot), 0)
	return uint64(r), errno(r, e)
}

// ThreadStart starts a thread in process p with registers regs and the
// CPU mask of p's thread like (0: p's own mask), and returns its id.
func ThreadStart(p Handle, regs *abi.Regs, like int) (int, error) {
	r, _, e := syscall.RawSyscall(abi.SysThreadStart, uintptr(p), uintptr(unsafe.Pointer(regs)), uintptr(like))
	return int(r), errno(r, e)
}

// ProcessKill ends process p with status.
func ProcessKill(p Handle, status int) error {
	r, _, e := syscall.RawSyscall(abi.SysProcessKill, uintptr(p), uintptr(status), 0)
	return errno(r, e)
}

// ThreadInterrupt makes thread tid of Linux process p come to linuxd
// before it runs user code again (abi.MsgInterrupt).
func ThreadInterrupt(p Handle, tid int) error {
	r, _, e := syscall.RawSyscall(abi.SysThreadInterrupt, uintptr(p), uintptr(tid), 0)
	return errno(r, e)
}

// LinuxFork copies process p, whose thread tid waits for a reply, and
// returns the child and the id of its one thread.
func LinuxFork(p Handle, tid int, cookie uint64) (Handle, int, error) {
	var child uint32
	r, _, e := syscall.RawSyscall6(abi.SysLinuxFork, uintptr(p), uintptr(tid), uintptr(cookie), uintptr(unsafe.Pointer(&child)), 0, 0)
	return Handle(r), int(child), errno(r, e)
}

// ProcessFutexWake wakes up to n threads of process p waiting on the
// futex at addr.
func ProcessFutexWake(p Handle, addr uint64, n int) (int, error) {
	r, _, e := syscall.RawSyscall(abi.SysProcessFutex, uintptr(p), uintptr(addr), uintptr(n))
	return int(r), errno(r, e)
}
