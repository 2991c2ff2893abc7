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
		r, _ := write(p, a1, a2, a3, a4, a5)
		return r, false
	case SysChannelRead:
		return read(p, f, fx, a1, a2, a3, a4, a5, a6, 0)
	case SysChannelCall:
		return call(p, f, fx, a1, a2)
	case SysProcessSpawn:
		return spawnCall(p, a1, a2, a3), false
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
	switch f.RAX {
	case abi.SysPortCreate:
		return portCreate(p), false
	case abi.SysPortWait:
		return portWait(p, f, fx, a1, a2, a3)
	case abi.SysPortReply:
		return portReply(p, a1, a2), false
	case abi.SysLinuxCreate:
		return linuxCreate(p, a1, a2, a3, a4), false
	case abi.SysProcessRead, abi.SysProcessWrite:
		return processCopy(p, a1, a2, a3, a4, f.RAX == abi.SysProcessWrite), false
	case abi.SysProcessVM:
		return processVM(p, a1, a2, a3, a4, a5), false
	case abi.SysThreadStart:
		return threadStart(p, a1, a2), false
	case abi.SysProcessKill:
		return processKill(p, a1, a2), false
	case abi.SysLinuxFork:
		return linuxFork(p, a1, a2, a3, a4), false
	case abi.SysProcessFutex:
		return processFutex(p, a1, a2, a3), false
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
func channelCreate(p int32, out uint64) uint64 {
	if !space(p).Access(out, 8, true) {
		return neg(syscall.EFAULT)
	}
	a, b, ok := newChannel()
	if !ok {
		return neg(syscall.ENOMEM)
	}
	const rights = RightRead | RightWrite | RightTransfer | RightDup
	ha := install(p, Handle{Kind: KindChannel, Rights: rights, Obj: a})
	hb := install(p, Handle{Kind: KindChannel, Rights: rights, Obj: b})
	if ha == 0 || hb == 0 {
		if ha != 0 {
			closeHandle(&Procs[p].Handles[ha-1])
		} else {
			releaseEndpoint(a)
		}
		releaseEndpoint(b)
		return neg(syscall.EMFILE)
	}
	put32(out, uint32(ha))
	put32(out+4, uint32(hb))
	return 0
}

// write sends n bytes at buf and nh handles (uint32 values at hs) on
// channel handle h. The handles move into the message. It returns the id
// of a reader it woke, for hand-off.
//
//go:nosplit
func write(p int32, h, buf, n, hs, nh uint64) (uint64, int32) {
	hd, e := lookupHandle(p, h, KindChannel, RightWrite)
	if e != 0 {
		return neg(e), 0
	}
	if n > MaxMsg {
		return neg(syscall.EMSGSIZE), 0
	}
	if nh > MaxMsgHandles {
		return neg(syscall.E2BIG), 0
	}
	sp := space(p)
	if !sp.Access(buf, n, false) || !sp.Access(hs, nh*4, false) {
		return neg(syscall.EFAULT), 0
	}
	peer := endpoints[hd.Obj].peer
	if peer == 0 {
		return neg(syscall.EPIPE), 0
	}
	if endpoints[peer].count >= maxQueued {
		return neg(syscall.EAGAIN), 0
	}
	for i := uint64(0); i < nh; i++ {
		v := uint64(get32(hs + 4*i))
		if _, e := lookupHandle(p, v, KindNone, RightTransfer); e != 0 {
			return neg(e), 0
		}
		if v == h {
			return neg(syscall.EINVAL), 0 // a channel cannot carry its own handle
		}
		for j := uint64(0); j < i; j++ {
			if uint64(get32(hs+4*j)) == v {
				return neg(syscall.EINVAL), 0
			}
		}
	}
	m := allocMessage()
	if m == 0 {
		return neg(syscall.ENOMEM), 0
	}
	msg := &messages[m]
	msg.n, msg.nh = 0, int32(nh)
	if !fillMessage(msg, userBytes(buf, n)) {
		return neg(syscall.ENOMEM), 0
	}
	for i := uint64(0); i < nh; i++ {
		t := &Procs[p].Handles[get32(hs+4*i)-1]
		msg.handles[i] = *t
		*t = Handle{}
	}
	return 0, enqueue(peer, m)
}

// read receives the next message on channel handle h into buf (capacity
// bufCap) and handle values at hs (capacity hCap), storing the sizes at
// actual. It blocks while the channel is empty. A message that does not
// fit stays queued and the call returns EMSGSIZE with its sizes.
//
//go:nosplit
func read(p int32, f *amd64.Frame, fx *amd64.FXArea, h, buf, bufCap, hs, hCap, actual uint64, handoff int32) (uint64, bool) {
	hd, e := lookupHandle(p, h, KindChannel, RightRead)
	if e != 0 {
		return neg(e), false
	}
	sp := space(p)
	if !sp.Access(actual, 8, true) {
		return neg(syscall.EFAULT), false
	}
	ep := &endpoints[hd.Obj]
	if ep.head == 0 {
		if ep.peer == 0 {
			return neg(syscall.EPIPE), false
		}
		sched.BlockRestartOn(f, fx, sched.WaitEvent, endpointKey(hd.Obj), handoff)
		return 0, true
	}
	m := &messages[ep.head]
	put32(actual, uint32(m.n))
	put32(actual+4, uint32(m.nh))
	if uint64(m.n) > bufCap || uint64(m.nh) > hCap {
		return neg(syscall.EMSGSIZE), false
	}
	if !sp.Access(buf, uint64(m.n), true) || !sp.Access(hs, uint64(m.nh)*4, true) {
		return neg(syscall.EFAULT), false
	}
	free := 0
	for i := range Procs[p].Handles {
		if Procs[p].Handles[i].Kind == KindNone {
			free++
		}
	}
	if free < int(m.nh) {
		return neg(syscall.EMFILE), false
	}
	drainMessage(m, userBytes(buf, uint64(m.n)))
	for i := int32(0); i < m.nh; i++ {
		put32(hs+4*uint64(i), uint32(install(p, m.handles[i])))
	}
	dequeue(hd.Obj)
	return 0, false
}

// call writes a request and waits for the reply on the same channel. The
// arguments are in a struct at args: write buffer, length, handles, count;
// read buffer, capacity, handles, capacity; actual-sizes address. After the
// write, the thread's frame is rewritten into the equivalent channel_read,
// so waiting, waking and restarting are exactly those of a read; and the
// thread hands the CPU straight to the server thread it woke.
//
//go:nosplit
func call(p int32, f *amd64.Frame, fx *amd64.FXArea, h, args uint64) (uint64, bool) {
	if !space(p).Access(args, 9*8, false) {
		return neg(syscall.EFAULT), false
	}
	var a [9]uint64
	for i := range a {
		a[i] = get64(args + 8*uint64(i))
	}
	r, woken := write(p, h, a[0], a[1], a[2], a[3])
	if r != 0 {
		return r, false
	}
	f.RAX = SysChannelRead
	f.RDI, f.RSI, f.RDX, f.R10, f.R8, f.R9 = h, a[4], a[5], a[6], a[7], a[8]
	return read(p, f, fx, h, a[4], a[5], a[6], a[7], a[8], woken)
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
