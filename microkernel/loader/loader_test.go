package loader

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"aramid/tools/cpio"
)

// newc builds a cpio archive with the writer the bundle tool uses.
func newc(files map[string][]byte, order []string) []byte {
	var b bytes.Buffer
	w := cpio.NewWriter(&b)
	w.Dir(".", 0o755)
	for _, n := range order {
		w.File(n, 0o755, files[n])
	}
	w.Close()
	return b.Bytes()
}

func TestFind(t *testing.T) {
	files := map[string][]byte{"init": []byte("init program"), "./echo": []byte("e"), "empty": nil}
	a := newc(files, []string{"init", "./echo", "empty"})
	for name, want := range map[string]string{"init": "init program", "echo": "e", "empty": ""} {
		got, ok := Find(a, name)
		if !ok || string(got) != want {
			t.Errorf("Find(%q) = %q, %v", name, got, ok)
		}
	}
	if _, ok := Find(a, "."); ok {
		t.Error("found a directory as a file")
	}
	if _, ok := Find(a, "missing"); ok {
		t.Error("found a missing file")
	}
	if _, ok := Find(a[:200], "echo"); ok {
		t.Error("found a file in a truncated archive")
	}
}

func goBinary(t *testing.T) []byte {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\nvar x [4096]byte\nfunc main() { x[0]++ }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\ngo 1.26\n"), 0o644)
	cmd := exec.Command("go", "build", "-o", "p", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "p"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGoBinary(t *testing.T) {
	img := goBinary(t)
	var p Program
	if err := Parse(img, &p); err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if p.Entry != f.Entry {
		t.Errorf("entry %#x, want %#x", p.Entry, f.Entry)
	}
	n := 0
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD {
			continue
		}
		s := p.Segments[n]
		if s.Vaddr != ph.Vaddr || s.Off != ph.Off || s.Filesz != ph.Filesz || s.Memsz != ph.Memsz ||
			s.Write != (ph.Flags&elf.PF_W != 0) || s.Exec != (ph.Flags&elf.PF_X != 0) {
			t.Errorf("segment %d = %+v, want %+v", n, s, ph.ProgHeader)
		}
		n++
	}
	if n != p.NSegments {
		t.Errorf("%d segments, want %d", p.NSegments, n)
	}
	if p.Phdr == 0 || p.Phnum != uint64(len(f.Progs)) {
		t.Errorf("phdr %#x phnum %d", p.Phdr, p.Phnum)
	}
}

func TestParseRejects(t *testing.T) {
	img := goBinary(t)
	load := 0 // offset of the first PT_LOAD program header
	for i := 0; ; i++ {
		if le32(img[64+56*i:]) == 1 {
			load = 64 + 56*i
			break
		}
	}
	var p Program
	for name, mutate := range map[string]func([]byte){
		"magic":     func(b []byte) { b[0] = 0 },
		"machine":   func(b []byte) { b[18] = 3 },
		"phoff":     func(b []byte) { b[32+7] = 0x7f },
		"segsize":   func(b []byte) { b[load+32+5] = 0xff },
		"kernaddr":  func(b []byte) { b[load+16+7] = 0xff },
		"truncated": nil,
	} {
		b := append([]byte(nil), img...)
		if mutate == nil {
			b = b[:40]
		} else {
			mutate(b)
		}
		if err := Parse(b, &p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(make([]byte, 64))
	hdr := []byte("\x7fELF\x02\x01\x01\x00")
	f.Add(append(hdr, make([]byte, 200)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Program
		if Parse(b, &p) == nil {
			for _, s := range p.Segments[:p.NSegments] {
				if s.Off+s.Filesz > uint64(len(b)) || s.Vaddr+s.Memsz > userTop {
					t.Fatalf("accepted segment %+v outside the image or user half", s)
				}
			}
		}
	})
}

func FuzzFind(f *testing.F) {
	f.Add(newc(map[string][]byte{"init": []byte("x")}, []string{"init"}), "init")
	f.Fuzz(func(t *testing.T, a []byte, name string) {
		if d, ok := Find(a, name); ok && len(d) > len(a) {
			t.Fatal("file larger than the archive")
		}
	})
}
