package mm

import (
	"unsafe"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/boot/pvh"
)

// The kernel's virtual layout. The lower half belongs to user programs; the
// kernel lives only in the upper half (docs/memory.md).
const (
	// KernelBase is where physical address 0 appears in the kernel's link
	// map: the image is linked at KernelBase+2 MiB and loaded at 2 MiB.
	KernelBase = 0xffffffff80000000
	// DirectBase maps all of physical memory.
	DirectBase = 0xffff800000000000
	// HeapStart and HeapEnd bound the window that answers the Go
	// runtime's mmap calls.
	HeapStart = 0xffffc00000000000
	HeapEnd   = 0xffffe00000000000

	bootPML4 = 0x100000 // built by boot.Entry32
	// maxPhys is the most physical memory the frame bitmap can describe.
	maxPhys = 16 << 30
)

var (
	frameBits [maxPhys / PageSize / 64]uint64
	// Phys is the allocator of all physical frames.
	Phys Frames
	kt   kernelTables
	// Kernel is the kernel's own space: its heap window.
	Kernel  = Space{Root: bootPML4, Lo: HeapStart, Hi: HeapEnd, Next: HeapStart}
	physTop uint64
	// tableBase is where table pages are reached: the boot image mapping
	// until the direct map exists, the direct map afterwards.
	tableBase uint64 = KernelBase
)

type kernelTables struct{}

//go:nosplit
func (*kernelTables) Table(pa uint64) *[512]uint64 {
	return (*[512]uint64)(Ptr(uintptr(tableBase + pa)))
}

//go:nosplit
func (*kernelTables) NewTable() (uint64, bool) { return AllocZeroed() }

// AllocZeroed allocates a frame and clears it.
//
//go:nosplit
func AllocZeroed() (uint64, bool) {
	pa, ok := Phys.Alloc()
	if ok {
		zeroFrame(pa)
	}
	return pa, ok
}

// zeroFrame clears the frame at physical address pa.
//
//go:nosplit
func zeroFrame(pa uint64) { *(*[512]uint64)(Ptr(uintptr(tableBase + pa))) = [512]uint64{} }

// PhysToVirt returns the direct-map address of physical address pa.
//
//go:nosplit
func PhysToVirt(pa uint64) uintptr { return uintptr(DirectBase + pa) }

// Init sets up physical memory from the boot memory map: the frame
// allocator (everything but low memory, the image and boot modules), the
// direct map of all RAM, and the upper-half page-table pages that every
// future address space will share. It then drops the boot identity map, so
// the whole lower half is empty.
//
//go:nosplit
func Init(si *pvh.StartInfo, imageEnd uint64) {
	for i := 0; i < si.NRegions; i++ {
		r := &si.Regions[i]
		if r.Type == pvh.RAM && r.Base+r.Size > physTop {
			physTop = r.Base + r.Size
		}
	}
	if physTop > maxPhys {
		physTop = maxPhys
	}
	Phys.Init(frameBits[:], physTop)
	for i := 0; i < si.NRegions; i++ {
		if r := &si.Regions[i]; r.Type == pvh.RAM {
			Phys.AddFree(r.Base, r.Size)
		}
	}
	Phys.Reserve(0, imageEnd)
	for i := 0; i < si.NModules; i++ {
		Phys.Reserve(si.Modules[i].Base, si.Modules[i].Size)
	}
	for pa := uint64(0); pa < physTop; pa += 2 << 20 {
		Map2M(&kt, bootPML4, DirectBase+pa, pa, PTEWrite|PTEGlobal|PTENoExec)
	}
	tableBase = DirectBase
	pml4 := kt.Table(bootPML4)
	for i := 256; i < 512; i++ {
		if pml4[i]&PTEPresent == 0 {
			pa, _ := AllocZeroed()
			pml4[i] = pa | PTEPresent | PTEWrite
		}
	}
	pml4[0] = 0
	amd64.WriteCR3(bootPML4)
}

// Mapped reports whether va is readable now without a fault.
//
//go:nosplit
func Mapped(va uint64) bool {
	_, ok := Translate(&kt, bootPML4, va)
	return ok
}

// MemStats describes physical memory use.
type MemStats struct {
	TotalBytes, FreeBytes uint64
}

// Stats returns the current physical memory use.
//
//go:nosplit
func Stats() MemStats {
	return MemStats{TotalBytes: physTop, FreeBytes: Phys.FreeCount() * PageSize}
}

// DirectMap is a view of physical memory from address 0 through the direct
// map: all of RAM, and whatever else shares its last 2 MiB page (firmware
// tables at the top of RAM).
//
//go:nosplit
func DirectMap() []byte {
	end := (physTop + 2<<20 - 1) &^ (2<<20 - 1)
	return unsafe.Slice((*byte)(Ptr(DirectBase)), end)
}
