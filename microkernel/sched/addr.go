package sched

import "unsafe"

//go:nosplit
func addrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }
