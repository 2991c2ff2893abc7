package blockdev

import (
	"bytes"
	"io"
	"testing"
)

func TestOverlayShadowsBase(t *testing.T) {
	base := bytes.Repeat([]byte{'b'}, 3*overlayBlock+100)
	o := NewOverlay(bytes.NewReader(base), int64(len(base)))
	if _, err := o.WriteAt([]byte("xyz"), overlayBlock-1); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(base))
	if n, err := o.ReadAt(got, 0); n != len(base) || err != nil {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	want := append([]byte(nil), base...)
	copy(want[overlayBlock-1:], "xyz")
	if !bytes.Equal(got, want) {
		t.Fatal("overlay read does not show the write across a block boundary")
	}
	if base[overlayBlock] != 'b' {
		t.Fatal("the base was written")
	}
	if n, err := o.ReadAt(make([]byte, 200), int64(len(base))-100); n != 100 || err != io.EOF {
		t.Fatalf("read past the end = %d, %v; want 100, EOF", n, err)
	}
	if _, err := o.WriteAt([]byte("x"), int64(len(base))); err == nil {
		t.Fatal("write past the end succeeded")
	}
}
