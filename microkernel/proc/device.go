package proc

import (
	"syscall"
	"unsafe"

	"aramid/lib/abi"
	"aramid/microkernel/irq"
	"aramid/microkernel/mm"
	"aramid/microkernel/pci"
	"aramid/microkernel/sched"
	"aramid/microkernel/smp"
)

// Device grants (docs/devices.md). init holds the resource handle, from
// which it mints one device handle per PCI function; a device handle, and
// nothing else, lets its holder map that function's memory BARs
// uncached, bind its interrupt to a waitable object, and allocate DMA
// memory. Handle objects are indexes into pci.Functions.

// maxBARBytes bounds one BAR mapping (page-table cost); virtio BARs are
// a few pages.
const maxBARBytes = 16 << 20

// device is the kernel's state of one PCI function.
type device struct {
	held    bool // a device handle exists
	bound   bool // an interrupt handle exists
	pending bool // the interrupt fired and is not acknowledged yet
	watched bool // a wait_many may be waiting on it (waitmany.go)
}

var devices [pci.MaxFunctions]device

// ResourceHandle is the handle the kernel gives init at start.
func ResourceHandle() Handle { return Handle{Kind: KindResource} }

//go:nosplit
func deviceCall(p int32, nr, a1, a2, a3 uint64) uint64 {
	if nr == abi.SysDeviceList || nr == abi.SysDeviceMint {
		if _, e := lookupHandle(p, a1, KindResource, 0); e != 0 {
			return neg(e)
		}
		if nr == abi.SysDeviceList {
			return deviceList(p, a2, a3)
		}
		return deviceMint(p, a2)
	}
	if nr == abi.SysInterruptAck {
		hd, e := lookupHandle(p, a1, KindIRQ, 0)
		if e != 0 {
			return neg(e)
		}
		ackIRQ(hd.Obj)
		return 0
	}
	hd, e := lookupHandle(p, a1, KindDevice, 0)
	if e != 0 {
		return neg(e)
	}
	switch nr {
	case abi.SysDeviceConfig:
		if a3 > 256 {
			return neg(syscall.EINVAL)
		}
		if !space(p).Access(a2, a3, true) {
			return neg(syscall.EFAULT)
		}
		pci.ReadConfig(int(hd.Obj), userBytes(a2, a3))
		return 0
	case abi.SysDeviceMapBAR:
		return mapBAR(p, hd.Obj, a2, a3)
	case abi.SysDeviceIRQ:
		return bindIRQ(p, hd.Obj)
	case abi.SysDeviceDMA:
		return dmaAlloc(p, a2, a3)
	}
	return neg(syscall.ENOSYS)
}

//go:nosplit
func deviceList(p int32, out, n uint64) uint64 {
	const size = uint64(unsafe.Sizeof(abi.DeviceInfo{}))
	n = min(n, uint64(pci.Count))
	if !space(p).Access(out, n*size, true) {
		return neg(syscall.EFAULT)
	}
	for i := uint64(0); i < n; i++ {
		f := &pci.Functions[i]
		d := (*abi.DeviceInfo)(mm.Ptr(uintptr(out + i*size)))
		*d = abi.DeviceInfo{Bus: f.Bus, Dev: f.Dev, Fn: f.Fn, IRQ: f.IRQ, Vendor: f.Vendor, Device: f.Device, Class: f.Class}
		if devices[i].held {
			d.Held = 1
		}
	}
	return uint64(pci.Count)
}

//go:nosplit
func deviceMint(p int32, i uint64) uint64 {
	if i >= uint64(pci.Count) {
		return neg(syscall.ENODEV)
	}
	if devices[i].held {
		return neg(syscall.EBUSY)
	}
	h := install(p, Handle{Kind: KindDevice, Rights: RightTransfer, Obj: int32(i)})
	if h == 0 {
		return neg(syscall.EMFILE)
	}
	devices[i].held = true
	pci.Grant(int(i))
	return h
}

