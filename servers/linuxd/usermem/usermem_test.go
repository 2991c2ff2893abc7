package usermem

import (
	"errors"
	"syscall"
	"testing"
)

func TestCStringStopsAtTheEndOfMemory(t *testing.T) {
	// A string that ends exactly where mapped memory ends must be read
	// without touching the unmapped byte after it.
	m := &Fake{Base: 0x1000, Mem: make([]byte, 4096)}
	copy(m.Mem[4090:], "hello\x00")
	if s, err := CString(m, 0x1000+4090, 100); s != "hello" || err != nil {
		t.Fatalf("CString = %q, %v", s, err)
	}
	copy(m.Mem[4090:], "nonul!")
	if _, err := CString(m, 0x1000+4090, 100); !errors.Is(err, syscall.EFAULT) {
		t.Fatalf("unterminated string at the end of memory: %v, want EFAULT", err)
	}
	copy(m.Mem, "abcdef\x00")
	if _, err := CString(m, 0x1000, 3); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("over-long string: %v, want ENAMETOOLONG", err)
	}
	m.Mem[4095] = 0
	if _, err := Path(m, 0x1000+4095); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("empty path: %v, want ENOENT", err)
	}
}

func TestStrings(t *testing.T) {
	m := &Fake{Base: 0x1000, Mem: make([]byte, 4096)}
	copy(m.Mem[100:], "ab\x00cd\x00")
	PutU64(m, 0x1000, 0x1000+100)
	PutU64(m, 0x1008, 0x1000+103)
	PutU64(m, 0x1010, 0)
	got, err := Strings(m, 0x1000, 10)
	if err != nil || len(got) != 2 || got[0] != "ab" || got[1] != "cd" {
		t.Fatalf("Strings = %q, %v", got, err)
	}
	if _, err := Strings(m, 0x1000, 1); !errors.Is(err, syscall.E2BIG) {
		t.Fatalf("too many strings: %v, want E2BIG", err)
	}
	if _, err := Strings(m, 0x1000+4090, 10); !errors.Is(err, syscall.EFAULT) {
		t.Fatalf("array past the end: %v, want EFAULT", err)
	}
}

func FuzzCString(f *testing.F) {
	f.Add([]byte("abc\x00"), uint64(0), 10)
	f.Fuzz(func(t *testing.T, mem []byte, addr uint64, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		m := &Fake{Base: 4096, Mem: mem}
		s, err := CString(m, addr, max)
		if err == nil && len(s) > max {
			t.Fatalf("string of %d bytes beyond the limit %d", len(s), max)
		}
	})
}

// TestCStringAcrossPages reads a string longer than one read's chunk that
// starts mid-page and crosses two page boundaries, and one whose NUL is
// exactly at the limit.
func TestCStringAcrossPages(t *testing.T) {
	m := &Fake{Base: 0x1000, Mem: make([]byte, 3*4096)}
	want := make([]byte, 5000)
	for i := range want {
		want[i] = 'a' + byte(i%26)
	}
	copy(m.Mem[3000:], want)
	if s, err := CString(m, 0x1000+3000, 8192); s != string(want) || err != nil {
		t.Fatalf("CString of %d bytes = %d bytes, %v", len(want), len(s), err)
	}
	if s, err := CString(m, 0x1000+3000, 5001); s != string(want) || err != nil {
		t.Errorf("with max one past the string: %d bytes, %v", len(s), err)
	}
	if _, err := CString(m, 0x1000+3000, 5000); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Errorf("with max the string's length: %v, want ENAMETOOLONG", err)
	}
	if _, err := CString(m, 0, 10); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("NULL: %v, want EFAULT", err)
	}
	// Long strings whose NUL is the last mapped byte: no read may run
	// past a page's end into what is not mapped.
	for _, start := range []int{1, 100, 255, 1000, 4095, 5000} {
		m := &Fake{Base: 0x1000, Mem: make([]byte, 2*4096)}
		for i := start; i < len(m.Mem)-1; i++ {
			m.Mem[i] = 'x'
		}
		if s, err := CString(m, 0x1000+uint64(start), 8192); len(s) != len(m.Mem)-1-start || err != nil {
			t.Errorf("string from %d to the end of memory: %d bytes, %v", start, len(s), err)
		}
	}
}

func TestFakeBounds(t *testing.T) {
	m := &Fake{Base: 0x1000, Mem: make([]byte, 16)}
	for _, c := range []struct {
		n    int
		addr uint64
		ok   bool
	}{
		{16, 0x1000, true}, {0, 0x1010, true}, {1, 0x1010, false}, {1, 0xfff, false},
		{2, ^uint64(0), false}, {17, 0x1000, false},
	} {
		err := m.ReadAt(make([]byte, c.n), c.addr)
		if c.ok != (err == nil) {
			t.Errorf("%d bytes at %#x: %v", c.n, c.addr, err)
		}
	}
	if err := m.WriteAt([]byte("xy"), 0x100e); err != nil || string(m.Mem[14:]) != "xy" {
		t.Errorf("write at the end: %v, %q", err, m.Mem[14:])
	}
}
