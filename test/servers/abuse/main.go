// Command abuse calls the kernel with bad arguments — bad pointers, wrong
// handle kinds, missing rights, oversize messages — and checks that each
// call fails with the documented errno (docs/native-abi.md) instead of
// hurting the kernel.
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"aramid/lib/abi"
	"aramid/lib/ipc"
)

var failed int

func expect(what string, got error, want syscall.Errno) {
	if want == 0 && got == nil {
		return
	}
	if got != want {
		fmt.Printf("abuse: FAIL %s: got %v, want %v\n", what, got, want)
		failed++
	}
}

func raw(nr uintptr, args ...uintptr) error {
	var a [6]uintptr
	copy(a[:], args)
	_, _, e := syscall.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if e == 0 {
		return nil
	}
	return e
}

const kernelAddr = 0xffffffff80201000

// waitMany checks waiting on several channels and a process at once.
func waitMany() {
	var ends [3][2]ipc.Handle
	for i := range ends {
		ends[i][0], ends[i][1], _ = ipc.Channel()
	}
	set := []ipc.Handle{ends[0][1], ends[1][1], ends[2][1]}
	if _, err := ipc.WaitMany(set, 20*time.Millisecond); err != syscall.ETIMEDOUT {
		fmt.Printf("abuse: FAIL wait on idle channels: %v, want ETIMEDOUT\n", err)
		failed++
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		ipc.Write(ends[1][0], []byte("x"), nil)
	}()
	if i, err := ipc.WaitMany(set, -1); i != 1 || err != nil {
		fmt.Printf("abuse: FAIL wait for a message: index %d, %v; want 1\n", i, err)
		failed++
	}
	ipc.Close(ends[2][0])
	if i, err := ipc.WaitMany([]ipc.Handle{ends[0][1], ends[2][1]}, -1); i != 1 || err != nil {
		fmt.Printf("abuse: FAIL wait for a closed peer: index %d, %v; want 1\n", i, err)
		failed++
	}
	if p, err := ipc.Spawn("forktest", 0); err != nil {
		fmt.Printf("abuse: FAIL spawn forktest for the process wait: %v\n", err)
		failed++
	} else if i, err := ipc.WaitMany([]ipc.Handle{ends[0][1], p}, -1); i != 1 || err != nil {
		fmt.Printf("abuse: FAIL wait for a process: index %d, %v; want 1\n", i, err)
		failed++
	}
	expect("wait on no handles", func() error { _, err := ipc.WaitMany(nil, -1); return err }(), syscall.EINVAL)
}

// readOnly is read-only data of this program, whose pages the kernel
// maps from the boot bundle, shared with every process that runs abuse.
const readOnly = "abuse: a string constant in .rodata, mapped from the bundle"

// sharedText checks that no protection change lets a write reach the
// bundle's pages: mprotect to read-write succeeds, as Linux's does, but
// the kernel still refuses to write there (clock_gettime's result), and
// the bytes are unchanged.
func sharedText() {
	page := uintptr(unsafe.Pointer(unsafe.StringData(readOnly))) &^ 4095
	expect("mprotect of a bundle page", raw(syscall.SYS_MPROTECT, page, 4096, syscall.PROT_READ|syscall.PROT_WRITE), 0)
	expect("clock_gettime into a bundle page", raw(syscall.SYS_CLOCK_GETTIME, 1, page), syscall.EFAULT)
	if readOnly[:6] != "abuse:" {
		fmt.Println("abuse: FAIL a bundle page was written")
		failed++
	}
}

