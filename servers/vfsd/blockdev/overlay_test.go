package blockdev

import (
	"bytes"
	"testing"
)

// TestOverlay: writes at any offset and length read back, the base is
// unchanged, and unwritten bytes come from the base.
func TestOverlay(t *testing.T) {
	base := make([]byte, 4096)
	for i := range base {
		base[i] = byte(i)
	}
	dev := NewMem(base)
	o := NewOverlay(dev, 512)
	want := bytes.Clone(base)
	for _, w := range []struct {
		off int
		n   int
	}{{0, 10}, {500, 30}, {1024, 512}, {1500, 1200}, {4090, 6}} {
		p := bytes.Repeat([]byte{0xAB ^ byte(w.off)}, w.n)
		if _, err := o.WriteAt(p, int64(w.off)); err != nil {
			t.Fatal(err)
		}
		copy(want[w.off:], p)
	}
	got := make([]byte, len(want))
	if n, err := o.ReadAt(got, 0); n != len(got) || err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadAt = %d, %v; contents equal: %v", n, err, bytes.Equal(got, want))
	}
	part := make([]byte, 700)
	if _, err := o.ReadAt(part, 333); err != nil || !bytes.Equal(part, want[333:1033]) {
		t.Errorf("unaligned read: %v, or different contents", err)
	}
	if !bytes.Equal(dev.Bytes(), base) {
		t.Error("the base device was written")
	}
}
