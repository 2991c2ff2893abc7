package virtiotest

import (
	"encoding/binary"
	"fmt"

	"aramid/lib/virtio"
)

// regs is the fake's BAR 4: every access is decoded by offset and width,
// as the device's register logic would.
type regs struct{ d *Device }

func (r regs) Read8(off int) uint8   { return uint8(r.read(off, 1)) }
func (r regs) Read16(off int) uint16 { return uint16(r.read(off, 2)) }
func (r regs) Read32(off int) uint32 { return uint32(r.read(off, 4)) }

func (r regs) Write8(off int, v uint8)   { r.write(off, 1, uint64(v)) }
func (r regs) Write16(off int, v uint16) { r.write(off, 2, uint64(v)) }
func (r regs) Write32(off int, v uint32) { r.write(off, 4, uint64(v)) }
func (r regs) Write64(off int, v uint64) { r.write(off, 8, v) }

func (r regs) read(off, size int) uint64 {
	d := r.d
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case off >= offDevice && off+size <= offDevice+len(d.devcfg):
		b := make([]byte, 8)
		copy(b, d.devcfg[off-offDevice:off-offDevice+size])
		return binary.LittleEndian.Uint64(b)
	case off == offISR && size == 1:
		v := d.isr
		d.isr = 0
		return uint64(v)
	case off >= offCommon && off < offCommon+0x38:
		return d.readCommon(off-offCommon, size)
	}
	d.violation("read of %d bytes at %#x", size, off)
	return 0
}

func (d *Device) readCommon(off, size int) uint64 {
	q := d.selected()
	switch {
	case off == 4 && size == 4:
		return d.offered >> (32 * d.dfsel) & 0xffffffff
	case off == 18 && size == 2:
		return uint64(len(d.queues))
	case off == 20 && size == 1:
		return uint64(d.status)
	case off == 21 && size == 1:
		return 0
	case off == 24 && size == 2 && q != nil:
		return uint64(q.maxSize)
	case off == 28 && size == 2 && q != nil:
		return b2u(q.enabled)
	case off == 30 && size == 2:
		return uint64(d.qsel)
	}
	d.violation("common read of %d bytes at %d", size, off)
	return 0
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (r regs) write(off, size int, v uint64) {
	d := r.d
	if off >= offNotify && off < offNotify+notifyMul*len(d.queues) && size == 2 {
		if (off-offNotify)/notifyMul != int(v) {
			d.mu.Lock()
			d.violation("queue %d notified at %#x", v, off)
			d.mu.Unlock()
			return
		}
		d.kicks <- int(v)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if off >= offCommon && off < offCommon+0x38 {
		d.writeCommon(off-offCommon, size, v)
		return
	}
	d.violation("write of %d bytes at %#x", size, off)
}

func (d *Device) writeCommon(off, size int, v uint64) {
	q := d.selected()
	switch {
	case off == 0 && size == 4:
		d.dfsel = uint32(v) & 1
	case off == 8 && size == 4:
		d.drvsel = uint32(v) & 1
	case off == 12 && size == 4:
		sh := 32 * d.drvsel
		d.driverFeat = d.driverFeat&^(0xffffffff<<sh) | v<<sh
	case off == 20 && size == 1:
		d.setStatus(uint8(v))
	case off == 22 && size == 2:
		d.qsel = uint16(v)
	case q != nil && q.enabled && off >= 24:
		d.violation("queue %d changed while enabled", d.qsel)
	case off == 24 && size == 2 && q != nil:
		if v == 0 || v > uint64(q.maxSize) || v&(v-1) != 0 {
			d.violation("queue size %d", v)
		}
		q.size = uint16(v)
	case off == 28 && size == 2 && q != nil:
		q.enabled = v == 1
	case off == 32 && size == 8 && q != nil:
		q.desc = v
	case off == 40 && size == 8 && q != nil:
		q.driver = v
	case off == 48 && size == 8 && q != nil:
		q.device = v
	default:
		d.violation("common write of %d bytes at %d", size, off)
	}
}

// setStatus applies a status write: 0 resets the device; FEATURES_OK is
// refused if the driver accepted features not offered or left out
// VERSION_1.
func (d *Device) setStatus(v uint8) {
	if v == 0 {
		d.status, d.driverFeat, d.isr = 0, 0, 0
		for i := range d.queues {
			d.queues[i] = queue{maxSize: d.queues[i].maxSize}
		}
		return
	}
	if v&virtio.StatusFeaturesOK != 0 && d.status&virtio.StatusFeaturesOK == 0 {
		if d.driverFeat&^d.offered != 0 || d.driverFeat&virtio.FeatureVersion1 == 0 {
			v &^= virtio.StatusFeaturesOK
		}
	}
	d.status = v
}

func (d *Device) selected() *queue {
	if int(d.qsel) < len(d.queues) {
		return &d.queues[d.qsel]
	}
	return nil
}

// violation records a register access no correct driver makes. The
// caller holds d.mu.
func (d *Device) violation(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("virtiotest: "+format, args...)
	}
}
