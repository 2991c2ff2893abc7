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
