// Package blk is the virtio-blk driver: a virtio.Device as a block device
// for vfsd (blockdev.Device and blockdev.Sizer). Requests go through a set
// of DMA bounce slots, so several are in flight at once; a large transfer
// is split into slot-sized requests issued together. Sync maps to the
// device's FLUSH.
package blk

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"aramid/lib/virtio"
)

// Feature bits (virtio 1.2 section 5.2.3).
const (
	featRO    = 1 << 5
	featFlush = 1 << 9
)

// Request types and status values (section 5.2.6).
const (
	typeIn    = 0
	typeOut   = 1
	typeFlush = 4
	statusOK  = 0
)

const (
	// SectorSize is the unit of virtio-blk addresses.
	SectorSize = 512
	slotData   = 64 << 10 // bytes one request moves
	maxSlots   = 16       // requests in flight; 16 x 64 KiB = the 1 MiB DMA limit
	hdrBytes   = 32       // request header (16) and status byte, per slot
	pollPeriod = 100 * time.Millisecond
)

// Device is a virtio-blk disk.
type Device struct {
	dev      *virtio.Device
	q        *virtio.Queue
	capacity int64
	ro       bool
	flush    bool
	hdrs     virtio.Memory
	data     virtio.Memory
	slots    []slot
	free     chan int
	rmw      sync.Mutex // serializes read-modify-write of partial sectors
}

type slot struct {
	done chan uint8 // the status byte, when the device completes
}

// Open initializes the virtio-blk function fn.
func Open(fn virtio.Function) (*Device, error) {
	dev, err := virtio.Open(fn, featRO|featFlush)
	if err != nil {
		return nil, err
	}
	d, err := setup(dev, fn)
	if err != nil {
		dev.Close()
		return nil, err
	}
	dev.Start(pollPeriod, d.complete)
	return d, nil
}

func setup(dev *virtio.Device, fn virtio.Function) (*Device, error) {
	if dev.DeviceID() != virtio.DeviceIDBlk || !dev.HasConfig(8) {
		return nil, fmt.Errorf("blk: device %#x is not a virtio-blk disk", dev.DeviceID())
	}
	q, err := dev.Queue(0, 4*maxSlots)
	if err != nil {
		return nil, err
	}
	n := min(maxSlots, q.Size()/3)
	if n == 0 {
		return nil, fmt.Errorf("blk: queue of %d entries", q.Size())
	}
	d := &Device{
		dev: dev, q: q, capacity: int64(dev.Config64(0)) * SectorSize,
		ro: dev.Features()&featRO != 0, flush: dev.Features()&featFlush != 0,
		slots: make([]slot, n), free: make(chan int, n),
	}
	if d.hdrs, err = fn.AllocDMA(n * hdrBytes); err != nil {
		return nil, err
	}
	if d.data, err = fn.AllocDMA(n * slotData); err != nil {
		return nil, err
	}
	for i := range d.slots {
		d.slots[i].done = make(chan uint8, 1)
		d.free <- i
	}
	return d, nil
}

// complete runs on the device's interrupt loop: it hands each finished
// request's status to the goroutine waiting for it.
func (d *Device) complete() {
	for _, u := range d.q.Collect(nil) {
		d.slots[u.Token].done <- d.hdrs.Bytes[u.Token*hdrBytes+16]
	}
}

// Size implements blockdev.Sizer.
func (d *Device) Size() (int64, error) { return d.capacity, nil }

// ReadOnly reports whether the device refuses writes (a read-only drive).
func (d *Device) ReadOnly() bool { return d.ro }

// Close resets the device.
func (d *Device) Close() error { return d.dev.Close() }

// Flush implements blockdev.Device: every completed write is durable when
// it returns.
func (d *Device) Flush() error {
	if !d.flush || d.ro {
		return nil
	}
	s := d.take()
	defer d.put(s)
	d.submit(s, typeFlush, 0, 0)
	return statusErr(<-d.slots[s].done)
}

