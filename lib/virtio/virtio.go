// Package virtio drives modern virtio-pci devices (virtio 1.x, no legacy
// port I/O) from user space: it finds the configuration structures through
// the PCI capability list, negotiates features including VERSION_1, and
// runs split virtqueues in DMA memory.
//
// Everything the package touches on the machine is behind three small
// interfaces (Region, DMA, Interrupt, gathered by Function), so the same
// code runs on a device granted by Aramid's kernel (lib/device) and on the
// fake device of package virtiotest in host tests. Drivers for particular
// devices (blk, nic) build on Device and Queue.
package virtio

import (
	"errors"
	"time"
)

// Region is a device's memory-mapped register window (one BAR). Offsets
// are from the start of the BAR; accesses are single loads and stores of
// the given width.
type Region interface {
	Read8(off int) uint8
	Read16(off int) uint16
	Read32(off int) uint32
	Write8(off int, v uint8)
	Write16(off int, v uint16)
	Write32(off int, v uint32)
	Write64(off int, v uint64)
}

// Memory is a DMA buffer: bytes the driver touches, and the physical
// (bus) address at which the device sees the same bytes.
type Memory struct {
	Bytes []byte
	Phys  uint64
}

// Interrupt is a device's interrupt line as a driver sees it.
type Interrupt interface {
	// Wait blocks until the interrupt fires or timeout passes; it
	// reports whether it fired.
	Wait(timeout time.Duration) (bool, error)
	// Ack re-arms the interrupt once the driver has cleared its cause
	// in the device.
	Ack() error
}

// Function is one PCI function granted to a driver.
type Function interface {
	// Config returns the function's PCI configuration space (256 bytes).
	Config() ([]byte, error)
	// BAR maps base address register i.
	BAR(i int) (Region, error)
	// AllocDMA returns zeroed, physically contiguous memory of size
	// bytes that the device can address.
	AllocDMA(size int) (Memory, error)
	// Interrupt binds the function's interrupt.
	Interrupt() (Interrupt, error)
}

// Device status bits (virtio 1.2 section 2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 64
	StatusFailed      = 128
)

// FeatureVersion1 marks a device that follows virtio 1.x rather than the
// legacy interface; this package requires it.
const FeatureVersion1 = 1 << 32

// PCI identity of virtio devices: the vendor, and the modern device IDs
// (0x1040 + virtio device type).
const (
	VendorID     = 0x1af4
	DeviceIDNet  = 0x1041
	DeviceIDBlk  = 0x1042
	modernIDBase = 0x1040
)

// Errors.
var (
	ErrNotModern = errors.New("virtio: not a modern virtio-pci device")
	ErrFeatures  = errors.New("virtio: device refused the features")
	ErrQueueFull = errors.New("virtio: queue full")
	ErrNoQueue   = errors.New("virtio: no such queue")
)
