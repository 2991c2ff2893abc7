// Package device is the user-space side of Aramid's device grants
// (docs/devices.md): listing and minting PCI functions with init's
// resource handle, and a granted function as a virtio.Function — its
// configuration space, BARs mapped uncached, DMA memory and interrupt
// through the kernel's native calls.
package device

import (
	"errors"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/virtio"
)

func errno(e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// List returns the PCI functions the kernel found, given the resource
// handle.
func List(res ipc.Handle) ([]abi.DeviceInfo, error) {
	out := make([]abi.DeviceInfo, 32)
	r, _, e := syscall.RawSyscall(abi.SysDeviceList, uintptr(res), uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)))
	if e != 0 {
		return nil, e
	}
	return out[:min(int(r), len(out))], nil
}

// Mint makes a device handle for function index of List. There is one
// per function at a time.
func Mint(res ipc.Handle, index int) (ipc.Handle, error) {
	r, _, e := syscall.RawSyscall(abi.SysDeviceMint, uintptr(res), uintptr(index), 0)
	return ipc.Handle(r), errno(e)
}

// Function is a granted PCI function; it implements virtio.Function.
type Function struct {
	h ipc.Handle
}

// Open wraps device handle h.
func Open(h ipc.Handle) *Function { return &Function{h: h} }

// Config implements virtio.Function.
func (f *Function) Config() ([]byte, error) {
	b := make([]byte, 256)
	_, _, e := syscall.RawSyscall(abi.SysDeviceConfig, uintptr(f.h), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return b, errno(e)
}

// MapBAR maps memory BAR i of device handle h and returns its address
// and size.
func MapBAR(h ipc.Handle, i int) (uintptr, uint64, error) {
	var size uint64
	r, _, e := syscall.RawSyscall(abi.SysDeviceMapBAR, uintptr(h), uintptr(i), uintptr(unsafe.Pointer(&size)))
	return r, size, errno(e)
}

// BAR implements virtio.Function.
func (f *Function) BAR(i int) (virtio.Region, error) {
	addr, size, err := MapBAR(f.h, i)
	if err != nil {
		return nil, err
	}
	return &mmio{base: *(*unsafe.Pointer)(unsafe.Pointer(&addr)), size: int(size)}, nil
}

// DMA allocates physically contiguous memory for device handle h and
// returns its memory-object handle and physical address.
func DMA(h ipc.Handle, size int) (ipc.Handle, uint64, error) {
	var phys uint64
	r, _, e := syscall.RawSyscall(abi.SysDeviceDMA, uintptr(h), uintptr(size), uintptr(unsafe.Pointer(&phys)))
	return ipc.Handle(r), phys, errno(e)
}

// AllocDMA implements virtio.Function: the memory object stays mapped
// for the life of the process.
func (f *Function) AllocDMA(size int) (virtio.Memory, error) {
	h, phys, err := DMA(f.h, size)
	if err != nil {
		return virtio.Memory{}, err
	}
	b, err := ipc.MapVMO(h, size, ipc.ProtRead|ipc.ProtWrite)
	if err != nil {
		ipc.Close(h)
		return virtio.Memory{}, err
	}
	return virtio.Memory{Bytes: b, Phys: phys}, nil
}

// IRQ binds device handle h's interrupt and returns its handle.
func IRQ(h ipc.Handle) (ipc.Handle, error) {
	r, _, e := syscall.RawSyscall(abi.SysDeviceIRQ, uintptr(h), 0, 0)
	return ipc.Handle(r), errno(e)
}

// Interrupt implements virtio.Function.
func (f *Function) Interrupt() (virtio.Interrupt, error) {
	h, err := IRQ(f.h)
	if err != nil {
		return nil, err
	}
	return irq{h: []ipc.Handle{h}}, nil
}

type irq struct{ h []ipc.Handle }

// Wait waits on the interrupt object with wait_many.
func (i irq) Wait(timeout time.Duration) (bool, error) {
	_, err := ipc.WaitMany(i.h, timeout)
	if errors.Is(err, syscall.ETIMEDOUT) {
		return false, nil
	}
	return err == nil, err
}

func (i irq) Ack() error {
	_, _, e := syscall.RawSyscall(abi.SysInterruptAck, uintptr(i.h[0]), 0, 0)
	return errno(e)
}

// mmio is a BAR mapped uncached. Accesses are single loads and stores
// of their width. The accessors are not inlined, so the compiler can
// neither drop a read whose value is unused (reading a virtio ISR
// register is what clears it) nor merge stores.
type mmio struct {
	base unsafe.Pointer
	size int
}

func (m *mmio) at(off, n int) unsafe.Pointer {
	if off < 0 || off+n > m.size {
		panic("device: register access outside the BAR")
	}
	return unsafe.Add(m.base, off)
}

//go:noinline
func (m *mmio) Read8(off int) uint8 { return *(*uint8)(m.at(off, 1)) }

//go:noinline
func (m *mmio) Read16(off int) uint16 { return *(*uint16)(m.at(off, 2)) }

//go:noinline
func (m *mmio) Read32(off int) uint32 { return atomic.LoadUint32((*uint32)(m.at(off, 4))) }

//go:noinline
func (m *mmio) Write8(off int, v uint8) { *(*uint8)(m.at(off, 1)) = v }

//go:noinline
func (m *mmio) Write16(off int, v uint16) { *(*uint16)(m.at(off, 2)) = v }

//go:noinline
func (m *mmio) Write32(off int, v uint32) { atomic.StoreUint32((*uint32)(m.at(off, 4)), v) }

// Write64 writes two halves, low first, as virtio allows for its 64-bit
// fields; not every device model accepts 8-byte accesses.
func (m *mmio) Write64(off int, v uint64) {
	m.Write32(off, uint32(v))
	m.Write32(off+4, uint32(v>>32))
}
