package proc

// Channels: the kernel's IPC. A channel is a pair of endpoints; a message
// (bytes and handles) written to one end queues at the other. The calls
// (channel_create, channel_write, channel_read, channel_call) are here
// with the queues they work on; channel_call hands the CPU straight to
// the server thread its write woke (docs/architecture.md, "The IPC
// path"). Linux system calls reach linuxd through syscall ports instead
// (linux.go).

import (
	"syscall"
	"unsafe"

	"aramid/lib/abi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// Channel limits.
const (
	MaxEndpoints   = 512
	MaxMessages    = 256
	MaxMsg         = abi.MaxMsg // bytes in one message
	MaxMsgHandles  = abi.MaxMsgHandles
	maxQueued      = 64 // messages waiting at one endpoint
	endpointKeyTag = 4 << 32
)

// endpoint is one end of a channel. Messages written to an endpoint queue
// at its peer.
type endpoint struct {
	refs       int32
	peer       int32 // 0 once the peer is gone
	head, tail int32 // queued messages (indexes into messages), 0 = none
	count      int32
	// reader is the thread that last blocked reading here: where
	// handOver looks first, before it scans the thread table.
	reader  int32
	watched bool // a wait_many may be waiting on it (waitmany.go)
}

// message is one queued message. Its bytes live in physical frames taken
// when it is written and freed when it is read or discarded, so the kernel
// reserves no memory for the largest possible message.
type message struct {
	next    int32
	used    bool
	n, nh   int32
	frames  [MaxMsg / mm.PageSize]uint64
	handles [MaxMsgHandles]Handle
}

// Slot 0 of both tables is unused so that 0 can mean "none".
var (
	endpoints [MaxEndpoints]endpoint
	messages  [MaxMessages]message
)

//go:nosplit
func endpointKey(e int32) uint64 { return endpointKeyTag | uint64(e) }

// newChannel allocates a connected pair of endpoints.
//
//go:nosplit
func newChannel() (int32, int32, bool) {
	var got [2]int32
	n := 0
	for i := int32(1); i < MaxEndpoints && n < 2; i++ {
		if endpoints[i].refs == 0 && (n == 0 || got[0] != i) {
			got[n] = i
			n++
		}
	}
	if n < 2 {
		return 0, 0, false
	}
	a, b := got[0], got[1]
	endpoints[a] = endpoint{refs: 1, peer: b}
	endpoints[b] = endpoint{refs: 1, peer: a}
	return a, b, true
}

// Endpoints whose last reference is being dropped. Closing an endpoint
// discards its queued messages, whose handles may name more endpoints: a
// work list instead of recursion, which the trap path cannot afford.
var (
	dropping  [MaxEndpoints]int32
	ndropping int
	draining  bool
)

// releaseEndpoint drops a reference; the last one closes the endpoint,
// discarding what was queued for it and waking readers at its peer (they
// then see EPIPE).
//
//go:nosplit
func releaseEndpoint(e int32) {
	dropping[ndropping] = e
	ndropping++
	if draining {
		return
	}
	draining = true
	for ndropping > 0 {
		ndropping--
		dropOne(dropping[ndropping])
	}
	draining = false
}

//go:nosplit
func dropOne(e int32) {
	ep := &endpoints[e]
	ep.refs--
	if ep.refs > 0 {
		return
	}
	for ep.head != 0 {
		m := &messages[ep.head]
		ep.head = m.next
		for i := int32(0); i < m.nh; i++ {
			switch h := &m.handles[i]; h.Kind {
			case KindChannel:
				dropping[ndropping] = h.Obj
				ndropping++
			case KindProcess:
				dropProcessRef(h.Obj)
			case KindVMO:
				dropVMO(h.Obj)
			case KindPort:
				releasePort(h.Obj)
			}
		}
		freeMessage(m)
	}
	if ep.peer != 0 {
		endpoints[ep.peer].peer = 0
		sched.Wake(sched.WaitEvent, endpointKey(ep.peer), sched.MaxThreads)
		wakeWatchers(&endpoints[ep.peer].watched)
	}
	*ep = endpoint{}
}

//go:nosplit
func allocMessage() int32 {
	for i := int32(1); i < MaxMessages; i++ {
		if !messages[i].used {
			messages[i].used = true
			messages[i].next = 0
			return i
		}
	}
	return 0
}

// enqueue appends message m at endpoint e and wakes one reader there. It
// returns the woken thread's id, or 0.
//
//go:nosplit
func enqueue(e, m int32) int32 {
	ep := &endpoints[e]
	if ep.tail != 0 {
		messages[ep.tail].next = m
	} else {
		ep.head = m
	}
	ep.tail = m
	ep.count++
	wakeWatchers(&ep.watched)
	return sched.WakeOne(sched.WaitEvent, endpointKey(e))
}

//go:nosplit
func dequeue(e int32) {
	ep := &endpoints[e]
	m := &messages[ep.head]
	ep.head = m.next
	if ep.head == 0 {
		ep.tail = 0
	}
	ep.count--
	freeMessage(m)
}

// fillMessage takes frames for n bytes and copies them from src.
//
//go:nosplit
func fillMessage(m *message, src []byte) bool {
	for off := 0; off < len(src); off += mm.PageSize {
		pa, ok := mm.Phys.Alloc()
		if !ok {
			freeMessage(m)
			return false
		}
		m.frames[off/mm.PageSize] = pa
		m.n = int32(off + copy(framePage(pa), src[off:]))
	}
	m.n = int32(len(src))
	return true
}

// drainMessage copies the message's bytes to dst.
//
//go:nosplit
func drainMessage(m *message, dst []byte) {
	for off := 0; off < len(dst); off += mm.PageSize {
		copy(dst[off:], framePage(m.frames[off/mm.PageSize]))
	}
}

//go:nosplit
func freeMessage(m *message) {
	for i := 0; i < int(m.n+mm.PageSize-1)/mm.PageSize; i++ {
		mm.Phys.Free(m.frames[i])
	}
	m.n, m.nh = 0, 0
	m.used = false
}

//go:nosplit
func framePage(pa uint64) []byte {
	return (*[mm.PageSize]byte)(mm.Ptr(mm.PhysToVirt(pa)))[:]
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
	if tid := handOverCall(p, peer, buf, n, hs, nh); tid != 0 {
		return 0, tid
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

// handOver hands the message that process p writes (n bytes at buf, nh
// handles at hs, all checked) straight to the thread blocked reading at
// endpoint e, if nothing is queued there: it writes the bytes, the handle
// values and the sizes where that thread's channel_read takes them,
// through the direct map, and completes the read, so the reader resumes
// with the message instead of running channel_read again to take it from
// the queue. That is one trap fewer per message, no frames taken for it
// and one copy instead of two. It returns the reader's thread id, or 0
// when the message is to be queued: no reader, or one whose read would
// not take it as it is (that reader restarts and sees why).
//
//go:nosplit
func handOver(p, e int32, buf, n, hs, nh uint64) int32 {
	if endpoints[e].head != 0 {
		return 0
	}
	key := endpointKey(e)
	tid := endpoints[e].reader
	if t := sched.Find(tid); t == nil || !t.Waits(sched.WaitEvent, key) {
		tid = sched.Waiter(sched.WaitEvent, key)
	}
	t := sched.Find(tid)
	if t == nil || t.Frame.RAX != SysChannelRead {
		return 0
	}
	r, rf := t.Proc, &t.Frame // rf holds the read's arguments
	if hd, err := lookupHandle(r, rf.RDI, KindChannel, RightRead); err != 0 || hd.Obj != e {
		return 0
	}
	rs := &Procs[r].Space
	if n > rf.RDX || nh > rf.R8 || !roomFor(r, int32(nh)) || !rs.Access(rf.R10, nh*4, true) {
		return 0
	}
	// The sizes and bytes are copied before anything is committed: if
	// either range is not writable the message is queued after all, and
	// the reader's own read fails on it as it would have.
	sizes := [2]uint32{uint32(n), uint32(nh)}
	if !copyTo(rs, rf.R9, (*[8]byte)(unsafe.Pointer(&sizes))[:]) || !copyTo(rs, rf.RSI, userBytes(buf, n)) ||
		!sched.Finish(tid, sched.WaitEvent, key, 0) {
		return 0
	}
	vals := &handOverVals
	for i := uint64(0); i < nh; i++ {
		hd := &Procs[p].Handles[get32(hs+4*i)-1]
		vals[i] = uint32(install(r, *hd))
		*hd = Handle{}
	}
	copyTo(rs, rf.R10, (*[4 * MaxMsgHandles]byte)(unsafe.Pointer(vals))[:4*nh])
	return tid
}

// handOverCall is handOver, called through a function value so that the
// linker checks its nosplit chain (page faults in the reader's space) apart
// from write's callers (docs/runtime-hosting.md).
var handOverCall = handOver

// handOverVals is where handOver collects the reader's handle values:
// a global rather than a stack array, which the trap path's nosplit
// budget cannot afford (docs/runtime-hosting.md); it is used under the
// kernel lock.
var handOverVals [MaxMsgHandles]uint32

// roomFor reports whether p's handle table has n free slots.
//
//go:nosplit
func roomFor(p int32, n int32) bool {
	for i := range Procs[p].Handles {
		if n <= 0 {
			break
		}
		if Procs[p].Handles[i].Kind == KindNone {
			n--
		}
	}
	return n <= 0
}

// channelWrite is channel_write: write, and a reader it wakes runs when
// the writer next blocks (sched.Woke). Not inlined, to keep Native's
// frame within the trap path's nosplit budget.
//
//go:nosplit
//go:noinline
func channelWrite(p int32, h, buf, n, hs, nh uint64) uint64 {
	r, woken := write(p, h, buf, n, hs, nh)
	if woken != 0 {
		sched.Woke(woken)
	}
	return r
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
		ep.reader = sched.TID()
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
	if !roomFor(p, m.nh) {
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
