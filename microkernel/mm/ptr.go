package mm

import "unsafe"

// Ptr turns a raw kernel virtual address into a pointer. The kernel deals in
// addresses that come from page tables and registers, not from Go values;
// this is the one place where such an integer becomes a pointer. The memory
// it names is never Go-managed heap, so the GC does not need to see it.
//
//go:nosplit
func Ptr(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}
