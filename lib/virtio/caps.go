package virtio

import (
	"encoding/binary"
	"fmt"
)

// Configuration structure types in virtio's vendor capabilities.
const (
	capCommon = 1
	capNotify = 2
	capISR    = 3
	capDevice = 4
)

const (
	pciVendorCap  = 0x09
	pciStatus     = 0x06
	pciStatusCaps = 1 << 4
	pciCapPtr     = 0x34
	maxBARs       = 6
)

// Window locates one configuration structure: a range of a BAR.
type Window struct {
	BAR    int
	Offset uint32
	Length uint32
}

// Caps are the configuration structures a modern virtio-pci function
// advertises, found by walking its PCI capability list.
type Caps struct {
	Vendor, Device uint16
	Common         Window
	Notify         Window
	NotifyMult     uint32 // bytes between queues' notify addresses
	ISR            Window
	DeviceCfg      Window // absent (Length 0) for devices without one
}

// ParseCaps reads the capability list of a PCI configuration space. The
// bytes come from the device, so every pointer and length is checked: a
// list that loops, leaves the space or names a missing BAR is an error,
// never a panic.
func ParseCaps(cfg []byte) (Caps, error) {
	var c Caps
	if len(cfg) < 64 {
		return c, fmt.Errorf("virtio: config space of %d bytes", len(cfg))
	}
	c.Vendor = binary.LittleEndian.Uint16(cfg[0:])
	c.Device = binary.LittleEndian.Uint16(cfg[2:])
	if c.Vendor != VendorID || c.Device < modernIDBase {
		return c, ErrNotModern
	}
	if binary.LittleEndian.Uint16(cfg[pciStatus:])&pciStatusCaps == 0 {
		return c, ErrNotModern
	}
	var found [capDevice + 1]bool
	ptr := int(cfg[pciCapPtr]) &^ 3
	for seen := 0; ptr != 0; seen++ {
		if seen == 48 || ptr < 64 || ptr+2 > len(cfg) {
			return c, fmt.Errorf("virtio: bad capability pointer %#x", ptr)
		}
		if cfg[ptr] == pciVendorCap {
			if err := c.add(cfg, ptr, &found); err != nil {
				return c, err
			}
		}
		ptr = int(cfg[ptr+1]) &^ 3
	}
	if !found[capCommon] || !found[capNotify] || !found[capISR] {
		return c, ErrNotModern
	}
	return c, nil
}

// add records the vendor capability at ptr. Only the first structure of
// each type counts, as the specification asks drivers to prefer it.
func (c *Caps) add(cfg []byte, ptr int, found *[capDevice + 1]bool) error {
	if ptr+16 > len(cfg) || int(cfg[ptr+2]) < 16 {
		return fmt.Errorf("virtio: short capability at %#x", ptr)
	}
	typ := int(cfg[ptr+3])
	w := Window{BAR: int(cfg[ptr+4]), Offset: binary.LittleEndian.Uint32(cfg[ptr+8:]), Length: binary.LittleEndian.Uint32(cfg[ptr+12:])}
	if typ < capCommon || typ > capDevice || found[typ] {
		return nil
	}
	if w.BAR >= maxBARs || uint64(w.Offset)+uint64(w.Length) > 1<<32 {
		return fmt.Errorf("virtio: capability at %#x names BAR %d", ptr, w.BAR)
	}
	switch typ {
	case capCommon:
		if w.Length < commonSize {
			return fmt.Errorf("virtio: common configuration of %d bytes", w.Length)
		}
		c.Common = w
	case capNotify:
		if ptr+20 > len(cfg) || cfg[ptr+2] < 20 {
			return fmt.Errorf("virtio: short notify capability")
		}
		c.Notify, c.NotifyMult = w, binary.LittleEndian.Uint32(cfg[ptr+16:])
	case capISR:
		c.ISR = w
	case capDevice:
		c.DeviceCfg = w
	}
	found[typ] = true
	return nil
}
