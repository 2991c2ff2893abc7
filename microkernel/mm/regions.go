package mm

// regionCounter counts present pages per region of RegionShift bits.
type regionCounter struct {
	n     int
	base  [32]uint64
	pages [32]uint64
}

// RegionShift is the size of the regions Regions counts in: 16 MiB.
const RegionShift = 24

//go:nosplit
func (r *regionCounter) Visit(va, pte uint64) uint64 {
	if pte&PTEPresent == 0 {
		return pte
	}
	b := va >> RegionShift << RegionShift
	for i := 0; i < r.n; i++ {
		if r.base[i] == b {
			r.pages[i]++
			return pte
		}
	}
	if r.n < len(r.base) {
		r.base[r.n], r.pages[r.n] = b, 1
		r.n++
	}
	return pte
}

// Regions counts the present user pages of s per 16 MiB region, for the
// kernel monitor: where a process's memory is. The caller holds
// interrupts off.
func (s *Space) Regions() (base, pages []uint64) {
	var r regionCounter
	VisitRange(&kt, s.Root, UserMin, UserTop, &r)
	return append([]uint64(nil), r.base[:r.n]...), append([]uint64(nil), r.pages[:r.n]...)
}
