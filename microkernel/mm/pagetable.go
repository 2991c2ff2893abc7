package mm

// Page-table entry bits.
const (
	PTEPresent = 1 << 0
	PTEWrite   = 1 << 1
	PTEUser    = 1 << 2
	PTEPCD     = 1 << 4
	PTEHuge    = 1 << 7
	PTEGlobal  = 1 << 8
	PTEDemand  = 1 << 9  // software: not present yet, zero-fill on first touch
	PTEShared  = 1 << 10 // software: the frame belongs to a memory object, not the space
	PTECOW     = 1 << 11 // software: writable once copied; the frame may be shared
	// PTEImage (software, with PTEShared) marks a frame of the boot bundle
	// mapped into a process as part of its program: never writable, never
	// freed by the space.
	PTEImage    = 1 << 52
	PTENoExec   = 1 << 63
	pteAddrMask = 0x000ffffffffff000
)

// Tables gives the page-table code access to table pages by physical
// address, so the same code runs on the kernel's direct map and on a map of
// fake frames in host tests.
type Tables interface {
	// Table returns the 512 entries of the table page at pa.
	Table(pa uint64) *[512]uint64
	// NewTable allocates a zeroed table page.
	NewTable() (pa uint64, ok bool)
}

// index returns va's entry index at level (4 = PML4 ... 1 = PT).
//
//go:nosplit
func index(va uint64, level int) uint64 {
	return va >> (12 + 9*uint(level-1)) & 511
}

// Walk returns the level-1 entry for va under root. With create, missing
// intermediate tables are allocated (writable; user-accessible if user);
// otherwise a missing table returns nil. A huge mapping on the way returns
// nil too.
//
//go:nosplit
func Walk(t Tables, root, va uint64, create, user bool) *uint64 {
	table := root
	for level := 4; level > 1; level-- {
		e := &t.Table(table)[index(va, level)]
		if *e&PTEPresent == 0 {
			if !create {
				return nil
			}
			pa, ok := t.NewTable()
			if !ok {
				return nil
			}
			*e = pa | PTEPresent | PTEWrite
			if user {
				*e |= PTEUser
			}
		} else if *e&PTEHuge != 0 {
			return nil
		}
		table = *e & pteAddrMask
	}
	return &t.Table(table)[index(va, 1)]
}

// Map2M maps the 2 MiB page at va to pa, allocating the PDPT level if needed.
//
//go:nosplit
func Map2M(t Tables, root, va, pa, flags uint64) bool {
	table := root
	for level := 4; level > 2; level-- {
		e := &t.Table(table)[index(va, level)]
		if *e&PTEPresent == 0 {
			n, ok := t.NewTable()
			if !ok {
				return false
			}
			*e = n | PTEPresent | PTEWrite
		}
		table = *e & pteAddrMask
	}
	t.Table(table)[index(va, 2)] = pa | flags | PTEPresent | PTEHuge
	return true
}

// Translate returns the physical address that va maps to.
//
//go:nosplit
func Translate(t Tables, root, va uint64) (uint64, bool) {
	table := root
	for level := 4; level >= 1; level-- {
		e := t.Table(table)[index(va, level)]
		if e&PTEPresent == 0 {
			return 0, false
		}
		if level == 1 || e&PTEHuge != 0 {
			size := uint64(1) << (12 + 9*uint(level-1))
			return e&pteAddrMask&^(size-1) | va&(size-1), true
		}
		table = e & pteAddrMask
	}
	return 0, false
}

// Visitor is told about each level-1 entry that a range operation visits.
// It returns the entry's new value.
type Visitor interface {
	Visit(va uint64, pte uint64) uint64
}

// VisitRange calls v for every existing level-1 entry in [start, end),
// skipping whole subtrees that have no table, so that operations on large
// sparse ranges cost in proportion to what is mapped. Huge mappings are
// skipped.
//
//go:nosplit
func VisitRange(t Tables, root, start, end uint64, v Visitor) {
	va := start
	for va < end {
		table, level := root, 4
		for ; level > 1; level-- {
			e := t.Table(table)[index(va, level)]
			if e&PTEPresent == 0 || e&PTEHuge != 0 {
				break
			}
			table = e & pteAddrMask
		}
		if level > 1 {
			span := uint64(1) << (12 + 9*uint(level-1))
			next := va&^(span-1) + span
			if next <= va {
				return
			}
			va = next
			continue
		}
		tab := t.Table(table)
		for i := index(va, 1); i < 512 && va < end; i++ {
			tab[i] = v.Visit(va, tab[i])
			va += PageSize
			if va == 0 {
				return
			}
		}
	}
}
