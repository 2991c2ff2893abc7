package hosting

import (
	"syscall"

	"unsafe"

	"aramid/lib/linux"
	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/mm"
	"aramid/microkernel/proc"
)

// valid reports whether [addr, addr+n) is memory the caller may hand the
// kernel for reading (or writing, with write). For a user process that
// means mapped with those permissions, and its demand pages are faulted in
// so the kernel cannot fault on them. For the kernel's own runtime it means
// its heap window or its image. Anything else is EFAULT, so a bad pointer
// fails the call instead of faulting the kernel.
//
//go:nosplit
func valid(addr, n uint64, write bool) bool {
	if p := proc.Current(); p != 0 {
		return proc.Procs[p].Space.Access(addr, n, write)
	}
	if addr+n < addr {
		return false
	}
	inHeap := addr >= mm.HeapStart && addr+n <= mm.HeapEnd
	inImage := addr >= mm.KernelBase && addr+n <= mm.KernelBase+1<<30
	return inHeap || inImage
}

//go:nosplit
func put64(addr, v uint64) { *(*uint64)(mm.Ptr(uintptr(addr))) = v }

//go:nosplit
func get64(addr uint64) uint64 { return *(*uint64)(mm.Ptr(uintptr(addr))) }

//go:nosplit
func get32(addr uint64) uint32 { return *(*uint32)(mm.Ptr(uintptr(addr))) }

//go:nosplit
func bytesAt(addr, n uint64) []byte {
	if n == 0 {
		return nil // a null buffer of no bytes is valid (musl's writev at exit)
	}
	return (*[1 << 30]byte)(mm.Ptr(uintptr(addr)))[:n:n]
}

// memoryCall answers mmap, munmap, madvise and mprotect from the kernel's
// heap window.
//
//go:nosplit
func memoryCall(f *amd64.Frame) uint64 {
	var e syscall.Errno
	sp := currentSpace()
	switch f.RAX {
	case sysno.Mmap:
		if f.R10&linux.MAP_ANONYMOUS == 0 {
			return errno(syscall.EBADF) // file mappings: the kernel has no files
		}
		addr, err := sp.Mmap(f.RDI, f.RSI, int(f.RDX), int(f.R10))
		if err != 0 {
			return errno(err)
		}
		return addr
	case sysno.Munmap:
		e = sp.Munmap(f.RDI, f.RSI)
	case sysno.Madvise:
		e = sp.Madvise(f.RDI, f.RSI, int(f.RDX))
	case sysno.Mprotect:
		e = sp.Mprotect(f.RDI, f.RSI, int(f.RDX))
	}
	if e != 0 {
		return errno(e)
	}
	return 0
}

// currentSpace is the calling process's address space.
//
//go:nosplit
func currentSpace() *mm.Space {
	if p := proc.Current(); p != 0 {
		return &proc.Procs[p].Space
	}
	return &mm.Kernel
}

//go:nosplit
func ptr(addr uint64) unsafe.Pointer { return mm.Ptr(uintptr(addr)) }
