// Package ipc is the user-space side of Aramid's native calls: handles,
// channels that carry bytes and handles, and processes. Aramid's Go servers
// are ordinary GOOS=linux programs; these calls are the only thing that
// makes them Aramid programs. Blocking calls go through syscall.Syscall6,
// so the Go scheduler runs other goroutines meanwhile.
package ipc

import (
	"errors"
	"io"
	"syscall"
	"time"
	"unsafe"

	"aramid/lib/abi"
	"aramid/lib/linux"
)

// Handle names a kernel object in this process.
type Handle uint32

// Bootstrap is the channel a spawned process gets from its parent.
const Bootstrap Handle = abi.Bootstrap

// IsClosed reports whether err means the peer end of a channel is gone.
func IsClosed(err error) bool { return errors.Is(err, syscall.EPIPE) }

func errno(r uintptr, e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// Close drops a handle.
func Close(h Handle) error {
	_, _, e := syscall.RawSyscall(abi.SysHandleClose, uintptr(h), 0, 0)
	return errno(0, e)
}

// Dup returns a new handle to the same object with the given rights, which
// must be a subset of h's.
func Dup(h Handle, rights uint32) (Handle, error) {
	r, _, e := syscall.RawSyscall(abi.SysHandleDup, uintptr(h), uintptr(rights), 0)
	return Handle(r), errno(r, e)
}

// Channel creates a connected pair of channel endpoints.
func Channel() (Handle, Handle, error) {
	var hs [2]uint32
	_, _, e := syscall.RawSyscall(abi.SysChannelCreate, uintptr(unsafe.Pointer(&hs)), 0, 0)
	return Handle(hs[0]), Handle(hs[1]), errno(0, e)
}

func handlesPtr(hs []Handle) uintptr {
	if len(hs) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&hs[0]))
}

func bytesPtr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// Write sends data and moves handles to the channel's peer.
func Write(h Handle, data []byte, handles []Handle) error {
	_, _, e := syscall.RawSyscall6(abi.SysChannelWrite, uintptr(h), bytesPtr(data), uintptr(len(data)),
		handlesPtr(handles), uintptr(len(handles)), 0)
	return errno(0, e)
}

// Read waits for the next message and returns the sizes of its data and
// handles. syscall.EMSGSIZE means buf or handles was too small; the sizes
// say what is needed and the message stays queued.
func Read(h Handle, buf []byte, handles []Handle) (n, nh int, err error) {
	var actual [2]uint32
	_, _, e := syscall.Syscall6(abi.SysChannelRead, uintptr(h), bytesPtr(buf), uintptr(len(buf)),
		handlesPtr(handles), uintptr(len(handles)), uintptr(unsafe.Pointer(&actual)))
	return int(actual[0]), int(actual[1]), errno(0, e)
}

// Call writes a request and waits for the reply on the same channel.
func Call(h Handle, req []byte, reqHandles []Handle, resp []byte, respHandles []Handle) (n, nh int, err error) {
	var actual [2]uint32
	args := abi.CallArgs{
		WBuf: uint64(bytesPtr(req)), WLen: uint64(len(req)),
		WHandles: uint64(handlesPtr(reqHandles)), WNHandles: uint64(len(reqHandles)),
		RBuf: uint64(bytesPtr(resp)), RCap: uint64(len(resp)),
		RHandles: uint64(handlesPtr(respHandles)), RHCap: uint64(len(respHandles)),
		Actual: uint64(uintptr(unsafe.Pointer(&actual))),
	}
	_, _, e := syscall.Syscall6(abi.SysChannelCall, uintptr(h), uintptr(unsafe.Pointer(&args)), 0, 0, 0, 0)
	return int(actual[0]), int(actual[1]), errno(0, e)
}

// Spawn starts a program from the boot bundle. cmdline is its name and
// arguments; boot, if not 0, moves to the child as its Bootstrap handle.
func Spawn(cmdline string, boot Handle) (Handle, error) { return SpawnOn(cmdline, boot, 0) }

