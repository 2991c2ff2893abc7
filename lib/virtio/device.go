package virtio

import (
	"fmt"
	"sync"
	"time"
)

// Offsets in the common configuration structure (virtio 1.2 4.1.4.3).
const (
	comDeviceFeatureSel = 0
	comDeviceFeature    = 4
	comDriverFeatureSel = 8
	comDriverFeature    = 12
	comNumQueues        = 18
	comStatus           = 20
	comGeneration       = 21
	comQueueSelect      = 22
	comQueueSize        = 24
	comQueueEnable      = 28
	comQueueNotifyOff   = 30
	comQueueDesc        = 32
	comQueueDriver      = 40
	comQueueDevice      = 48
	commonSize          = 56
)

// window is one configuration structure: a range of a mapped BAR.
type window struct {
	r    Region
	base int
	n    int
}

func (w window) check(off, size int) int {
	if off < 0 || off+size > w.n {
		panic(fmt.Sprintf("virtio: access at %d+%d outside a %d-byte structure", off, size, w.n))
	}
	return w.base + off
}

func (w window) read8(off int) uint8       { return w.r.Read8(w.check(off, 1)) }
func (w window) read16(off int) uint16     { return w.r.Read16(w.check(off, 2)) }
func (w window) read32(off int) uint32     { return w.r.Read32(w.check(off, 4)) }
func (w window) write8(off int, v uint8)   { w.r.Write8(w.check(off, 1), v) }
func (w window) write16(off int, v uint16) { w.r.Write16(w.check(off, 2), v) }
func (w window) write32(off int, v uint32) { w.r.Write32(w.check(off, 4), v) }
func (w window) write64(off int, v uint64) { w.r.Write64(w.check(off, 8), v) }

// Device is a modern virtio-pci device being initialized or driven.
type Device struct {
	fn         Function
	caps       Caps
	common     window
	notify     window
	isr        window
	devcfg     window
	irq        Interrupt
	features   uint64
	notifyMult int

	mu      sync.Mutex
	started bool
	closed  bool
	done    chan struct{}
}

// Open resets the device behind fn and negotiates features: the result
// is what the device offers of want, plus VERSION_1, which is required.
// The caller then sets up queues and calls Start.
func Open(fn Function, want uint64) (*Device, error) {
	cfg, err := fn.Config()
	if err != nil {
		return nil, err
	}
	caps, err := ParseCaps(cfg)
	if err != nil {
		return nil, err
	}
	d := &Device{fn: fn, caps: caps, notifyMult: int(caps.NotifyMult), done: make(chan struct{})}
	bars := map[int]Region{}
	for _, p := range []struct {
		w   *window
		win Window
	}{{&d.common, caps.Common}, {&d.notify, caps.Notify}, {&d.isr, caps.ISR}, {&d.devcfg, caps.DeviceCfg}} {
		if p.win.Length == 0 {
			continue
		}
		r, ok := bars[p.win.BAR]
		if !ok {
			if r, err = fn.BAR(p.win.BAR); err != nil {
				return nil, fmt.Errorf("virtio: BAR %d: %w", p.win.BAR, err)
			}
			bars[p.win.BAR] = r
		}
		*p.w = window{r: r, base: int(p.win.Offset), n: int(p.win.Length)}
	}
	if err := d.reset(); err != nil {
		return nil, err
	}
	d.common.write8(comStatus, StatusAcknowledge|StatusDriver)
	if err := d.negotiate(want | FeatureVersion1); err != nil {
		d.common.write8(comStatus, StatusFailed)
		return nil, err
	}
	if d.irq, err = fn.Interrupt(); err != nil {
		return nil, err
	}
	return d, nil
}

