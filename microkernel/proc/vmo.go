package proc

import (
	"syscall"

	"aramid/microkernel/mm"
)

// Memory objects: pages that several processes can map at once, the way
// bulk data (file contents, packets) is meant to move between servers
// without copying through messages. A handle to one travels in a channel
// message like any other.
const (
	MaxVMOs     = 64
	MaxVMOPages = 256 // 1 MiB per object
	maxMappings = 16  // per process
)

type vmo struct {
	refs   int32 // handles and mappings
	npages int32
	frames [MaxVMOPages]uint64
}

var vmos [MaxVMOs]vmo

// vmoCreate makes a zero-filled object of size bytes; its frames are
// allocated now and charged to the creating process.
//
//go:nosplit
func vmoCreate(p int32, size uint64) uint64 {
	h, _ := newVMO(p, size, false)
	return h
}

// newVMO makes a zero-filled object of size bytes charged to p and
// returns its handle (or -errno). A contiguous object's frames are one
// physical run, for DMA; its physical address is the second result.
//
//go:nosplit
func newVMO(p int32, size uint64, contiguous bool) (uint64, uint64) {
	n := (size + mm.PageSize - 1) / mm.PageSize
	if n == 0 || n > MaxVMOPages {
		return neg(syscall.EINVAL), 0
	}
	sp := space(p)
	if sp.Limit != 0 && sp.Pages+n > sp.Limit {
		return neg(syscall.ENOMEM), 0
	}
	v := int32(1)
	for ; v < MaxVMOs && vmos[v].refs != 0; v++ {
	}
	if v == MaxVMOs {
		return neg(syscall.ENOMEM), 0
	}
	o := &vmos[v]
	o.npages = 0
	if !fillVMO(o, n, contiguous) {
		freeFrames(o)
		return neg(syscall.ENOMEM), 0
	}
	sp.Pages += n
	o.refs = 1
	h := install(p, Handle{Kind: KindVMO, Rights: RightRead | RightWrite | RightMap | RightTransfer | RightDup, Obj: v})
	if h == 0 {
		dropVMO(v)
		return neg(syscall.EMFILE), 0
	}
	return h, o.frames[0]
}

//go:nosplit
func fillVMO(o *vmo, n uint64, contiguous bool) bool {
	run, ok := uint64(0), true
	if contiguous {
		run, ok = mm.AllocZeroedRun(n)
	}
	for i := uint64(0); i < n && ok; i++ {
		pa := run + i*mm.PageSize
		if !contiguous {
			pa, ok = mm.AllocZeroed()
		}
		if ok {
			o.frames[i] = pa
			o.npages++
		}
	}
	return ok
}

// vmoMap maps the whole object into the caller and returns the address.
// Writable mappings need the write right. The mapping holds a reference
// until the process exits.
//
//go:nosplit
func vmoMap(p int32, h uint64, write bool) uint64 {
	rights := uint32(RightMap | RightRead)
	if write {
		rights |= RightWrite
	}
	hd, e := lookupHandle(p, h, KindVMO, rights)
	if e != 0 {
		return neg(e)
	}
	pr := &Procs[p]
	slot := 0
	for slot < maxMappings && pr.mappings[slot] != 0 {
		slot++
	}
	if slot == maxMappings {
		return neg(syscall.ENOMEM)
	}
	o := &vmos[hd.Obj]
	addr, ok := pr.Space.MapShared(o.frames[:o.npages], write)
	if !ok {
		return neg(syscall.ENOMEM)
	}
	o.refs++
	pr.mappings[slot] = hd.Obj
	return addr
}

//go:nosplit
func dropVMO(v int32) {
	o := &vmos[v]
	o.refs--
	if o.refs == 0 {
		freeFrames(o)
	}
}

//go:nosplit
func freeFrames(o *vmo) {
	for i := int32(0); i < o.npages; i++ {
		mm.Phys.Free(o.frames[i])
	}
	o.npages = 0
}
