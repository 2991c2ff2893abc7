package proc

import "unsafe"

//go:nosplit
func exitWordAddr(i int32) uintptr { return uintptr(unsafe.Pointer(&Procs[i].ExitWord)) }

// str views b as a string without copying: the trap path cannot allocate.
//
//go:nosplit
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

//go:nosplit
func faultSeqAddr() uintptr { return uintptr(unsafe.Pointer(&FaultSeq)) }

// FaultSeqAddr is the futex address of FaultSeq.
func FaultSeqAddr() uintptr { return faultSeqAddr() }
