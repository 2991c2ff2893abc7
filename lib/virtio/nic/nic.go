// Package nic is the virtio-net driver: a virtio.Device as netd's
// link.Device (MAC, MTU, Transmit, Start, Close). Receive buffers are
// posted in bulk and re-posted as frames are delivered; transmit copies
// each frame into one of a ring of DMA slots, so many frames are in flight.
package nic

import (
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"aramid/lib/virtio"
)

// Feature bits (virtio 1.2 section 5.1.3).
const featMAC = 1 << 5

const (
	hdrLen     = 12   // struct virtio_net_hdr with VERSION_1
	bufSize    = 2048 // one frame of up to 1514 bytes plus the header
	rxBufs     = 128
	txBufs     = 128
	mtu        = 1500
	pollPeriod = 100 * time.Millisecond
	queueRX    = 0
	queueTX    = 1
)

// Device is a virtio-net card.
type Device struct {
	dev    *virtio.Device
	rxq    *virtio.Queue
	txq    *virtio.Queue
	mac    net.HardwareAddr
	rx, tx virtio.Memory
	nrx    int
	txFree chan int

	mu      sync.Mutex
	deliver func([]byte)
	drops   uint64
}

// Open initializes the virtio-net function fn.
func Open(fn virtio.Function) (*Device, error) {
	dev, err := virtio.Open(fn, featMAC)
	if err != nil {
		return nil, err
	}
	d, err := setup(dev, fn)
	if err != nil {
		dev.Close()
		return nil, err
	}
	return d, nil
}

func setup(dev *virtio.Device, fn virtio.Function) (*Device, error) {
	if dev.DeviceID() != virtio.DeviceIDNet {
		return nil, fmt.Errorf("nic: device %#x is not a virtio-net card", dev.DeviceID())
	}
	d := &Device{dev: dev, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}}
	if dev.Features()&featMAC != 0 && dev.HasConfig(6) {
		for i := range d.mac {
			d.mac[i] = dev.Config8(i)
		}
	}
	var err error
	if d.rxq, err = dev.Queue(queueRX, rxBufs); err != nil {
		return nil, err
	}
	if d.txq, err = dev.Queue(queueTX, txBufs); err != nil {
		return nil, err
	}
	// Sent frames are reclaimed by the receive interrupts' service and by
	// Transmit when no slot is free, so their completions need not
	// interrupt: on a shared line each interrupt wakes every driver on it.
	d.txq.NoInterrupts()
	d.nrx = d.rxq.Size()
	if d.rx, err = fn.AllocDMA(d.nrx * bufSize); err != nil {
		return nil, err
	}
	if d.tx, err = fn.AllocDMA(d.txq.Size() * bufSize); err != nil {
		return nil, err
	}
	d.txFree = make(chan int, d.txq.Size())
	for i := 0; i < d.txq.Size(); i++ {
		d.txFree <- i
	}
	return d, nil
}

// MAC implements link.Device.
func (d *Device) MAC() net.HardwareAddr { return d.mac }

// MTU implements link.Device.
func (d *Device) MTU() int { return mtu }

// Drops counts frames dropped because every transmit slot was busy.
func (d *Device) Drops() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.drops
}

// Start implements link.Device: it posts every receive buffer, tells the
// device the driver is ready, and delivers frames from the interrupt loop.
func (d *Device) Start(rx func(frame []byte)) {
	d.mu.Lock()
	d.deliver = rx
	d.mu.Unlock()
	for i := 0; i < d.nrx; i++ {
		d.postRX(i)
	}
	d.dev.Start(pollPeriod, d.service)
	d.rxq.Kick()
}

func (d *Device) postRX(i int) {
	b := []virtio.Buf{{Phys: d.rx.Phys + uint64(i*bufSize), Len: bufSize, Write: true}}
	if err := d.rxq.Add(b, i); err != nil {
		panic("nic: " + err.Error()) // one buffer per descriptor, never more
	}
}

// service delivers received frames, re-posts their buffers and reclaims
// transmit slots.
func (d *Device) service() {
	d.reclaim()
	used := d.rxq.Collect(nil)
	if len(used) == 0 {
		return
	}
	d.mu.Lock()
	deliver := d.deliver
	d.mu.Unlock()
	for _, u := range used {
		n := min(int(u.Len), bufSize) // the length is the device's word
		if n > hdrLen && deliver != nil {
			off := u.Token * bufSize
			deliver(d.rx.Bytes[off+hdrLen : off+n])
		}
		d.postRX(u.Token)
	}
	d.rxq.Kick()
}

func (d *Device) reclaim() {
	for _, u := range d.txq.Collect(nil) {
		d.txFree <- u.Token
	}
}

// Transmit implements link.Device. With every slot in flight the frame
// is dropped, as a full hardware ring would.
func (d *Device) Transmit(frame []byte) error {
	if len(frame) > bufSize-hdrLen {
		return syscall.EMSGSIZE
	}
	s, ok := d.takeTX()
	if !ok {
		d.reclaim()
		if s, ok = d.takeTX(); !ok {
			d.mu.Lock()
			d.drops++
			d.mu.Unlock()
			return nil
		}
	}
	b := d.tx.Bytes[s*bufSize : (s+1)*bufSize]
	clear(b[:hdrLen])
	copy(b[hdrLen:], frame)
	if err := d.txq.Add([]virtio.Buf{{Phys: d.tx.Phys + uint64(s*bufSize), Len: uint32(hdrLen + len(frame))}}, s); err != nil {
		panic("nic: " + err.Error())
	}
	d.txq.Kick()
	return nil
}

func (d *Device) takeTX() (int, bool) {
	select {
	case s := <-d.txFree:
		return s, true
	default:
		return 0, false
	}
}

// Close implements link.Device: it resets the card, which stops delivery.
func (d *Device) Close() error { return d.dev.Close() }
