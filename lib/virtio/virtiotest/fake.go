// Package virtiotest is a fake modern virtio-pci device in Go, for host
// tests of package virtio and its drivers. It presents the PCI
// configuration space with virtio capabilities, a BAR holding the common,
// ISR, device and notify structures, DMA memory carved from one Go byte
// slice at made-up physical addresses, and an interrupt. Like hardware it
// reads requests from the rings in that memory, hands each to a Backend,
// and writes the used ring, on its own goroutine.
package virtiotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"aramid/lib/virtio"
)

// Seg is one buffer of a request as the device sees it.
type Seg struct {
	Data  []byte
	Write bool // device-writable
}

// Backend is the device-specific half of a fake device.
type Backend interface {
	// Process handles one request on queue q and returns how many bytes
	// it wrote. Returning false leaves the request queued (a receive
	// queue with nothing to deliver); the queue is retried on Poke.
	Process(q int, req []Seg) (written uint32, ok bool)
}

// Layout of the fake's BAR 4.
const (
	bar       = 4
	offCommon = 0x0000
	offISR    = 0x1000
	offDevice = 0x2000
	offNotify = 0x3000
	notifyMul = 4
	barSize   = 0x4000
	physBase  = 0x1_0000_0000
	arenaSize = 8 << 20
)

type queue struct {
	size, maxSize        uint16
	desc, driver, device uint64
	enabled              bool
	lastAvail, usedIdx   uint16
}

// Device is a fake virtio device. Its exported fields are set before the
// driver opens it.
type Device struct {
	backend  Backend
	id       uint16
	offered  uint64
	devcfg   []byte
	arena    []byte
	kicks    chan int
	pokes    chan struct{}
	irq      chan struct{}
	stop     chan struct{}
	stopOnce sync.Once

	mu         sync.Mutex
	next       int
	status     uint8
	isr        uint8
	dfsel      uint32
	drvsel     uint32
	driverFeat uint64
	qsel       uint16
	queues     []queue
	maxPending int
	acks       int
	err        error
}

// New returns a fake device with PCI device ID id, offering features,
// with the given device configuration bytes and nq queues of up to
// qmax entries each.
func New(id uint16, features uint64, devcfg []byte, nq, qmax int, b Backend) *Device {
	d := &Device{
		backend: b, id: id, offered: features, devcfg: devcfg,
		arena: make([]byte, arenaSize), kicks: make(chan int, 64), pokes: make(chan struct{}, 1),
		irq: make(chan struct{}, 1), stop: make(chan struct{}), queues: make([]queue, nq),
	}
	for i := range d.queues {
		d.queues[i].maxSize = uint16(qmax)
	}
	go d.run()
	return d
}

// Close stops the device goroutine.
func (d *Device) Close() { d.stopOnce.Do(func() { close(d.stop) }) }

// Err is the first protocol violation the device saw, if any.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// DriverFeatures returns the features the driver accepted.
func (d *Device) DriverFeatures() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.driverFeat
}

// Status returns the device status register.
func (d *Device) Status() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// MaxPending is the most requests the device ever found waiting on one
// queue at once: above 1 means the driver had several in flight.
func (d *Device) MaxPending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.maxPending
}

// Poke makes the device look at all its queues again, as if notified;
// it never blocks, so backends may poke each other.
func (d *Device) Poke() {
	select {
	case d.pokes <- struct{}{}:
	default:
	}
}

func (d *Device) run() {
	for {
		used := false
		select {
		case <-d.stop:
			return
		case q := <-d.kicks:
			used = d.process(q)
		case <-d.pokes:
			for q := range d.queues {
				used = d.process(q) || used
			}
		}
		if used {
			d.interrupt()
		}
	}
}

func (d *Device) interrupt() {
	d.mu.Lock()
	d.isr |= 1
	d.mu.Unlock()
	select {
	case d.irq <- struct{}{}:
	default:
	}
}

// process serves the available requests of queue qi and reports whether
// it used any.
func (d *Device) process(qi int) bool {
	d.mu.Lock()
	if qi >= len(d.queues) || !d.queues[qi].enabled || d.status&virtio.StatusDriverOK == 0 || d.err != nil {
		d.mu.Unlock()
		return false
	}
	q := d.queues[qi]
	d.mu.Unlock()
	avail := uint16(atomic.LoadUint32(d.word(q.driver)) >> 16)
	if p := int(avail - q.lastAvail); p > d.MaxPending() {
		d.mu.Lock()
		d.maxPending = p
		d.mu.Unlock()
	}
	used := false
	for q.lastAvail != avail {
		head := binary.LittleEndian.Uint16(d.mem(q.driver+4+2*uint64(q.lastAvail%q.size), 2))
		req, err := d.chain(&q, head)
		if err != nil {
			d.fail(err)
			return used
		}
		n, ok := d.backend.Process(qi, req)
		if !ok {
			break
		}
		e := d.mem(q.device+4+8*uint64(q.usedIdx%q.size), 8)
		binary.LittleEndian.PutUint32(e[0:], uint32(head))
		binary.LittleEndian.PutUint32(e[4:], n)
		q.usedIdx++
		q.lastAvail++
		atomic.StoreUint32(d.word(q.device), uint32(q.usedIdx)<<16)
		used = true
	}
	d.mu.Lock()
	if d.queues[qi].enabled {
		d.queues[qi].lastAvail, d.queues[qi].usedIdx = q.lastAvail, q.usedIdx
	}
	d.mu.Unlock()
	return used
}

