package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"

	"aramid/servers/linuxd/usermem"
)

// space is an address space of pages in a map, for the loader's tests.
type space struct {
	pages map[uint64][]byte
	prot  map[uint64]int
}

func newSpace() *space { return &space{pages: map[uint64][]byte{}, prot: map[uint64]int{}} }

func (s *space) Map(addr, length uint64, prot int) error {
	if addr%pageSize != 0 || length == 0 { // as mmap(2)
		return syscall.EINVAL
	}
	if len(s.pages)+int(length/pageSize) > 1<<14 {
		return syscall.ENOMEM // a test space holds at most 64 MiB
	}
	for a := addr; a < addr+length; a += pageSize {
		s.pages[a] = make([]byte, pageSize)
		s.prot[a] = prot
	}
	return nil
}

func (s *space) Protect(addr, length uint64, prot int) error {
	for a := addr; a < addr+length; a += pageSize {
		if s.pages[a] == nil {
			return syscall.ENOMEM
		}
		s.prot[a] = prot
	}
	return nil
}

func (s *space) access(b []byte, addr uint64, write bool) error {
	for n := 0; n < len(b); {
		a := addr + uint64(n)
		p := s.pages[a&^(pageSize-1)]
		if p == nil {
			return syscall.EFAULT
		}
		if write {
			n += copy(p[a%pageSize:], b[n:])
		} else {
			n += copy(b[n:], p[a%pageSize:])
		}
	}
	return nil
}

func (s *space) ReadAt(b []byte, addr uint64) error  { return s.access(b, addr, false) }
func (s *space) WriteAt(b []byte, addr uint64) error { return s.access(b, addr, true) }

func files(m map[string][]byte) Files {
	return func(p string) ([]byte, error) {
		if b, ok := m[p]; ok {
			return b, nil
		}
		return nil, syscall.ENOENT
	}
}

func TestLoadStaticProgram(t *testing.T) {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox on this host:", err)
	}
	p, err := Prepare(files(map[string][]byte{"/bin/sh": bin}), "/bin/sh", []string{"sh", "-c", "true"}, []string{"A=1"})
	if err != nil {
		t.Fatal(err)
	}
	s := newSpace()
	img, err := Load(s, p, Creds{}, [16]byte{1, 2, 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.SP%16 != 0 {
		t.Errorf("initial stack pointer %#x is not 16-byte aligned", img.SP)
	}
	argc, _ := usermem.U64(s, img.SP)
	if argc != 3 {
		t.Fatalf("argc = %d, want 3", argc)
	}
	argv1, _ := usermem.U64(s, img.SP+16)
	if a, _ := usermem.CString(s, argv1, 100); a != "-c" {
		t.Errorf("argv[1] = %q", a)
	}
	auxv := map[uint64]uint64{}
	for a := img.SP + 8*(1+3+1+1+1); ; a += 16 {
		k, _ := usermem.U64(s, a)
		v, _ := usermem.U64(s, a+8)
		if k == atNull {
			break
		}
		auxv[k] = v
	}
	if auxv[atEntry] != img.Entry || auxv[atPagesz] != pageSize || auxv[atBase] != 0 {
		t.Errorf("auxv entry %#x pagesz %d base %#x; want entry %#x", auxv[atEntry], auxv[atPagesz], auxv[atBase], img.Entry)
	}
	var rnd [16]byte
	s.ReadAt(rnd[:], auxv[atRandom])
	if rnd[0] != 1 || rnd[2] != 3 {
		t.Errorf("AT_RANDOM bytes %v", rnd)
	}
	if s.prot[img.Entry&^(pageSize-1)]&ProtExec == 0 {
		t.Error("the entry point's page is not executable")
	}
	args := make([]byte, img.ArgEnd-img.ArgStart)
	s.ReadAt(args, img.ArgStart)
	if string(args) != "sh\x00-c\x00true\x00" {
		t.Errorf("the argument strings at ArgStart..ArgEnd are %q", args)
	}
	var magic [4]byte
	s.ReadAt(magic[:], auxv[atPhdr]-64)
	if !bytes.Equal(magic[:], []byte("\x7fELF")) {
		t.Errorf("AT_PHDR %#x does not point into the mapped headers", auxv[atPhdr])
	}
}

func TestShebang(t *testing.T) {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox on this host:", err)
	}
	fs := files(map[string][]byte{
		"/bin/sh":  bin,
		"/s":       []byte("#!/bin/sh -e  \necho hi\n"),
		"/loop":    []byte("#!/loop\n"),
		"/empty":   []byte("#!\n"),
		"/garbage": []byte("garbage"),
	})
	p, err := Prepare(fs, "/s", []string{"s", "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/bin/sh", "-e", "/s", "x"}; len(p.Argv) != 4 || p.Argv[0] != want[0] || p.Argv[1] != want[1] || p.Argv[2] != want[2] || p.Argv[3] != want[3] {
		t.Errorf("argv = %q, want %q", p.Argv, want)
	}
	for path, want := range map[string]error{"/loop": syscall.ELOOP, "/empty": syscall.ENOEXEC, "/garbage": syscall.ENOEXEC, "/none": syscall.ENOENT} {
		if _, err := Prepare(fs, path, []string{path}, nil); !errors.Is(err, want) {
			t.Errorf("Prepare(%s) = %v, want %v", path, err, want)
		}
	}
}

// FuzzPrepare throws arbitrary bytes at the loader as a program: it must
// refuse them with an errno or load them, never panic.
func FuzzPrepare(f *testing.F) {
	if bin, err := os.ReadFile("/bin/busybox"); err == nil {
		f.Add(bin[:4096])
	}
	hdr := make([]byte, 64)
	copy(hdr, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(hdr[16:], 2)
	binary.LittleEndian.PutUint16(hdr[18:], 62)
	f.Add(hdr)
	f.Add([]byte("#!/x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Prepare(files(map[string][]byte{"/p": b, "/x": b}), "/p", []string{"p"}, nil)
		if err != nil {
			return
		}
		Load(newSpace(), p, Creds{}, [16]byte{}, 0)
	})
}
