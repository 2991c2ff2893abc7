package mm

// Memory for device drivers: registers mapped uncached, and physically
// contiguous frames for DMA (docs/devices.md).

// PTEPWT is the write-through bit; with PTEPCD it makes a page uncached.
const PTEPWT = 1 << 3

// MapDevice maps n bytes of device registers at physical address pa into
// the window, uncached (PCD|PWT), user-accessible, writable and not
// executable, and returns the address. The entries are marked shared, so
// unmapping and exit never hand the addresses to the frame allocator.
//
//go:nosplit
func (s *Space) MapDevice(pa, n uint64) (uint64, bool) {
	n = (n + PageSize - 1) &^ (PageSize - 1)
	if pa%PageSize != 0 || s.Hi-s.Next < n {
		return 0, false
	}
	addr := s.Next
	s.Next += n
	for off := uint64(0); off < n; off += PageSize {
		e := Walk(&kt, s.Root, addr+off, true, true)
		if e == nil {
			return 0, false
		}
		*e = (pa + off) | PTEPresent | PTEWrite | PTEUser | PTEPCD | PTEPWT | PTENoExec | PTEShared
	}
	return addr, true
}

// AllocRun takes n physically contiguous free frames, for DMA, and
// returns the first one's address. The search is linear in the bitmap,
// which is fine for the few buffers drivers allocate at start.
//
//go:nosplit
func (a *Frames) AllocRun(n uint64) (pa uint64, ok bool) {
	if n == 0 || n > a.free {
		return 0, false
	}
	run := uint64(0)
	for f := uint64(0); f < a.nframes; f++ {
		if a.bits[f/64]&(1<<(f%64)) == 0 {
			run = 0
			continue
		}
		run++
		if run == n {
			first := f + 1 - n
			for g := first; g <= f; g++ {
				a.bits[g/64] &^= 1 << (g % 64)
			}
			a.free -= n
			return first * PageSize, true
		}
	}
	return 0, false
}

// AllocZeroedRun allocates n contiguous frames and clears them.
//
//go:nosplit
func AllocZeroedRun(n uint64) (uint64, bool) {
	pa, ok := Phys.AllocRun(n)
	if ok {
		for i := uint64(0); i < n; i++ {
			*(*[512]uint64)(Ptr(uintptr(tableBase + pa + i*PageSize))) = [512]uint64{}
		}
	}
	return pa, ok
}