// chain follows the descriptors from head, checking each as hardware
// would have to.
func (d *Device) chain(q *queue, head uint16) ([]Seg, error) {
	var req []Seg
	i := head
	for n := 0; ; n++ {
		if i >= q.size || n == int(q.size) {
			return nil, fmt.Errorf("descriptor chain from %d is bad at %d", head, i)
		}
		e := d.mem(q.desc+16*uint64(i), 16)
		addr := binary.LittleEndian.Uint64(e[0:])
		length := binary.LittleEndian.Uint32(e[8:])
		flags := binary.LittleEndian.Uint16(e[12:])
		if addr < physBase || addr-physBase+uint64(length) > arenaSize {
			return nil, fmt.Errorf("descriptor %d points outside DMA memory: %#x+%d", i, addr, length)
		}
		req = append(req, Seg{Data: d.mem(addr, int(length)), Write: flags&2 != 0})
		if flags&1 == 0 {
			return req, nil
		}
		i = binary.LittleEndian.Uint16(e[14:])
	}
}

func (d *Device) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
	d.status |= virtio.StatusNeedsReset
}

// mem returns n bytes of DMA memory at physical address pa.
func (d *Device) mem(pa uint64, n int) []byte {
	off := pa - physBase
	return d.arena[off : off+uint64(n) : off+uint64(n)]
}

func (d *Device) word(pa uint64) *uint32 { return (*uint32)(unsafe.Pointer(&d.mem(pa, 4)[0])) }

// Config implements virtio.Function: a PCI configuration space with the
// four virtio capabilities pointing into BAR 4.
func (d *Device) Config() ([]byte, error) {
	c := make([]byte, 256)
	binary.LittleEndian.PutUint16(c[0:], virtio.VendorID)
	binary.LittleEndian.PutUint16(c[2:], d.id)
	binary.LittleEndian.PutUint16(c[6:], 1<<4)
	c[0x34] = 0x40
	caps := []struct {
		at, typ, next, n int
		off, length      uint32
	}{
		{0x40, 1, 0x50, 16, offCommon, 0x38},
		{0x50, 3, 0x60, 16, offISR, 4},
		{0x60, 4, 0x70, 16, offDevice, uint32(len(d.devcfg))},
		{0x70, 2, 0, 20, offNotify, uint32(notifyMul * len(d.queues))},
	}
	for _, p := range caps {
		c[p.at], c[p.at+1], c[p.at+2], c[p.at+3], c[p.at+4] = 0x09, byte(p.next), byte(p.n), byte(p.typ), bar
		binary.LittleEndian.PutUint32(c[p.at+8:], p.off)
		binary.LittleEndian.PutUint32(c[p.at+12:], p.length)
	}
	binary.LittleEndian.PutUint32(c[0x70+16:], notifyMul)
	return c, nil
}

// BAR implements virtio.Function.
func (d *Device) BAR(i int) (virtio.Region, error) {
	if i != bar {
		return nil, errors.New("virtiotest: no such BAR")
	}
	return regs{d}, nil
}

// AllocDMA implements virtio.Function with page-aligned pieces of the
// arena.
func (d *Device) AllocDMA(size int) (virtio.Memory, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := (size + 4095) &^ 4095
	if d.next+n > arenaSize {
		return virtio.Memory{}, errors.New("virtiotest: out of DMA memory")
	}
	m := virtio.Memory{Bytes: d.arena[d.next : d.next+size : d.next+size], Phys: physBase + uint64(d.next)}
	d.next += n
	return m, nil
}

// Interrupt implements virtio.Function.
func (d *Device) Interrupt() (virtio.Interrupt, error) { return irq{d}, nil }

// Acks counts the driver's interrupt acknowledgements.
func (d *Device) Acks() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.acks
}

type irq struct{ d *Device }

func (i irq) Wait(timeout time.Duration) (bool, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-i.d.irq:
		return true, nil
	case <-t.C:
		return false, nil
	}
}

func (i irq) Ack() error {
	i.d.mu.Lock()
	i.d.acks++
	i.d.mu.Unlock()
	return nil
}

// Arena returns all of the fake's DMA memory, for tests that play a
// misbehaving device by writing rings directly.
func (d *Device) Arena() []byte { return d.arena }