// ReadAt implements io.ReaderAt. Reads past the end return io.EOF.
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if off >= d.capacity {
		return 0, io.EOF
	}
	n := len(p)
	if rest := d.capacity - off; int64(n) > rest {
		n = int(rest)
	}
	lo, hi := off&^(SectorSize-1), (off+int64(n)+SectorSize-1)&^(SectorSize-1)
	buf := p[:n]
	if lo != off || hi != off+int64(n) {
		buf = make([]byte, hi-lo)
	}
	if err := d.transfer(typeIn, buf, lo); err != nil {
		return 0, err
	}
	if &buf[0] != &p[0] {
		copy(p[:n], buf[off-lo:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt. Partial sectors are read, patched and
// written back.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	if d.ro {
		return 0, syscall.EROFS
	}
	if off < 0 || off+int64(len(p)) > d.capacity {
		return 0, syscall.ENOSPC
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off%SectorSize == 0 && len(p)%SectorSize == 0 {
		if err := d.transfer(typeOut, p, off); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	d.rmw.Lock()
	defer d.rmw.Unlock()
	lo, hi := off&^(SectorSize-1), (off+int64(len(p))+SectorSize-1)&^(SectorSize-1)
	buf := make([]byte, hi-lo)
	if err := d.transfer(typeIn, buf, lo); err != nil {
		return 0, err
	}
	copy(buf[off-lo:], p)
	if err := d.transfer(typeOut, buf, lo); err != nil {
		return 0, err
	}
	return len(p), nil
}

// transfer moves whole sectors between p and the disk at off, in
// slot-sized requests kept in flight together. When no slot is free it
// finishes its own oldest request first, so a transfer never waits on
// slots it holds itself.
func (d *Device) transfer(typ uint32, p []byte, off int64) error {
	type pending struct {
		s    int
		part []byte
	}
	var inflight []pending
	var first error
	finish := func() {
		r := inflight[0]
		inflight = inflight[1:]
		err := statusErr(<-d.slots[r.s].done)
		if err == nil && typ == typeIn {
			copy(r.part, d.data.Bytes[r.s*slotData:])
		}
		if first == nil {
			first = err
		}
		d.put(r.s)
	}
	for done := 0; done < len(p); {
		part := p[done:min(len(p), done+slotData)]
		s, ok := d.tryTake()
		if !ok && len(inflight) > 0 {
			finish()
			continue
		}
		if !ok {
			s = d.take()
		}
		if typ == typeOut {
			copy(d.data.Bytes[s*slotData:], part)
		}
		d.submit(s, typ, uint64(off+int64(done))/SectorSize, len(part))
		inflight = append(inflight, pending{s, part})
		done += len(part)
	}
	for len(inflight) > 0 {
		finish()
	}
	return first
}

// submit makes slot s's request available: header, data (n bytes, none
// for a flush) and status.
func (d *Device) submit(s int, typ uint32, sector uint64, n int) {
	h := d.hdrs.Bytes[s*hdrBytes:]
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint32(h[4:], 0)
	binary.LittleEndian.PutUint64(h[8:], sector)
	h[16] = 0xff
	hp := d.hdrs.Phys + uint64(s*hdrBytes)
	bufs := [3]virtio.Buf{{Phys: hp, Len: 16}}
	nb := 1
	if n > 0 {
		bufs[1] = virtio.Buf{Phys: d.data.Phys + uint64(s*slotData), Len: uint32(n), Write: typ == typeIn}
		nb++
	}
	bufs[nb] = virtio.Buf{Phys: hp + 16, Len: 1, Write: true}
	if err := d.q.Add(bufs[:nb+1], s); err != nil {
		panic("blk: " + err.Error()) // slots never exceed the queue
	}
	d.q.Kick()
}

func (d *Device) take() int { return <-d.free }
func (d *Device) put(s int) { d.free <- s }

func (d *Device) tryTake() (int, bool) {
	select {
	case s := <-d.free:
		return s, true
	default:
		return 0, false
	}
}

// statusErr turns a request's status byte into an error: a request the
// device failed is EIO to the caller, and the driver keeps serving.
func statusErr(st uint8) error {
	if st == statusOK {
		return nil
	}
	return fmt.Errorf("blk: device status %d: %w", st, syscall.EIO)
}
