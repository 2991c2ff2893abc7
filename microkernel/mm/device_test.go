package mm

import "testing"

func TestAllocRun(t *testing.T) {
	var a Frames
	a.Init(make([]uint64, 4), 256*PageSize)
	a.AddFree(0, 256*PageSize)
	a.Reserve(10*PageSize, PageSize) // a hole: no run may cross frame 10
	pa, ok := a.AllocRun(10)
	if !ok || pa != 0 {
		t.Fatalf("first run of 10 at %#x, %v", pa, ok)
	}
	pa, ok = a.AllocRun(20)
	if !ok || pa != 11*PageSize {
		t.Fatalf("run of 20 at %#x, %v; want after the hole", pa, ok)
	}
	if a.FreeCount() != 256-31 {
		t.Fatalf("%d free", a.FreeCount())
	}
	if _, ok := a.AllocRun(226); ok {
		t.Fatal("a run larger than what is free")
	}
	for f := uint64(11); f < 31; f++ {
		if !a.Free(f * PageSize) {
			t.Fatalf("frame %d of the run was not allocated", f)
		}
	}
}
