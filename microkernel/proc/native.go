package proc

import (
	"syscall"

	"aramid/lib/abi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// Native system calls: Aramid's own, numbered above Linux's range
// (lib/abi, docs/native-abi.md).
const (
	NativeBase       = abi.NativeBase
	SysHandleClose   = abi.SysHandleClose
	SysHandleDup     = abi.SysHandleDup
	SysChannelCreate = abi.SysChannelCreate
	SysChannelWrite  = abi.SysChannelWrite
	SysChannelRead   = abi.SysChannelRead
	SysChannelCall   = abi.SysChannelCall
	SysProcessSpawn  = abi.SysProcessSpawn
	SysProcessWait   = abi.SysProcessWait
	SysVmoCreate     = abi.SysVmoCreate
	SysVmoMap        = abi.SysVmoMap
	SysProcessFork   = abi.SysProcessFork
	SysWaitMany      = abi.SysWaitMany
	SysVmoSize       = abi.SysVmoSize
	SysAffinity      = abi.SysAffinity
)

//go:nosplit
func neg(e syscall.Errno) uint64 { return -uint64(e) }

// Native handles a native system call from a user thread.
//
//go:nosplit
func Native(f *amd64.Frame, fx *amd64.FXArea) {
	p := Current()
	if p == 0 {
		f.RAX = neg(syscall.ENOSYS)
		return
	}
	r, parked := native(p, f, fx)
	if !parked {
		f.RAX = r
	}
}

//go:nosplit
func native(p int32, f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	a1, a2, a3, a4, a5, a6 := f.RDI, f.RSI, f.RDX, f.R10, f.R8, f.R9
	switch f.RAX {
	case SysHandleClose:
		hd, e := lookupHandle(p, a1, KindNone, 0)
		if e != 0 {
			return neg(e), false
		}
		closeHandle(hd)
		return 0, false
	case SysHandleDup:
		return dup(p, a1, uint32(a2)), false
	case SysChannelCreate:
		return channelCreate(p, a1), false
	case SysChannelWrite:
		return channelWrite(p, a1, a2, a3, a4, a5), false
	case SysChannelRead:
		return read(p, f, fx, a1, a2, a3, a4, a5, a6, 0)
	case SysChannelCall:
		return call(p, f, fx, a1, a2)
	case SysProcessSpawn:
		return spawnCall(p, a1, a2, a3, a4), false
	case SysProcessWait:
		return wait(p, f, fx, a1)
	case SysVmoCreate:
		return vmoCreate(p, a1), false
	case SysVmoMap:
		return vmoMap(p, a1, a2&2 != 0), false
	case SysProcessFork:
		return forkCall(p, f, fx, a1), false
	case SysVmoSize:
		hd, e := lookupHandle(p, a1, KindVMO, 0)
		if e != 0 {
			return neg(e), false
		}
		return uint64(vmos[hd.Obj].npages) * mm.PageSize, false
	case SysWaitMany:
		return waitMany(p, f, fx, a1, a2, int64(a3))
	case SysAffinity:
		return affinity(p, a1, a2, a3), false
	case abi.SysDeviceList, abi.SysDeviceMint, abi.SysDeviceConfig, abi.SysDeviceMapBAR,
		abi.SysDeviceIRQ, abi.SysInterruptAck, abi.SysDeviceDMA:
		return deviceCall(p, f.RAX, a1, a2, a3), false
	}
	return linuxdCalls(p, f, fx)
}

// linuxdCalls is linuxdCall, called through a function value so that the
// linker checks its nosplit chain (fork, kill) on its own: the trap
// stacks are far deeper than the 800 bytes it budgets for a chain.
var linuxdCalls = linuxdCall

// linuxdCall dispatches the calls that serve the Linux personality.
//
//go:nosplit
func linuxdCall(p int32, f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	a1, a2, a3, a4, a5 := f.RDI, f.RSI, f.RDX, f.R10, f.R8
	// port_wait, once per forwarded call, is tested before the switch,
	// which compiles to a jump table: a page of read-only data that the
	// address-space switch would make the call refill.
	if f.RAX == abi.SysPortWait {
		return portWait(p, f, fx, a1, a2, a3, a4)
	}
	switch f.RAX {
	case abi.SysPortCreate:
		return portCreate(p), false
	case abi.SysPortReply:
		return portReply(p, a1, a2), false
	case abi.SysLinuxCreate:
		return linuxCreate(p, a1, a2, a3, a4), false
	case abi.SysProcessRead, abi.SysProcessWrite:
		return processCopy(p, a1, a2, a3, a4, f.RAX == abi.SysProcessWrite), false
	case abi.SysProcessVM:
		return processVM(p, a1, a2, a3, a4, a5), false
	case abi.SysThreadStart:
		return threadStart(p, a1, a2, a3), false
	case abi.SysProcessKill:
		return processKill(p, a1, a2), false
	case abi.SysLinuxFork:
		return linuxFork(p, a1, a2, a3, a4), false
	case abi.SysProcessFutex:
		return processFutex(p, a1, a2, a3), false
	case abi.SysThreadInterrupt:
		return threadInterrupt(p, a1, a2), false
	}
	return neg(syscall.ENOSYS), false
}

//go:nosplit
func space(p int32) *mm.Space { return &Procs[p].Space }

//go:nosplit
func userBytes(addr, n uint64) []byte {
	return (*[1 << 30]byte)(mm.Ptr(uintptr(addr)))[:n:n]
}

//go:nosplit
func put32(addr uint64, v uint32) { *(*uint32)(mm.Ptr(uintptr(addr))) = v }

//go:nosplit
func get32(addr uint64) uint32 { return *(*uint32)(mm.Ptr(uintptr(addr))) }

//go:nosplit
func get64(addr uint64) uint64 { return *(*uint64)(mm.Ptr(uintptr(addr))) }

//go:nosplit
func dup(p int32, h uint64, rights uint32) uint64 {
	hd, e := lookupHandle(p, h, KindNone, RightDup)
	if e != 0 {
		return neg(e)
	}
	if rights&^hd.Rights != 0 {
		return neg(syscall.EACCES) // a duplicate can only have fewer rights
	}
	nh := *hd
	nh.Rights = rights
	v := install(p, nh)
	if v == 0 {
		return neg(syscall.EMFILE)
	}
	addRef(&nh)
	return v
}

//go:nosplit
func wait(p int32, f *amd64.Frame, fx *amd64.FXArea, h uint64) (uint64, bool) {
	hd, e := lookupHandle(p, h, KindProcess, RightWait)
	if e != 0 {
		return neg(e), false
	}
	q := &Procs[hd.Obj]
	if q.state == pZombie {
		return uint64(q.Status), false
	}
	sched.BlockRestart(f, fx, sched.WaitEvent, procKey(hd.Obj), 0, 0)
	return 0, true
}
