package virtio

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Descriptor flags.
const (
	descNext  = 1
	descWrite = 2
)

// availNoInterrupt is the driver's flag in the available ring
// (VIRTQ_AVAIL_F_NO_INTERRUPT): it needs no interrupt when the device
// uses a buffer.
const availNoInterrupt = 1

// usedNoNotify is the device's flag in the used ring (VIRTQ_USED_F_NO_NOTIFY):
// it is still working through the queue and needs no notification.
const usedNoNotify = 1

// Buf is one buffer of a request: its physical address and length, and
// whether the device writes it (device-readable otherwise).
type Buf struct {
	Phys  uint64
	Len   uint32
	Write bool
}

// Used is one completed request: the token given to Add and the number of
// bytes the device says it wrote. The length is device-supplied; a driver
// clamps it to its buffer before use.
type Used struct {
	Token int
	Len   uint32
}

// Queue is a split virtqueue (virtio 1.2 section 2.7) in DMA memory:
// descriptor table, driver ("available") ring and device ("used") ring.
// The free list and each request's chain are kept in Go memory, so
// nothing the device writes can corrupt them; from the device the driver
// reads only used-ring entries, and checks each one.
type Queue struct {
	index              uint16
	size               int
	mem                []byte
	descOff, availOff  int
	usedOff            int
	kick               func()
	mu                 sync.Mutex
	next               []uint16 // chain links of the descriptors, as written
	free               uint16   // head of the free list
	nfree              int
	availIdx, lastUsed uint16
	availFlags         uint16 // availNoInterrupt, or 0
	heads              []head // by head descriptor
	badUsed            uint64
}

type head struct {
	token int
	n     uint16 // descriptors in the chain; 0 when not in flight
}

// ringBytes is the DMA memory a queue of size entries needs.
func ringBytes(size int) int {
	return usedOffset(size) + 6 + 8*size
}

func usedOffset(size int) int { return (16*size + 6 + 2*size + 3) &^ 3 }

func newQueue(index uint16, size int, mem Memory) *Queue {
	q := &Queue{
		index: index, size: size, mem: mem.Bytes,
		availOff: 16 * size, usedOff: usedOffset(size),
		next: make([]uint16, size), heads: make([]head, size), nfree: size,
	}
	for i := range q.next {
		q.next[i] = uint16(i + 1)
	}
	return q
}

// Size is the number of descriptors.
func (q *Queue) Size() int { return q.size }

// Free is the number of descriptors not in flight.
func (q *Queue) Free() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.nfree
}

// BadUsed counts used-ring entries the device returned that named no
// request in flight; they are ignored.
func (q *Queue) BadUsed() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.badUsed
}

// Add makes a request of bufs available to the device, remembered by
// token. It does not notify the device: call Kick after one or more Adds.
func (q *Queue) Add(bufs []Buf, token int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(bufs) == 0 || len(bufs) > q.nfree {
		return ErrQueueFull
	}
	first := q.free
	d := first
	for i, b := range bufs {
		flags := uint16(0)
		if b.Write {
			flags |= descWrite
		}
		if i < len(bufs)-1 {
			flags |= descNext
		}
		e := q.mem[q.descOff+16*int(d):]
		binary.LittleEndian.PutUint64(e[0:], b.Phys)
		binary.LittleEndian.PutUint32(e[8:], b.Len)
		binary.LittleEndian.PutUint16(e[12:], flags)
		binary.LittleEndian.PutUint16(e[14:], q.next[d])
		if i < len(bufs)-1 {
			d = q.next[d]
		}
	}
	q.free = q.next[d]
	q.nfree -= len(bufs)
	q.heads[first] = head{token: token, n: uint16(len(bufs))}
	slot := q.availOff + 4 + 2*int(q.availIdx%uint16(q.size))
	binary.LittleEndian.PutUint16(q.mem[slot:], first)
	q.availIdx++
	// Publishing the index (with the flags) after the ring entry and
	// descriptors is the barrier the device relies on.
	atomic.StoreUint32(q.word(q.availOff), uint32(q.availIdx)<<16|uint32(q.availFlags))
	return nil
}

// NoInterrupts asks the device not to interrupt when it has used this
// queue's buffers, from the next Add on: for a queue the driver collects
// from when it needs to anyway (a transmit queue, whose slots are
// reclaimed when the receive queue interrupts or when none is free). It
// is a hint; the device may still interrupt.
func (q *Queue) NoInterrupts() {
	q.mu.Lock()
	q.availFlags = availNoInterrupt
	q.mu.Unlock()
}

// Kick notifies the device that the queue has new requests, unless the
// device has said in the used ring that it needs no notification: it
// then finds them itself (it looks at the ring again before it asks for
// notifications again). A notification is a register write that under
// QEMU's TCG runs the device's emulation in the vCPU; QEMU's virtio-net
// asks for none on its receive queue while it has buffers, nor on its
// transmit queue while a flush is pending (docs/performance.md). Add's
// atomic store of the index orders it before this load, as the
// specification requires (virtio 1.2 section 2.7.13).
func (q *Queue) Kick() {
	if atomic.LoadUint32(q.word(q.usedOff))&usedNoNotify != 0 {
		return
	}
	q.kick()
}

// Collect appends the requests the device has completed since the last
// call to dst and returns it; their descriptors are free again.
func (q *Queue) Collect(dst []Used) []Used {
	q.mu.Lock()
	defer q.mu.Unlock()
	idx := uint16(atomic.LoadUint32(q.word(q.usedOff)) >> 16)
	if int(idx-q.lastUsed) > q.size {
		q.badUsed++ // the device claims more than it was given
		idx = q.lastUsed + uint16(q.size)
	}
	for ; q.lastUsed != idx; q.lastUsed++ {
		e := q.mem[q.usedOff+4+8*int(q.lastUsed%uint16(q.size)):]
		id := binary.LittleEndian.Uint32(e[0:])
		n := binary.LittleEndian.Uint32(e[4:])
		if id >= uint32(q.size) || q.heads[id].n == 0 {
			q.badUsed++
			continue
		}
		h := q.heads[id]
		q.heads[id] = head{}
		tail := uint16(id)
		for i := uint16(1); i < h.n; i++ {
			tail = q.next[tail]
		}
		q.next[tail] = q.free
		q.free = uint16(id)
		q.nfree += int(h.n)
		dst = append(dst, Used{Token: h.token, Len: n})
	}
	return dst
}

// word returns the 32-bit word at off in the ring memory, for the atomic
// accesses that order the driver's and the device's views.
func (q *Queue) word(off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&q.mem[off]))
}