func main() {
	a, b, err := ipc.Channel()
	if err != nil {
		fmt.Println("abuse: channel:", err)
		os.Exit(1)
	}
	expect("close of a handle that does not exist", ipc.Close(999), syscall.EBADF)
	expect("close of handle 0", ipc.Close(0), syscall.EBADF)
	expect("write from an unmapped buffer", raw(abi.SysChannelWrite, uintptr(a), 0x10, 8), syscall.EFAULT)
	expect("write from a kernel address", raw(abi.SysChannelWrite, uintptr(a), kernelAddr, 8), syscall.EFAULT)
	expect("create into a kernel address", raw(abi.SysChannelCreate, kernelAddr), syscall.EFAULT)
	expect("oversize message", ipc.Write(a, make([]byte, abi.MaxMsg+1), nil), syscall.EMSGSIZE)
	c, d, _ := ipc.Channel()
	e, f, _ := ipc.Channel()
	expect("too many handles", ipc.Write(a, nil, make([]ipc.Handle, abi.MaxMsgHandles+1)), syscall.E2BIG)
	expect("a handle that does not exist", ipc.Write(a, nil, []ipc.Handle{c, d, e, f, 999}), syscall.EBADF)
	expect("a 64 KiB message", ipc.Write(a, make([]byte, abi.MaxMsg), []ipc.Handle{c}), 0)
	c = 0
	whole := make([]byte, abi.MaxMsg)
	got := make([]ipc.Handle, 1)
	if n, nh, err := ipc.Read(b, whole, got); err != nil || n != abi.MaxMsg || nh != 1 {
		fmt.Printf("abuse: FAIL reading a 64 KiB message: %d bytes, %d handles, %v\n", n, nh, err)
		failed++
	}
	c = got[0]
	expect("a channel carrying itself", ipc.Write(a, nil, []ipc.Handle{a}), syscall.EINVAL)
	expect("a handle listed twice", ipc.Write(a, nil, []ipc.Handle{c, c}), syscall.EINVAL)

	ro, err := ipc.Dup(a, abi.RightRead)
	expect("dup to fewer rights", err, 0)
	expect("write without the write right", ipc.Write(ro, []byte("x"), nil), syscall.EACCES)
	expect("dup to more rights", func() error { _, err := ipc.Dup(ro, abi.RightRead|abi.RightWrite); return err }(), syscall.EACCES)
	expect("transfer without the transfer right", ipc.Write(a, nil, []ipc.Handle{ro}), syscall.EACCES)

	p, err := ipc.Spawn("no-such-program", 0)
	expect("spawn of a missing program", err, syscall.ENOENT)
	_ = p
	_, err = ipc.SpawnOn("forktest", 0, 1<<63)
	expect("spawn on a CPU that runs no threads", err, syscall.EINVAL)
	expect("wait on a channel", func() error { _, err := ipc.Wait(a); return err }(), syscall.EINVAL)

	expect("write", ipc.Write(a, []byte("hello"), nil), 0)
	small := make([]byte, 2)
	n, _, err := ipc.Read(b, small, nil)
	expect("read into a small buffer", err, syscall.EMSGSIZE)
	if n != 5 {
		fmt.Printf("abuse: FAIL small read reported %d bytes, want 5\n", n)
		failed++
	}
	big := make([]byte, 16)
	if n, _, err := ipc.Read(b, big, nil); err != nil || string(big[:n]) != "hello" {
		fmt.Printf("abuse: FAIL message lost after a small read: %q %v\n", big[:n], err)
		failed++
	}
	expect("write", ipc.Write(a, []byte("again"), nil), 0)
	expect("read into a kernel address", raw(abi.SysChannelRead, uintptr(b), kernelAddr, 16, 0, 0, uintptr(unsafe.Pointer(&[2]uint32{}))), syscall.EFAULT)

	if n, _, err := ipc.Read(b, big, nil); err != nil || string(big[:n]) != "again" {
		fmt.Printf("abuse: FAIL message lost after a faulting read: %q %v\n", big[:n], err)
		failed++
	}
	ipc.Close(b)
	expect("write to a closed peer", ipc.Write(a, []byte("x"), nil), syscall.EPIPE)
	_, _, err = ipc.Read(a, big, nil)
	expect("read with the peer closed", err, syscall.EPIPE)

	expect("unknown native call", raw(abi.NativeBase+0xff), syscall.ENOSYS)
	expect("clock_gettime into an unmapped page", raw(syscall.SYS_CLOCK_GETTIME, 1, 0x10), syscall.EFAULT)
	expect("write(2) from a kernel address", raw(syscall.SYS_WRITE, 1, kernelAddr, 16), syscall.EFAULT)
	expect("huge mmap", raw(syscall.SYS_MMAP, 0, 1<<62, 3, 0x22, ^uintptr(0), 0), syscall.ENOMEM)
	expect("futex on a kernel address", raw(syscall.SYS_FUTEX, kernelAddr, 0, 0, 0, 0, 0), syscall.EFAULT)

	sharedText()
	waitMany()
	if failed > 0 {
		fmt.Printf("abuse: %d checks failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("ABUSE PASS: every bad call got its errno")
}