// reset writes 0 to the status and waits for the device to read back 0.
func (d *Device) reset() error {
	d.common.write8(comStatus, 0)
	for i := 0; d.common.read8(comStatus) != 0; i++ {
		if i == 1000 {
			return fmt.Errorf("virtio: device did not reset")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func (d *Device) negotiate(want uint64) error {
	d.common.write32(comDeviceFeatureSel, 0)
	lo := d.common.read32(comDeviceFeature)
	d.common.write32(comDeviceFeatureSel, 1)
	hi := d.common.read32(comDeviceFeature)
	offered := uint64(hi)<<32 | uint64(lo)
	if offered&FeatureVersion1 == 0 {
		return ErrNotModern
	}
	d.features = offered & want
	d.common.write32(comDriverFeatureSel, 0)
	d.common.write32(comDriverFeature, uint32(d.features))
	d.common.write32(comDriverFeatureSel, 1)
	d.common.write32(comDriverFeature, uint32(d.features>>32))
	d.common.write8(comStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if d.common.read8(comStatus)&StatusFeaturesOK == 0 {
		return ErrFeatures
	}
	return nil
}

// Features returns the negotiated feature bits.
func (d *Device) Features() uint64 { return d.features }

// DeviceID returns the PCI device ID (0x1040 + virtio type).
func (d *Device) DeviceID() uint16 { return d.caps.Device }

// Queue sets up virtqueue index with at most size entries (a power of
// two), in DMA memory. It must be called before Start.
func (d *Device) Queue(index, size int) (*Queue, error) {
	if index >= int(d.common.read16(comNumQueues)) {
		return nil, ErrNoQueue
	}
	d.common.write16(comQueueSelect, uint16(index))
	max := int(d.common.read16(comQueueSize))
	if max == 0 {
		return nil, ErrNoQueue
	}
	for size > max || size&(size-1) != 0 {
		size /= 2
	}
	if size == 0 {
		return nil, fmt.Errorf("virtio: queue %d: device size %d", index, max)
	}
	mem, err := d.fn.AllocDMA(ringBytes(size))
	if err != nil {
		return nil, err
	}
	q := newQueue(uint16(index), size, mem)
	d.common.write16(comQueueSize, uint16(size))
	d.common.write64(comQueueDesc, mem.Phys+uint64(q.descOff))
	d.common.write64(comQueueDriver, mem.Phys+uint64(q.availOff))
	d.common.write64(comQueueDevice, mem.Phys+uint64(q.usedOff))
	off := int(d.common.read16(comQueueNotifyOff)) * d.notifyMult
	if off < 0 || off+2 > d.notify.n {
		return nil, fmt.Errorf("virtio: queue %d: notify offset %d outside the notify structure", index, off)
	}
	q.kick = func() { d.notify.write16(off, uint16(index)) }
	d.common.write16(comQueueEnable, 1)
	return q, nil
}

// Start tells the device the driver is ready (DRIVER_OK) and runs the
// interrupt loop: each interrupt, or every poll period if none comes,
// calls service, which collects completions from the queues.
func (d *Device) Start(poll time.Duration, service func()) {
	d.common.write8(comStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
	d.mu.Lock()
	d.started = true
	d.mu.Unlock()
	go d.loop(poll, service)
}

func (d *Device) loop(poll time.Duration, service func()) {
	defer close(d.done)
	for {
		fired, err := d.irq.Wait(poll)
		d.mu.Lock()
		closed := d.closed
		d.mu.Unlock()
		if closed || err != nil {
			return
		}
		if fired {
			d.isr.read8(0) // reading clears the cause and lowers INTx
			d.irq.Ack()
		}
		service()
	}
}

// Close resets the device, so it stops using the queues' memory, and
// stops the interrupt loop.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	started := d.started
	d.mu.Unlock()
	err := d.reset()
	if started {
		<-d.done
	}
	return err
}

// Config8 and Config64 read the device-specific configuration
// structure. Config64 retries until the configuration generation is
// stable, as a 64-bit field is read in two halves.
func (d *Device) Config8(off int) uint8 { return d.devcfg.read8(off) }

func (d *Device) Config64(off int) uint64 {
	for {
		g := d.common.read8(comGeneration)
		v := uint64(d.devcfg.read32(off)) | uint64(d.devcfg.read32(off+4))<<32
		if d.common.read8(comGeneration) == g {
			return v
		}
	}
}

// HasConfig reports whether the device-specific structure holds at least
// n bytes.
func (d *Device) HasConfig(n int) bool { return d.devcfg.n >= n }
