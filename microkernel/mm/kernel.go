package mm

import (
	"aramid/boot/pvh"
	"aramid/microkernel/arch/amd64"
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

// Linux mmap constants the runtime uses.
const (
	protWrite    = 0x2
	mapFixed     = 0x10
	mapAnonymous = 0x20
	madvDontneed = 4
	madvFree     = 8
)

var (
	frameBits [maxPhys / PageSize / 64]uint64
	// Phys is the allocator of all physical frames.
	Phys     Frames
	kt       kernelTables
	heapNext uint64 = HeapStart
	physTop  uint64
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
		*(*[512]uint64)(Ptr(uintptr(tableBase + pa))) = [512]uint64{}
	}
	return pa, ok
}

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

// Mmap answers the runtime's anonymous mmap: it reserves address space in
// the heap window and marks it for zero-fill on demand. A hint is ignored
// (the runtime's hints are lower-half addresses); MAP_FIXED must stay inside
// what the window has handed out. It returns a Linux errno on failure.
//
//go:nosplit
func Mmap(addr, length uint64, prot, flags int) (uint64, uintptr) {
	if length == 0 || flags&mapAnonymous == 0 {
		return 0, errEINVAL
	}
	length = (length + PageSize - 1) &^ (PageSize - 1)
	if flags&mapFixed != 0 {
		if addr%PageSize != 0 || addr < HeapStart || addr+length > heapNext || addr+length < addr {
			return 0, errENOMEM
		}
	} else {
		if HeapEnd-heapNext < length {
			return 0, errENOMEM
		}
		addr = heapNext
		heapNext += length
	}
	if !setProt(addr, addr+length, prot) {
		return 0, errENOMEM
	}
	return addr, 0
}

// Munmap releases the pages of [addr, addr+length).
//
//go:nosplit
func Munmap(addr, length uint64) uintptr {
	if addr%PageSize != 0 || addr < HeapStart || addr+length > HeapEnd || addr+length < addr {
		return errEINVAL
	}
	VisitRange(&kt, bootPML4, addr, addr+length, &releaser)
	return 0
}

// Madvise implements MADV_DONTNEED and MADV_FREE by returning the frames;
// the pages read as zero when touched again. Other advice is accepted and
// ignored, as Linux may.
//
//go:nosplit
func Madvise(addr, length uint64, advice int) uintptr {
	if addr%PageSize != 0 || addr+length < addr {
		return errEINVAL
	}
	if (advice == madvDontneed || advice == madvFree) && addr >= HeapStart && addr+length <= HeapEnd {
		VisitRange(&kt, bootPML4, addr, addr+length, &discarder)
	}
	return 0
}

// Mprotect changes the protection of [addr, addr+length).
//
//go:nosplit
func Mprotect(addr, length uint64, prot int) uintptr {
	length = (length + PageSize - 1) &^ (PageSize - 1)
	if addr%PageSize != 0 || addr < HeapStart || addr+length > heapNext {
		return errENOMEM
	}
	if !setProt(addr, addr+length, prot) {
		return errENOMEM
	}
	return 0
}

// setProt makes [start, end) demand-zero pages with protection prot,
// releasing whatever was there; PROT_NONE leaves the range unmapped.
//
//go:nosplit
func setProt(start, end uint64, prot int) bool {
	VisitRange(&kt, bootPML4, start, end, &releaser)
	if prot == 0 {
		return true
	}
	pte := uint64(PTEDemand)
	if prot&protWrite != 0 {
		pte |= PTEWrite
	}
	for va := start; va < end; va += PageSize {
		e := Walk(&kt, bootPML4, va, true, false)
		if e == nil {
			return false
		}
		*e = pte
	}
	return true
}

// Fault resolves a page fault at va in the heap window by supplying a
// zeroed frame. It reports false for a fault that is a real error.
//
//go:nosplit
func Fault(va uint64, write bool) bool {
	if va < HeapStart || va >= HeapEnd {
		return false
	}
	e := Walk(&kt, bootPML4, va, false, false)
	if e == nil || *e&PTEPresent != 0 || *e&PTEDemand == 0 {
		return false
	}
	if write && *e&PTEWrite == 0 {
		return false
	}
	pa, ok := AllocZeroed()
	if !ok {
		return false
	}
	*e = pa | PTEPresent | PTENoExec | *e&PTEWrite
	amd64.Invlpg(uintptr(va &^ (PageSize - 1)))
	return true
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

// releaser frees present pages and clears every entry.
type pageReleaser struct{}

var releaser pageReleaser

//go:nosplit
func (*pageReleaser) Visit(va, pte uint64) uint64 {
	if pte&PTEPresent != 0 {
		Phys.Free(pte & pteAddrMask)
		amd64.Invlpg(uintptr(va))
	}
	return 0
}

// discarder frees present pages but keeps them demand-zero.
type pageDiscarder struct{}

var discarder pageDiscarder

//go:nosplit
func (*pageDiscarder) Visit(va, pte uint64) uint64 {
	if pte&PTEPresent == 0 {
		return pte
	}
	Phys.Free(pte & pteAddrMask)
	amd64.Invlpg(uintptr(va))
	return PTEDemand | pte&PTEWrite
}

// Linux errno values returned to the runtime.
const (
	errENOMEM = 12
	errEINVAL = 22
)