// SpawnOn is Spawn with the process placed on the CPUs of mask (bit i:
// CPU i; 0: any) from its first instruction, as Affinity would place it
// after the spawn. A mask that names no CPU that runs threads is EINVAL.
func SpawnOn(cmdline string, boot Handle, mask uint64) (Handle, error) {
	b := []byte(cmdline)
	r, _, e := syscall.RawSyscall6(abi.SysProcessSpawn, bytesPtr(b), uintptr(len(b)), uintptr(boot), uintptr(mask), 0, 0)
	return Handle(r), errno(r, e)
}

// Wait waits for a process to exit and returns its status: an exit code,
// or abi.StatusFault|vector, abi.StatusMemory, abi.StatusSignal|signal.
func Wait(p Handle) (int, error) {
	r, _, e := syscall.Syscall(abi.SysProcessWait, uintptr(p), 0, 0)
	return int(r), errno(r, e)
}

// StatusString describes an exit status.
func StatusString(st int) string {
	switch {
	case st == abi.StatusMemory:
		return "killed at its memory limit"
	case st&^0xff == abi.StatusFault:
		return "killed by CPU exception " + itoa(st&0xff)
	case st&^0xff == abi.StatusSignal:
		return "killed by signal " + itoa(st&0xff)
	}
	return "exit status " + itoa(st)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// Prot bits for MapVMO: mmap's.
const (
	ProtRead  = linux.PROT_READ
	ProtWrite = linux.PROT_WRITE
)

// CreateVMO makes a zero-filled memory object of size bytes (at most 1 MiB).
func CreateVMO(size int) (Handle, error) {
	r, _, e := syscall.RawSyscall(abi.SysVmoCreate, uintptr(size), 0, 0)
	return Handle(r), errno(r, e)
}

// MapVMO maps a whole memory object and returns its memory. Every process
// that maps the object sees the same bytes. The mapping lasts until the
// process exits.
func MapVMO(h Handle, size int, prot int) ([]byte, error) {
	r, _, e := syscall.RawSyscall(abi.SysVmoMap, uintptr(h), uintptr(prot), 0)
	if e != 0 {
		return nil, e
	}
	// The kernel returned an address outside the Go heap: view it as a slice.
	p := *(**byte)(unsafe.Pointer(&r))
	return unsafe.Slice(p, size), nil
}

// WaitMany waits until one of handles is ready — a channel with a message
// or a closed peer, or a process that has exited — and returns its index.
// A negative timeout waits for ever; on timeout the error is ETIMEDOUT.
func WaitMany(handles []Handle, timeout time.Duration) (int, error) {
	r, _, e := syscall.Syscall(abi.SysWaitMany, handlesPtr(handles), uintptr(len(handles)), uintptr(timeout))
	return int(r), errno(r, e)
}

// Affinity returns the CPU mask (bit i: CPU i) of process p (0: the
// caller's) or, with tid, of that thread of p, after setting it to mask
// if mask is not 0 (docs/native-abi.md).
func Affinity(p Handle, tid int, mask uint64) (uint64, error) {
	r, _, e := syscall.RawSyscall(abi.SysAffinity, uintptr(p), uintptr(tid), uintptr(mask))
	return uint64(r), errno(r, e)
}

// Memory is a mapped memory object used as a byte store: what servers
// receive as a client's registered buffer for bulk data.
type Memory struct {
	b []byte
}

// MapMemory maps the memory object h writable. The mapping lasts until the
// process exits.
func MapMemory(h Handle) (*Memory, error) {
	size, _, e := syscall.RawSyscall(abi.SysVmoSize, uintptr(h), 0, 0)
	if e != 0 {
		return nil, e
	}
	b, err := MapVMO(h, int(size), ProtRead|ProtWrite)
	if err != nil {
		return nil, err
	}
	return &Memory{b: b}, nil
}

// Bytes is the whole object.
func (m *Memory) Bytes() []byte { return m.b }

// Size is the object's size in bytes.
func (m *Memory) Size() int64 { return int64(len(m.b)) }

// ReadAt reads from the object at off.
func (m *Memory) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(m.b)) {
		return 0, syscall.EFAULT
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes into the object at off; it never grows.
func (m *Memory) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, syscall.EFAULT
	}
	return copy(m.b[off:], p), nil
}
