package mm

import "aramid/microkernel/arch/amd64"

// Copy-on-write. A fork shares every private page of the parent with the
// child, read-only and marked PTECOW in both; the first write to such a
// page copies it, unless no one else shares the frame any more. frameRefs
// counts the extra sharers of each frame (0: one owner). Frames above
// 4 GiB, or shared 255 times already, are copied at fork instead.
const cowFrames = 1 << 20 // 4 GiB of frames

var frameRefs [cowFrames]uint8

// unshare drops one owner's use of a private frame, freeing it with the
// last.
//
//go:nosplit
func unshare(pa uint64) {
	if f := pa / PageSize; f < cowFrames && frameRefs[f] > 0 {
		frameRefs[f]--
		return
	}
	Phys.Free(pa)
}

// shared reports whether a private frame has other owners.
//
//go:nosplit
func shared(pa uint64) bool {
	f := pa / PageSize
	return f < cowFrames && frameRefs[f] > 0
}

// copyFrame copies physical frame src to dst through the direct map.
//
//go:nosplit
func copyFrame(dst, src uint64) {
	*(*[PageSize]byte)(Ptr(PhysToVirt(dst))) = *(*[PageSize]byte)(Ptr(PhysToVirt(src)))
}

// breakCOW gives the space its own writable copy of a COW page.
//
//go:nosplit
func (s *Space) breakCOW(e *uint64, va uint64) int {
	pa := *e & pteAddrMask
	f := pa / PageSize
	if f >= cowFrames || frameRefs[f] == 0 {
		*e = *e&^PTECOW | PTEWrite
		amd64.Invlpg(uintptr(va &^ (PageSize - 1)))
		return FaultFixed
	}
	if s.Limit != 0 && s.Pages >= s.Limit {
		return FaultLimit
	}
	np, ok := s.frame()
	if !ok {
		return FaultOOM
	}
	copyFrame(np, pa)
	frameRefs[f]--
	s.Pages++
	*e = np | *e&(PTEUser|PTENoExec) | PTEPresent | PTEWrite
	amd64.Invlpg(uintptr(va &^ (PageSize - 1)))
	s.shootDown() // other CPUs may still read the shared frame
	return FaultFixed
}

// forker is the visitor of CloneCOW: it shares each page of the parent
// with the child (dstRoot), or copies it when it cannot be shared.
type forker struct {
	dstRoot uint64
	failed  bool
}

var fork forker

//go:nosplit
func (v *forker) Visit(va, pte uint64) uint64 {
	if pte == 0 || v.failed {
		return pte
	}
	e := Walk(&kt, v.dstRoot, va, true, true)
	if e == nil {
		v.failed = true
		return pte
	}
	if pte&PTEPresent == 0 || pte&PTEShared != 0 {
		*e = pte // demand-zero, or a memory object's frame
		return pte
	}
	pa := pte & pteAddrMask
	if f := pa / PageSize; f < cowFrames && frameRefs[f] < 255 {
		frameRefs[f]++
		if pte&PTEWrite != 0 {
			pte = pte&^PTEWrite | PTECOW
		}
		*e = pte
		return pte
	}
	np, ok := Phys.Alloc()
	if !ok {
		v.failed = true
		return pte
	}
	copyFrame(np, pa)
	*e = np | pte&^pteAddrMask
	return pte
}

// CloneCOW fills the empty user space dst with a copy-on-write copy of s,
// as fork does. It reports false if memory ran out; dst must then be
// destroyed.
//
//go:nosplit
func (s *Space) CloneCOW(dst *Space) bool {
	fork = forker{dstRoot: dst.Root}
	VisitRange(&kt, s.Root, UserMin, UserTop, &fork)
	dst.Next, dst.Pages, dst.Limit = s.Next, s.Pages, s.Limit
	if amd64.ReadCR3() == s.Root {
		amd64.WriteCR3(s.Root) // drop writable TLB entries of now-COW pages
	}
	s.shootDown()
	return !fork.failed
}