// mapBAR maps memory BAR bar of function i into p and stores its size at
// sizeOut (if not 0).
//
//go:nosplit
func mapBAR(p int32, i int32, bar, sizeOut uint64) uint64 {
	if bar >= 6 {
		return neg(syscall.EINVAL)
	}
	b := pci.Functions[i].BARs[bar]
	if b.Size == 0 || b.Base%mm.PageSize != 0 {
		return neg(syscall.ENXIO) // no such memory BAR
	}
	if b.Size > maxBARBytes {
		return neg(syscall.EFBIG)
	}
	if sizeOut != 0 && !space(p).Access(sizeOut, 8, true) {
		return neg(syscall.EFAULT)
	}
	addr, ok := space(p).MapDevice(b.Base, b.Size)
	if !ok {
		return neg(syscall.ENOMEM)
	}
	if sizeOut != 0 {
		*(*uint64)(mm.Ptr(uintptr(sizeOut))) = b.Size
	}
	return addr
}

// bindIRQ returns an interrupt handle for function i and unmasks its
// line, delivered to the first CPU the binding process may run on (under
// the I/O APIC; docs/smp.md). There is one per function at a time.
//
//go:nosplit
func bindIRQ(p int32, i int32) uint64 {
	line := pci.Functions[i].IRQ
	if line == 0xff {
		return neg(syscall.ENXIO)
	}
	d := &devices[i]
	if d.bound {
		return neg(syscall.EBUSY)
	}
	h := install(p, Handle{Kind: KindIRQ, Rights: RightWait, Obj: i})
	if h == 0 {
		return neg(syscall.EMFILE)
	}
	d.bound, d.pending = true, false
	irq.SetCPU(line, smp.APICID(firstCPU(Procs[p].mask&sched.Online())))
	irq.Unmask(line)
	return h
}

// firstCPU is the lowest CPU in mask, which is not empty.
//
//go:nosplit
func firstCPU(mask uint64) int {
	c := 0
	for mask&1 == 0 && c < 63 {
		mask >>= 1
		c++
	}
	return c
}

// ackIRQ re-arms function i's interrupt: the line is unmasked once no
// function sharing it has an interrupt pending.
//
//go:nosplit
func ackIRQ(i int32) {
	devices[i].pending = false
	line := pci.Functions[i].IRQ
	for j := 0; j < pci.Count; j++ {
		if pci.Functions[j].IRQ == line && devices[j].bound && devices[j].pending {
			return
		}
	}
	irq.Unmask(line)
}

// DeviceIRQ is called from the trap path for a legacy IRQ. INTx lines are
// level-triggered and shared, so the line is masked until every driver
// bound to it has acknowledged (after clearing its device's cause), and
// every such interrupt object becomes ready. It reports whether any
// driver owns the line.
//
//go:nosplit
func DeviceIRQ(line uint8) bool {
	owned := false
	for j := 0; j < pci.Count; j++ {
		if pci.Functions[j].IRQ == line && devices[j].bound {
			devices[j].pending = true
			owned = true
			wakeWatchers(&devices[j].watched)
		}
	}
	if owned {
		irq.Mask(line)
	}
	return owned
}

// dmaAlloc makes a memory object of physically contiguous frames for
// function i's DMA and stores its physical address at physOut.
//
//go:nosplit
func dmaAlloc(p int32, size, physOut uint64) uint64 {
	if !space(p).Access(physOut, 8, true) {
		return neg(syscall.EFAULT)
	}
	h, pa := newVMO(p, size, true)
	if int64(h) > 0 {
		*(*uint64)(mm.Ptr(uintptr(physOut))) = pa
	}
	return h
}

// releaseDevice drops a device or interrupt handle. A function whose
// device handle is gone loses bus mastering, so it can no longer write
// memory its driver freed; a dropped interrupt handle masks the line if
// no other driver uses it. A driver that dies with its interrupt pending
// (the line masked until it acks) counts as having acknowledged it, or
// the drivers sharing the line would never hear from it again.
//
//go:nosplit
func releaseDevice(hd *Handle) {
	i := hd.Obj
	if hd.Kind == KindDevice {
		devices[i].held = false
		pci.Revoke(int(i))
		return
	}
	devices[i].bound = false
	line := pci.Functions[i].IRQ
	for j := 0; j < pci.Count; j++ {
		if pci.Functions[j].IRQ == line && devices[j].bound {
			ackIRQ(i)
			return
		}
	}
	devices[i].pending = false
	irq.Mask(line)
}
