package proc

import (
	"aramid/lib/abi"
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
		wakeManyWaiters()
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
	wakeManyWaiters()
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
