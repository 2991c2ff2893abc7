package mm

import "testing"

// fakeTables backs page tables with ordinary Go memory.
type fakeTables struct {
	pages map[uint64]*[512]uint64
	next  uint64
	limit int
}

func newFakeTables(limit int) *fakeTables {
	return &fakeTables{pages: map[uint64]*[512]uint64{}, next: 0x1000, limit: limit}
}

func (f *fakeTables) Table(pa uint64) *[512]uint64 {
	p, ok := f.pages[pa]
	if !ok {
		panic("access to a page that is not a table")
	}
	return p
}

func (f *fakeTables) NewTable() (uint64, bool) {
	if len(f.pages) >= f.limit {
		return 0, false
	}
	pa := f.next
	f.next += PageSize
	f.pages[pa] = new([512]uint64)
	return pa, true
}

func TestFramesAllocFree(t *testing.T) {
	var a Frames
	a.Init(make([]uint64, 4), 256*PageSize)
	a.AddFree(0x1800, 10*PageSize) // unaligned: frames 2..10
	a.Reserve(5*PageSize, 1)       // frame 5
	if got := a.FreeCount(); got != 8 {
		t.Fatalf("free = %d, want 8", got)
	}
	seen := map[uint64]bool{}
	for {
		pa, ok := a.Alloc()
		if !ok {
			break
		}
		if pa < 2*PageSize || pa >= 11*PageSize || pa == 5*PageSize || seen[pa] {
			t.Fatalf("bad frame %#x", pa)
		}
		seen[pa] = true
	}
	if len(seen) != 8 || a.FreeCount() != 0 {
		t.Fatalf("allocated %d, free %d", len(seen), a.FreeCount())
	}
	if !a.Free(3 * PageSize) {
		t.Fatal("free of allocated frame refused")
	}
	if a.Free(3*PageSize) || a.Free(3*PageSize+1) || a.Free(1<<40) {
		t.Fatal("double free, unaligned or out-of-range free accepted")
	}
	if pa, ok := a.Alloc(); !ok || pa != 3*PageSize {
		t.Fatalf("realloc = %#x, %v", pa, ok)
	}
}

func TestFramesLimitClamp(t *testing.T) {
	var a Frames
	a.Init(make([]uint64, 1), 1<<30) // only 64 frames fit
	a.AddFree(0, 1<<30)
	if a.FreeCount() != 64 {
		t.Fatalf("free = %d, want 64", a.FreeCount())
	}
}

func TestMapTranslate(t *testing.T) {
	ft := newFakeTables(64)
	root, _ := ft.NewTable()
	vas := []uint64{0x400000, 0x7fff_ffff_f000, 0xffff_c000_0000_0000, 0xffff_ffff_8020_1000}
	for i, va := range vas {
		e := Walk(ft, root, va, true, false)
		if e == nil {
			t.Fatalf("walk %#x failed", va)
		}
		*e = uint64(i+1)<<12 | PTEPresent | PTEWrite
	}
	for i, va := range vas {
		pa, ok := Translate(ft, root, va+0x123)
		if !ok || pa != uint64(i+1)<<12|0x123 {
			t.Fatalf("translate %#x = %#x, %v", va, pa, ok)
		}
	}
	if _, ok := Translate(ft, root, 0x401000); ok {
		t.Fatal("unmapped address translated")
	}
	if Walk(ft, root, 0x1234_5678_9000, false, false) != nil {
		t.Fatal("walk without create made a table")
	}
}

func TestMap2M(t *testing.T) {
	ft := newFakeTables(8)
	root, _ := ft.NewTable()
	const va = 0xffff_8000_0020_0000
	if !Map2M(ft, root, va, 0x200000, PTEWrite) {
		t.Fatal("map failed")
	}
	if pa, ok := Translate(ft, root, va+0x1234); !ok || pa != 0x201234 {
		t.Fatalf("translate = %#x, %v", pa, ok)
	}
	if Walk(ft, root, va, true, false) != nil {
		t.Fatal("walk through a huge page returned an entry")
	}
}

func TestWalkOutOfTables(t *testing.T) {
	ft := newFakeTables(2)
	root, _ := ft.NewTable()
	if Walk(ft, root, 0x400000, true, false) != nil {
		t.Fatal("walk succeeded without table memory")
	}
}

type counter struct{ n, cleared int }

func (c *counter) Visit(va, pte uint64) uint64 {
	c.n++
	if pte != 0 {
		c.cleared++
	}
	return 0
}

func TestVisitRangeSparse(t *testing.T) {
	ft := newFakeTables(64)
	root, _ := ft.NewTable()
	base := uint64(0xffff_c000_0000_0000)
	for _, off := range []uint64{0, 0x1000, 1 << 30, 5 << 39} {
		*Walk(ft, root, base+off, true, false) = 0x5000 | PTEPresent
	}
	var c counter
	VisitRange(ft, root, base, base+(8<<39), &c)
	if c.cleared != 4 {
		t.Fatalf("cleared %d entries, want 4", c.cleared)
	}
	// Three leaf tables exist, so at most 3*512 entries are visited even
	// though the range spans 4 TiB.
	if c.n > 3*512 {
		t.Fatalf("visited %d entries", c.n)
	}
	if _, ok := Translate(ft, root, base+0x1000); ok {
		t.Fatal("entry survived the visit")
	}
	var c2 counter
	VisitRange(ft, root, 0xffff_ffff_ffff_e000, 0xffff_ffff_ffff_ffff, &c2)
	if c2.n != 0 {
		t.Fatalf("visited %d entries at the top of memory", c2.n)
	}
}
