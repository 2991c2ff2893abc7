package mm

// Regions counts present pages per region of RegionShift bits: the first
// N entries of Base (a region's first address) and Pages hold the counts.
// It is a value of fixed size, so that the monitor can have it copied out
// while the kernel lock is held, where nothing may allocate.
type Regions struct {
	N     int
	Base  [32]uint64
	Pages [32]uint64
}

// RegionShift is the size of the regions Regions counts in: 16 MiB.
const RegionShift = 24

//go:nosplit
func (r *Regions) Visit(va, pte uint64) uint64 {
	if pte&PTEPresent == 0 {
		return pte
	}
	b := va >> RegionShift << RegionShift
	for i := 0; i < r.N; i++ {
		if r.Base[i] == b {
			r.Pages[i]++
			return pte
		}
	}
	if r.N < len(r.Base) {
		r.Base[r.N], r.Pages[r.N] = b, 1
		r.N++
	}
	return pte
}

// Count counts the present user pages of s per 16 MiB region into r, for
// the kernel monitor: where a process's memory is. The caller holds the
// kernel lock.
//
//go:nosplit
func (s *Space) Count(r *Regions) {
	*r = Regions{}
	VisitRange(&kt, s.Root, UserMin, UserTop, r)
}
