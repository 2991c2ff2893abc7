package pvh

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// buildStartInfo lays out an hvm_start_info with a memory map, one module
// and a command line in a fake physical memory.
func buildStartInfo(mem []byte, regions []Region, cmdline string) uint64 {
	le := binary.LittleEndian
	const si, memmap, mods, cmd = 0x1000, 0x2000, 0x3000, 0x4000
	le.PutUint32(mem[si:], StartInfoMagic)
	le.PutUint32(mem[si+4:], 1)
	le.PutUint32(mem[si+12:], 1)
	le.PutUint64(mem[si+16:], mods)
	le.PutUint64(mem[si+24:], cmd)
	le.PutUint64(mem[si+32:], 0xf5a40)
	le.PutUint64(mem[si+40:], memmap)
	le.PutUint32(mem[si+48:], uint32(len(regions)))
	for i, r := range regions {
		e := memmap + 24*i
		le.PutUint64(mem[e:], r.Base)
		le.PutUint64(mem[e+8:], r.Size)
		le.PutUint32(mem[e+16:], r.Type)
	}
	le.PutUint64(mem[mods:], 0x10000)
	le.PutUint64(mem[mods+8:], 0x1234)
	copy(mem[cmd:], cmdline+"\x00")
	return si
}

func TestParse(t *testing.T) {
	mem := make([]byte, 0x20000)
	regions := []Region{{0, 0x9fc00, RAM}, {0xf0000, 0x10000, Reserved}, {0x100000, 0x1ff00000, RAM}}
	addr := buildStartInfo(mem, regions, "aramid.exit aramid.strace")
	var si StartInfo
	if err := Parse(mem, addr, &si); err != nil {
		t.Fatal(err)
	}
	if si.NRegions != 3 || si.Regions[2] != regions[2] {
		t.Fatalf("regions = %+v", si.Regions[:si.NRegions])
	}
	if si.NModules != 1 || si.Modules[0] != (Module{0x10000, 0x1234}) {
		t.Fatalf("modules = %+v", si.Modules[:si.NModules])
	}
	if got := string(si.Cmdline[:len("aramid.exit aramid.strace")]); got != "aramid.exit aramid.strace" {
		t.Fatalf("cmdline = %q", got)
	}
	if si.RSDP != 0xf5a40 {
		t.Fatalf("RSDP = %#x", si.RSDP)
	}
}

func TestParseRejects(t *testing.T) {
	mem := make([]byte, 0x20000)
	addr := buildStartInfo(mem, []Region{{0, 0x1000, RAM}}, "")
	var si StartInfo
	bad := append([]byte(nil), mem...)
	bad[addr] ^= 1
	if err := Parse(bad, addr, &si); err != ErrMagic {
		t.Errorf("bad magic: %v", err)
	}
	v0 := append([]byte(nil), mem...)
	binary.LittleEndian.PutUint32(v0[addr+4:], 0)
	if err := Parse(v0, addr, &si); err != ErrVersion {
		t.Errorf("version 0: %v", err)
	}
	far := append([]byte(nil), mem...)
	binary.LittleEndian.PutUint64(far[addr+40:], 1<<40)
	if err := Parse(far, addr, &si); err != ErrTruncated {
		t.Errorf("memory map outside memory: %v", err)
	}
	if err := Parse(mem, uint64(len(mem)-8), &si); err != ErrTruncated {
		t.Errorf("start info at the end of memory: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	mem := make([]byte, 0x5000)
	buildStartInfo(mem, []Region{{0, 0x9fc00, RAM}}, "x")
	f.Add(mem[0x1000:0x1040])
	f.Fuzz(func(t *testing.T, head []byte) {
		m := append([]byte(nil), mem...)
		copy(m[0x1000:], head)
		var si StartInfo
		Parse(m, 0x1000, &si)
	})
}

// TestPatch links a small Go program the way the kernel is linked and checks
// the note and physical addresses imagetool writes.
func TestPatch(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\ngo 1.26\n"), 0o644)
	bin := filepath.Join(dir, "k.elf")
	cmd := exec.Command("go", "build", "-o", bin, "-ldflags", "-T -2145382400", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	img, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	const base = 0xffffffff80000000
	if err := Patch(img, base); err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytesReaderAt(img))
	if err != nil {
		t.Fatal(err)
	}
	var note *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Paddr != p.Vaddr-base {
			t.Errorf("segment at %#x has paddr %#x", p.Vaddr, p.Paddr)
		}
		if p.Type == elf.PT_NOTE {
			note = p
		}
	}
	if note == nil {
		t.Fatal("no note")
	}
	n := img[note.Off : note.Off+note.Filesz]
	le := binary.LittleEndian
	if le.Uint32(n[8:]) != 18 || string(n[12:16]) != "Xen\x00" || le.Uint64(n[16:]) != f.Entry-base {
		t.Fatalf("note = % x, entry %#x", n, f.Entry)
	}
	if err := Patch(img[:100], base); err == nil {
		t.Error("a truncated image was patched")
	}
	mb := append([]byte(nil), img...)
	le.PutUint32(mb[0x200:], 0x1badb002)
	le.PutUint32(mb[0x204:], 0)
	le.PutUint32(mb[0x208:], uint32(1<<32-0x1badb002))
	if err := Patch(mb, base); err == nil {
		t.Error("an image with a multiboot header was patched")
	}
}
