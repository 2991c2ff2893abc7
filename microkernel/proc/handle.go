package proc

import (
	"syscall"

	"aramid/lib/abi"
)

// Handle kinds.
const (
	KindNone = iota
	KindChannel
	KindProcess
	KindVMO
	KindResource // the right to mint device handles (device.go)
	KindDevice   // one PCI function
	KindIRQ      // a device's interrupt, waitable
	KindPort     // a syscall port (linux.go)
)

// Handle rights (lib/abi).
const (
	RightRead     = abi.RightRead
	RightWrite    = abi.RightWrite
	RightTransfer = abi.RightTransfer
	RightDup      = abi.RightDup
	RightWait     = abi.RightWait
	RightMap      = abi.RightMap
)

// Handle is a process's reference to a kernel object, with rights.
type Handle struct {
	Kind   uint8
	Rights uint32
	Obj    int32
}

// lookupHandle resolves handle value h (a table index plus one) of process
// p, checking its kind and rights. It returns an errno on failure: EBADF
// for no such handle, EINVAL for the wrong kind, EACCES for missing rights.
//
//go:nosplit
func lookupHandle(p int32, h uint64, kind uint8, rights uint32) (*Handle, syscall.Errno) {
	if h == 0 || h > MaxHandles {
		return nil, syscall.EBADF
	}
	hd := &Procs[p].Handles[h-1]
	if hd.Kind == KindNone {
		return nil, syscall.EBADF
	}
	if kind != KindNone && hd.Kind != kind {
		return nil, syscall.EINVAL
	}
	if hd.Rights&rights != rights {
		return nil, syscall.EACCES
	}
	return hd, 0
}

// install puts hd into p's table and returns its handle value, or 0 if the
// table is full.
//
//go:nosplit
func install(p int32, hd Handle) uint64 {
	for i := range Procs[p].Handles {
		if Procs[p].Handles[i].Kind == KindNone {
			Procs[p].Handles[i] = hd
			return uint64(i + 1)
		}
	}
	return 0
}

// closeHandle drops a reference.
//
//go:nosplit
func closeHandle(hd *Handle) {
	switch hd.Kind {
	case KindChannel:
		releaseEndpoint(hd.Obj)
	case KindProcess:
		dropProcessRef(hd.Obj)
	case KindVMO:
		dropVMO(hd.Obj)
	case KindPort:
		releasePort(hd.Obj)
	case KindDevice, KindIRQ:
		releaseDevice(hd)
	}
	*hd = Handle{}
}

//go:nosplit
func dropProcessRef(i int32) {
	q := &Procs[i]
	q.refs--
	if q.refs == 0 && q.state == pZombie {
		q.state = pFree
	}
}

// addRef takes another reference to hd's object (for duplication).
//
//go:nosplit
func addRef(hd *Handle) {
	switch hd.Kind {
	case KindChannel:
		endpoints[hd.Obj].refs++
	case KindProcess:
		Procs[hd.Obj].refs++
	case KindVMO:
		vmos[hd.Obj].refs++
	case KindPort:
		ports[hd.Obj].refs++
	}
}
