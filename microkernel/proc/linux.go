package proc

import (
	"syscall"
	"unsafe"

	"aramid/lib/abi"
	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// Linux processes and syscall ports: the kernel half of the Linux
// personality (docs/linux.md).
//
// A Linux process is created empty by linuxd (linux_create) and tied to a
// syscall port. Every system call it makes, except the few purely local
// ones the kernel answers itself (LocalLinux), parks the calling thread and
// queues it on the port; no message is built or allocated, because the
// message is the parked thread's own saved registers. linuxd takes the
// next call with port_wait, which copies those registers out in the fixed
// LinuxMsg layout (or, if it is already waiting, forward writes them into
// its buffer and ends the wait), and answers with a LinuxReply: a result,
// new registers, or the end of the thread. Both directions hand the CPU straight to the
// thread that was woken, so a forwarded call costs two address-space
// switches and no trip through the run queue.

const (
	maxPorts   = 4
	portKeyTag = 6 << 32
	ringSize   = 2 * sched.MaxThreads
)

// pending is one forwarded call or fault waiting to be taken.
type pending struct {
	tid               int32
	kind              uint32
	vector, err, addr uint64
}

// port is a syscall port: a ring of forwarded calls not yet taken.
type port struct {
	refs    int32 // handles; the last one closed kills the port's processes
	ring    [ringSize]pending
	head, n int32
	// waiter is the linuxd thread last seen waiting in port_wait, woken
	// without a scan of the thread table; waitMsg is where that wait takes
	// its message, which forward writes there directly. msg and rep are
	// the message and reply buffers of the last port_wait.
	waiter   int32
	waitMsg  userBuf
	msg, rep userBuf
}

// userBuf remembers the last check of a buffer that linuxd passes to
// every port_wait: while the process, the address and the page's entry
// are the same, the buffer needs no page-table walk (two per forwarded
// call, touching four page-table pages each).
type userBuf struct {
	proc int32
	addr uint64
	ref  mm.PageRef // the zero PageRef if the buffer crosses a page
}

// check reports whether n bytes at addr in process p may be read (or
// written, if write) by the kernel, as mm.Space.Access does, which it
// calls unless the last check of the same buffer still holds.
//
//go:nosplit
func (b *userBuf) check(p int32, addr, n uint64, write bool) bool {
	if b.proc == p && b.addr == addr && b.ref.Valid() {
		return true
	}
	s := space(p)
	if !s.Access(addr, n, write) {
		return false
	}
	b.proc, b.addr, b.ref = p, addr, mm.PageRef{}
	if addr/mm.PageSize == (addr+n-1)/mm.PageSize {
		b.ref = s.Ref(addr, write)
	}
	return true
}

var ports [maxPorts]port

// Scratch for the trap path, whose nosplit frames must stay small.
var (
	msgScratch  abi.LinuxMsg
	regsScratch abi.Regs
)

//go:nosplit
func portKey(i int32) uint64 { return portKeyTag | uint64(i) }

// IsLinux reports whether the running thread belongs to a Linux process.
//
//go:nosplit
func IsLinux() bool { return Procs[Current()].port != 0 }

// releasePort drops a handle to port i. With the last one, linuxd is gone:
// its processes can never be answered, so they are killed.
//
//go:nosplit
func releasePort(i int32) {
	pt := &ports[i]
	pt.refs--
	if pt.refs > 0 {
		return
	}
	killOrphans(i)
	*pt = port{}
}

// killOrphans is orphans, called through a function value: Kill closes
// handles, which may release a port, which kills. The recursion ends at
// once (Linux processes hold no ports), but the linker's nosplit check
// cannot see that; an indirect call makes it check each chain alone.
var killOrphans func(int32)

func init() { killOrphans = orphans }

// orphans kills the processes of port i.
//
//go:nosplit
func orphans(i int32) {
	for k := int32(1); k < MaxProcs; k++ {
		if Procs[k].state == pLive && Procs[k].port == i {
			Kill(k, StatusSignal|9)
		}
	}
}

// Forward queues the running Linux thread's system call on its port and
// parks the thread until linuxd answers.
//
//go:nosplit
func Forward(f *amd64.Frame, fx *amd64.FXArea) {
	forward(f, fx, pending{kind: abi.MsgSyscall})
}

//go:nosplit
func forward(f *amd64.Frame, fx *amd64.FXArea, m pending) {
	i := Procs[Current()].port
	pt := &ports[i]
	if pt.n == ringSize {
		Kill(Current(), StatusMemory)
		sched.Reschedule(f, fx)
		return
	}
	m.tid = sched.TID()
	woken := pt.waiter
	if deliver(i, f, &m) {
		sched.Forward(f, fx, portKey(i), woken)
		return
	}
	pt.ring[(pt.head+pt.n)%ringSize] = m
	pt.n++
	if !sched.WakeIfWaiting(woken, sched.WaitEvent, portKey(i)) {
		woken = sched.WakeOne(sched.WaitEvent, portKey(i))
	}
	sched.Forward(f, fx, portKey(i), woken)
}

// deliver hands the call m of the thread trapped in f straight to the
// linuxd thread waiting in port_wait on port i: it writes the message
// where that wait takes it and completes the wait, so that linuxd
// resumes with the call in hand instead of running port_wait again to
// take it from the ring (one trap fewer per forwarded call). It reports
// whether it did; if no thread waits, or its buffer is gone, the call is
// queued instead.
//
//go:nosplit
func deliver(i int32, f *amd64.Frame, m *pending) bool {
	pt := &ports[i]
	t := sched.Find(pt.waiter)
	if pt.n > 0 || t == nil || !t.Waits(sched.WaitEvent, portKey(i)) || pt.waitMsg.proc != t.Proc {
		return false
	}
	// The message is written in place, through the direct map, when the
	// buffer lies in one page, as linuxd's does; else it is built in
	// msgScratch and copied page by page.
	out := &msgScratch
	w, direct := pt.waitMsg.ref.Bytes(pt.waitMsg.addr)
	if direct = direct && uintptr(len(w)) >= unsafe.Sizeof(abi.LinuxMsg{}); direct {
		out = (*abi.LinuxMsg)(unsafe.Pointer(&w[0]))
	}
	out.Kind, out.TID, out.Cookie = m.kind, uint32(m.tid), Procs[Current()].cookie
	out.Vector, out.Err, out.Addr = m.vector, m.err, m.addr
	getRegs(&out.Regs, f)
	if !direct {
		src := (*[unsafe.Sizeof(abi.LinuxMsg{})]byte)(unsafe.Pointer(out))[:]
		if !copyTo(&Procs[t.Proc].Space, pt.waitMsg.addr, src) {
			return false
		}
	}
	return sched.Finish(pt.waiter, sched.WaitEvent, portKey(i), 0)
}

// copyTo copies src into another process's memory at va through the
// direct map, faulting its pages in; it reports false if the range is not
// writable there.
//
//go:nosplit
func copyTo(s *mm.Space, va uint64, src []byte) bool {
	for len(src) > 0 {
		w, ok := s.Window(va, true)
		if !ok {
			return false
		}
		k := copy(w, src)
		src, va = src[k:], va+uint64(k)
	}
	return true
}

// portCreate is port_create(): a new syscall port.
//
//go:nosplit
func portCreate(p int32) uint64 {
	for i := int32(1); i < maxPorts; i++ {
		if ports[i].refs == 0 {
			v := install(p, Handle{Kind: KindPort, Rights: RightRead | RightWrite | RightDup, Obj: i})
			if v == 0 {
				return neg(syscall.EMFILE)
			}
			ports[i] = port{refs: 1}
			return v
		}
	}
	return neg(syscall.ENOMEM)
}

// maxPortTimeout bounds port_wait's timeout so that its deadline cannot
// overflow: an hour.
const maxPortTimeout = 3600e9

// portWait is port_wait(port, msg, reply, timeout): answer reply's thread
// if reply is not 0, then take the next forwarded call into msg, blocking
// while there is none, for at most timeout ns if it is not 0 (then
// EAGAIN).
//
//go:nosplit
func portWait(p int32, f *amd64.Frame, fx *amd64.FXArea, h, msg, rep, timeout uint64) (uint64, bool) {
	hd, e := lookupHandle(p, h, KindPort, RightRead)
	if e != 0 {
		return neg(e), false
	}
	if !ports[hd.Obj].msg.check(p, msg, uint64(unsafe.Sizeof(abi.LinuxMsg{})), true) {
		return neg(syscall.EFAULT), false
	}
	var next int32
	if rep != 0 {
		tid, e := reply(p, hd.Obj, rep)
		if e != 0 {
			return neg(e), false
		}
		next = tid
		f.RDX = 0 // the wait restarts after blocking; it must not answer again
	}
	if take(hd.Obj, msg) {
		return 0, false
	}
	ports[hd.Obj].waiter, ports[hd.Obj].waitMsg = sched.TID(), ports[hd.Obj].msg
	deadline := int64(0)
	if timeout != 0 {
		deadline = clock.Nanotime() + int64(min(timeout, maxPortTimeout))
	}
	sched.BlockRestartUntil(f, fx, sched.WaitEvent, portKey(hd.Obj), deadline, neg(syscall.EAGAIN), next)
	return 0, true
}

// take copies the next live forwarded call of port i to msg (in the
// caller's space, already checked) and reports whether there was one.
//
//go:nosplit
func take(i int32, msg uint64) bool {
	pt := &ports[i]
	for pt.n > 0 {
		m := pt.ring[pt.head]
		pt.head = (pt.head + 1) % ringSize
		pt.n--
		t := sched.Find(m.tid)
		if t == nil || !t.AwaitsReply(portKey(i)) {
			continue // killed while queued
		}
		out := &msgScratch
		*out = abi.LinuxMsg{Kind: m.kind, TID: uint32(m.tid), Cookie: Procs[t.Proc].cookie, Vector: m.vector, Err: m.err, Addr: m.addr}
		getRegs(&out.Regs, &t.Frame)
		*(*abi.LinuxMsg)(mm.Ptr(uintptr(msg))) = *out
		return true
	}
	return false
}

// reply applies the LinuxReply at addr to the thread it names, which must
// be waiting on port i, and returns that thread's id.
//
//go:nosplit
func reply(p, i int32, addr uint64) (int32, syscall.Errno) {
	if !ports[i].rep.check(p, addr, uint64(unsafe.Sizeof(abi.LinuxReply{})), false) {
		return 0, syscall.EFAULT
	}
	r := (*abi.LinuxReply)(mm.Ptr(uintptr(addr)))
	t := sched.Find(int32(r.TID))
	if t == nil || !t.AwaitsReply(portKey(i)) {
		return 0, syscall.ESRCH
	}
	switch r.Action {
	case abi.ReplyReturn:
		t.Frame.RAX = r.Value
	case abi.ReplyRegs, abi.ReplyExec:
		regsScratch = r.Regs
		if !setRegs(&t.Frame, &regsScratch) {
			return 0, syscall.EINVAL
		}
		if r.Action == abi.ReplyExec {
			t.ResetFX()
		}
	case abi.ReplyExit:
		t.End()
		return 0, 0
	default:
		return 0, syscall.EINVAL
	}
	t.Resume()
	return int32(r.TID), 0
}

// portReply is port_reply(port, reply).
//
//go:nosplit
func portReply(p int32, h, rep uint64) uint64 {
	hd, e := lookupHandle(p, h, KindPort, RightRead)
	if e != 0 {
		return neg(e)
	}
	tid, e := reply(p, hd.Obj, rep)
	if e != 0 {
		return neg(e)
	}
	if tid != 0 {
		sched.Woke(tid) // linuxd's goroutine blocks next: the Linux thread runs
	}
	return 0
}

// getRegs copies f's registers to r field by field: a composite literal
// would be built on the stack and copied again.
//
//go:nosplit
func getRegs(r *abi.Regs, f *amd64.Frame) {
	r.RAX = f.RAX
	r.RBX = f.RBX
	r.RCX = f.RCX
	r.RDX = f.RDX
	r.RSI = f.RSI
	r.RDI = f.RDI
	r.RBP = f.RBP
	r.RSP = f.RSP
	r.R8 = f.R8
	r.R9 = f.R9
	r.R10 = f.R10
	r.R11 = f.R11
	r.R12 = f.R12
	r.R13 = f.R13
	r.R14 = f.R14
	r.R15 = f.R15
	r.RIP = f.RIP
	r.RFLAGS = f.RFLAGS
	r.FSBase = f.FSBase
}

// userFlags are the RFLAGS bits a user program may set: the arithmetic
// flags, DF and AC. IOPL, IF and the rest stay the kernel's.
const userFlags = 0x40cd5

// setRegs loads r into f. Addresses that IRETQ or WRMSR would fault on in
// ring 0 (outside the canonical lower half) are refused.
//
//go:nosplit
func setRegs(f *amd64.Frame, r *abi.Regs) bool {
	if r.RIP >= mm.UserTop || r.RSP > mm.UserTop || r.FSBase >= mm.UserTop {
		return false
	}
	f.RAX, f.RBX, f.RCX, f.RDX, f.RSI, f.RDI, f.RBP, f.RSP = r.RAX, r.RBX, r.RCX, r.RDX, r.RSI, r.RDI, r.RBP, r.RSP
	f.R8, f.R9, f.R10, f.R11, f.R12, f.R13, f.R14, f.R15 = r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15
	f.RIP, f.FSBase = r.RIP, r.FSBase
	f.RFLAGS = r.RFLAGS&userFlags | amd64.FlagIF | amd64.FlagReserved
	return true
}

// linuxCreate is linux_create(port, name, len, cookie): an empty Linux
// process whose calls go to the port.
//
//go:nosplit
func linuxCreate(p int32, h, name, n, cookie uint64) uint64 {
	hd, e := lookupHandle(p, h, KindPort, RightWrite)
	if e != 0 {
		return neg(e)
	}
	if n > 32 || !space(p).Access(name, n, false) {
		return neg(syscall.EFAULT)
	}
	i, e := newProcess(userBytes(name, n), DefaultLimit)
	if e != 0 {
		return neg(e)
	}
	Procs[i].Space.Reserve = LinuxReserve / mm.PageSize
	return adopt(p, i, hd.Obj, cookie)
}

// adopt ties new process i to port pt and gives p a handle to it that
// allows everything linuxd does to a Linux process.
//
//go:nosplit
func adopt(p, i, pt int32, cookie uint64) uint64 {
	q := &Procs[i]
	q.port, q.cookie = pt, cookie
	q.refs++
	v := install(p, Handle{Kind: KindProcess, Rights: RightRead | RightWrite | RightWait | RightTransfer | RightDup, Obj: i})
	if v == 0 {
		q.refs--
		Kill(i, StatusMemory)
		return neg(syscall.EMFILE)
	}
	return v
}

// linuxTarget resolves a handle to a live Linux process with rights.
//
//go:nosplit
func linuxTarget(p int32, h uint64, rights uint32) (int32, syscall.Errno) {
	hd, e := lookupHandle(p, h, KindProcess, rights)
	if e != 0 {
		return 0, e
	}
	if q := &Procs[hd.Obj]; q.state != pLive || q.port == 0 {
		return 0, syscall.ESRCH
	}
	return hd.Obj, 0
}

// processCopy is process_read and process_write: n bytes between buf in
// the caller and addr in a Linux process, page by page through the direct
// map. Protection is respected: writing a read-only page is EFAULT.
//
//go:nosplit
func processCopy(p int32, h, addr, buf, n uint64, write bool) uint64 {
	rights := uint32(RightRead)
	if write {
		rights = RightWrite
	}
	i, e := linuxTarget(p, h, rights)
	if e != 0 {
		return neg(e)
	}
	if !space(p).Access(buf, n, !write) || addr+n < addr {
		return neg(syscall.EFAULT)
	}
	for off := uint64(0); off < n; {
		w, ok := Procs[i].Space.Window(addr+off, write)
		if !ok {
			return neg(syscall.EFAULT)
		}
		local := userBytes(buf+off, n-off)
		var k int
		if write {
			k = copy(w, local)
		} else {
			k = copy(local, w)
		}
		off += uint64(k)
	}
	return n
}

// processVM is process_vm(process, op, addr, len, prot).
//
//go:nosplit
func processVM(p int32, h, op, addr, length, prot uint64) uint64 {
	i, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	s := &Procs[i].Space
	switch op {
	case abi.VMMap:
		flags := 0x22 // MAP_PRIVATE|MAP_ANONYMOUS
		if addr != 0 {
			flags |= 0x10 // MAP_FIXED
		}
		a, e := s.Mmap(addr, length, int(prot), flags)
		if e != 0 {
			return neg(e)
		}
		return a
	case abi.VMUnmap:
		e = s.Munmap(addr, length)
	case abi.VMProtect:
		e = s.Mprotect(addr, length, int(prot))
	case abi.VMReset:
		sched.KillOthers(i, int32(addr))
		s.Reset()
	default:
		e = syscall.EINVAL
	}
	return neg(e)
}

// threadStart is thread_start(process, regs, like): a new thread of a
// Linux process with the given registers, and the CPU mask of its thread
// like (Linux's clone keeps the caller's), or the process's if like is 0.
//
//go:nosplit
func threadStart(p int32, h, regs, like uint64) uint64 {
	i, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	mask := Procs[i].mask
	if like != 0 {
		lt := sched.Find(int32(like))
		if lt == nil || lt.Proc != i {
			return neg(syscall.ESRCH)
		}
		mask = lt.Mask()
	}
	if !space(p).Access(regs, uint64(unsafe.Sizeof(abi.Regs{})), false) {
		return neg(syscall.EFAULT)
	}
	r := &regsScratch
	*r = *(*abi.Regs)(mm.Ptr(uintptr(regs)))
	tid := sched.SpawnUser(i, Procs[i].Space.Root, 0, 0, mask)
	if tid < 0 {
		return neg(syscall.EAGAIN)
	}
	if t := sched.Find(tid); !setRegs(&t.Frame, r) {
		t.End()
		return neg(syscall.EINVAL)
	}
	return uint64(tid)
}

// linuxFork is linux_fork(process, tid, cookie, out): a copy-on-write copy
// of a Linux process whose thread tid is waiting for linuxd. The child's
// one thread is a copy of it, also waiting for linuxd's reply, which says
// how it returns from fork (its own stack and TLS, for clone).
//
//go:nosplit
func linuxFork(p int32, h, tid, cookie, out uint64) uint64 {
	pi, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	parent := &Procs[pi]
	t := sched.Find(int32(tid))
	if t == nil || t.Proc != pi || !t.AwaitsReply(portKey(parent.port)) {
		return neg(syscall.ESRCH)
	}
	if !space(p).Access(out, 4, true) {
		return neg(syscall.EFAULT)
	}
	i, ct, e := forkProcess(pi, &t.Frame, &t.FX, t.Mask())
	if e != 0 {
		return neg(e)
	}
	sched.Find(ct).AwaitReply(portKey(parent.port))
	v := adopt(p, i, parent.port, cookie)
	if int64(v) > 0 {
		put32(out, uint32(ct))
	}
	return v
}

// processKill is process_kill(process, status) for a Linux process.
//
//go:nosplit
func processKill(p int32, h, status uint64) uint64 {
	i, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	Kill(i, int64(status))
	return 0
}

// threadInterrupt is thread_interrupt(process, tid): thread tid of a
// Linux process goes to linuxd before it next runs user code, leaving a
// futex wait with EINTR (sched.Thread.Interrupt).
//
//go:nosplit
func threadInterrupt(p int32, h, tid uint64) uint64 {
	i, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	t := sched.Find(int32(tid))
	if t == nil || t.Proc != i {
		return neg(syscall.ESRCH)
	}
	t.Interrupt(neg(syscall.EINTR))
	return 0
}

// Interrupted sends the running thread, which an interrupt marked and
// which is about to run user code, to linuxd as a MsgInterrupt, with the
// number of the futex wait the interrupt ended, if it did.
//
//go:nosplit
func Interrupted(f *amd64.Frame, fx *amd64.FXArea) {
	call := sched.TakeInterrupt()
	if !IsLinux() {
		return
	}
	m := pending{kind: abi.MsgInterrupt}
	if call {
		m.vector, m.err = sysno.Futex, 1
	}
	forward(f, fx, m)
}

// processFutex is process_futex(process, addr, n): wake up to n threads of
// a Linux process waiting on the futex at addr.
//
//go:nosplit
func processFutex(p int32, h, addr, n uint64) uint64 {
	i, e := linuxTarget(p, h, RightWrite)
	if e != 0 {
		return neg(e)
	}
	return uint64(sched.Wake(sched.WaitFutex, futexKeyOf(i, addr), int(n)))
}
