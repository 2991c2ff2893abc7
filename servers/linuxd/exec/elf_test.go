package exec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/linuxd/usermem"
)

// seg is one program header of a test ELF file.
type seg struct {
	typ                       elf.ProgType
	flags                     elf.ProgFlag
	off, vaddr, filesz, memsz uint64
}

// elfFile builds an x86-64 ELF file of size bytes (the ELF header, then
// the program headers at 64) whose bytes from 64+56*len(segs) on are
// their offset's low byte, so that tests can tell which file byte landed
// where.
func elfFile(typ elf.Type, entry uint64, size int, segs ...seg) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i)
	}
	copy(b, "\x7fELF\x02\x01\x01")
	clear(b[7:64])
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(typ))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], uint16(len(segs)))
	for i, s := range segs {
		p := b[64+56*i:]
		le.PutUint32(p[0:], uint32(s.typ))
		le.PutUint32(p[4:], uint32(s.flags))
		le.PutUint64(p[8:], s.off)
		le.PutUint64(p[16:], s.vaddr)
		le.PutUint64(p[24:], s.vaddr)
		le.PutUint64(p[32:], s.filesz)
		le.PutUint64(p[40:], s.memsz)
		le.PutUint64(p[48:], pageSize)
	}
	return b
}

// TestParseLimits: a PT_LOAD segment must lie within the file, have no
// more file bytes than memory bytes, and end at or below where the
// dynamic loader goes; anything else is ENOEXEC, as are files of another
// class, machine or type.
func TestParseLimits(t *testing.T) {
	load := func(off, vaddr, filesz, memsz uint64) []byte {
		return elfFile(elf.ET_EXEC, 0x400000, 4096, seg{elf.PT_LOAD, elf.PF_R, off, vaddr, filesz, memsz})
	}
	for _, c := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"whole file", load(0, 0x400000, 4096, 4096), true},
		{"filesz = memsz + 1", load(0, 0x400000, 101, 100), false},
		{"ends one byte past the file", load(1, 0x400000, 4096, 4096), false},
		{"offset wraps", load(1<<64-8, 0x400000, 16, 16), false},
		{"ends at the loader's base", load(0, interpBase-4096, 4096, 4096), true},
		{"ends one byte above it", load(0, interpBase-4095, 4096, 4096), false},
		{"address wraps", load(0, 1<<64-4096, 0, 8192), false},
		{"ET_DYN", func() []byte { b := load(0, 0, 4096, 4096); b[16] = byte(elf.ET_DYN); return b }(), true},
		{"ET_REL", func() []byte { b := load(0, 0, 4096, 4096); b[16] = byte(elf.ET_REL); return b }(), false},
		{"ELFCLASS32", func() []byte { b := load(0, 0, 4096, 4096); b[4] = 1; return b }(), false},
		{"EM_386", func() []byte { b := load(0, 0, 4096, 4096); b[18] = byte(elf.EM_386); return b }(), false},
		{"not ELF", []byte("hello"), false},
	} {
		_, err := parse(c.b)
		if c.ok && err != nil || !c.ok && err != syscall.ENOEXEC {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestLoadSegments maps a program whose data segment shares a page with
// its text: file bytes land at their addresses, the rest of memsz is
// zero, each page gets its segment's protection (the later segment's on
// the shared page), brk starts after the last page, and AT_PHDR points
// at the program headers inside the first segment.
func TestLoadSegments(t *testing.T) {
	const base = 0x400000
	b := elfFile(elf.ET_EXEC, base+0x100, 0x3000,
		seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, base, 0x1800, 0x1800},
		seg{elf.PT_LOAD, elf.PF_R | elf.PF_W, 0x1800, base + 0x1800, 0x800, 0x2000},
		seg{elf.PT_LOAD, elf.PF_R | elf.PF_W, 0x1900, base + 0x3900, 0, 0x10}, // within the last mapped page
		seg{elf.PT_LOAD, elf.PF_R, 0x2000, base + 0x10000, 0, 0},              // empty: not mapped
	)
	s := newSpace()
	img, err := Load(s, &Program{Path: "/p", File: b, Argv: []string{"p"}, ExecFn: "/p"}, Creds{}, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Entry != base+0x100 || img.Brk != base+0x4000 {
		t.Errorf("entry %#x brk %#x, want %#x %#x", img.Entry, img.Brk, base+0x100, base+0x4000)
	}
	got := make([]byte, 0x3800)
	if err := s.ReadAt(got, base); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte(nil), b[:0x2000]...), make([]byte, 0x1800)...)
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Errorf("memory differs from the file from %#x", base+i)
	}
	for a, p := range map[uint64]int{base: ProtRead | ProtExec, base + 0x1000: ProtRead | ProtWrite, base + 0x3000: ProtRead | ProtWrite} {
		if s.prot[a] != p {
			t.Errorf("page %#x: prot %d, want %d", a, s.prot[a], p)
		}
	}
	if s.pages[base+0x10000] != nil || s.pages[base+0x4000] != nil {
		t.Error("pages mapped beyond the segments")
	}
	aux := auxv(t, s, img.SP)
	if aux[atPhdr] != base+64 || aux[atPhnum] != 4 || aux[atPhent] != 56 || aux[atEntry] != base+0x100 || aux[atBase] != 0 {
		t.Errorf("auxv phdr %#x phnum %d phent %d entry %#x base %#x", aux[atPhdr], aux[atPhnum], aux[atPhent], aux[atEntry], aux[atBase])
	}
}

// TestPhdrSegment: AT_PHDR is found in the segment whose file range holds
// e_phoff, here the first by address, starting at e_phoff itself; the
// ELF header's own segment ends just before it.
func TestPhdrSegment(t *testing.T) {
	const base = 0x400000
	b := elfFile(elf.ET_EXEC, base+0x100, 0x1000,
		seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 64, base + 64, 0x1000 - 64, 0x1000 - 64},
		seg{elf.PT_LOAD, elf.PF_R, 0, base + 0x1000, 64, 64})
	s := newSpace()
	img, err := Load(s, &Program{Path: "/p", File: b}, Creds{}, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := auxv(t, s, img.SP)[atPhdr]; got != base+64 {
		t.Errorf("AT_PHDR %#x, want %#x", got, base+64)
	}
}

// TestLoadPIEWithInterpreter: a position-independent program goes at
// Linux's non-randomised PIE base, its PT_INTERP loader at the loader
// base, and the thread starts in the loader, which finds the program
// through AT_ENTRY, AT_PHDR and AT_BASE.
func TestLoadPIEWithInterpreter(t *testing.T) {
	const interp = "/lib/ld-musl-x86_64.so.1"
	prog := elfFile(elf.ET_DYN, 0x1040, 0x2000,
		seg{elf.PT_PHDR, elf.PF_R, 64, 64, 3 * 56, 3 * 56},
		seg{elf.PT_INTERP, elf.PF_R, 0x1000, 0x1000, uint64(len(interp) + 1), uint64(len(interp) + 1)},
		seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0, 0x2000, 0x2000})
	copy(prog[0x1000:], interp+"\x00")
	ld := elfFile(elf.ET_DYN, 0x20, 0x1000, seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0, 0x1000, 0x1000})
	fs := files(map[string][]byte{"/p": prog, interp: ld})
	p, err := Prepare(fs, "/p", []string{"p"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Interp, ld) {
		t.Fatal("the interpreter was not read")
	}
	s := newSpace()
	img, err := Load(s, p, Creds{}, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	aux := auxv(t, s, img.SP)
	if img.Entry != interpBase+0x20 || aux[atEntry] != pieBase+0x1040 || aux[atBase] != interpBase || aux[atPhdr] != pieBase+64 {
		t.Errorf("entry %#x, AT_ENTRY %#x AT_BASE %#x AT_PHDR %#x", img.Entry, aux[atEntry], aux[atBase], aux[atPhdr])
	}
	if img.Brk != pieBase+0x2000 {
		t.Errorf("brk %#x: the program's end, not the loader's", img.Brk)
	}

	for name, c := range map[string]struct {
		off, size uint64
		files     map[string][]byte
		want      error
	}{
		"missing loader":     {0x1000, uint64(len(interp) + 1), map[string][]byte{}, syscall.ENOENT},
		"loader not ELF":     {0x1000, uint64(len(interp) + 1), map[string][]byte{interp: []byte("#!x")}, syscall.ENOEXEC},
		"empty PT_INTERP":    {0x1000, 0, map[string][]byte{interp: ld}, syscall.ENOEXEC},
		"PT_INTERP too long": {0, 4097, map[string][]byte{interp: ld}, syscall.ENOEXEC},
		"past the file end":  {0x2000 + 4097 - 10, 11, map[string][]byte{interp: ld}, syscall.ENOEXEC},
		"at the file end":    {0x2000 + 4097 - uint64(len(interp)), uint64(len(interp)), map[string][]byte{interp: ld}, nil},
		"4096 bytes":         {0x1000, 0x1000, map[string][]byte{"/" + strings.Repeat("l", 4095): ld}, nil},
	} {
		b := elfFile(elf.ET_DYN, 0x1040, 0x2000+4097,
			seg{elf.PT_INTERP, elf.PF_R, c.off, 0, c.size, c.size},
			seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0, 0x2000, 0x2000})
		copy(b[0x1000:], interp+"\x00")
		if c.off+c.size == uint64(len(b)) {
			copy(b[c.off:], interp)
		}
		if c.size == 0x1000 {
			copy(b[0x1000:], "/"+strings.Repeat("l", 4095))
		}
		c.files["/p"] = b
		if _, err := Prepare(files(c.files), "/p", []string{"p"}, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: Prepare = %v, want %v", name, err, c.want)
		}
	}
}

// auxv reads the auxiliary vector of the initial stack at sp.
func auxv(t *testing.T, s *space, sp uint64) map[uint64]uint64 {
	t.Helper()
	a := sp + 8
	for _, vec := 0, 0; vec < 2; a += 8 { // skip argv and envp
		if w, _ := usermem.U64(s, a); w == 0 {
			vec++
		}
	}
	out := map[uint64]uint64{}
	for ; ; a += 16 {
		k, err := usermem.U64(s, a)
		if err != nil {
			t.Fatal(err)
		}
		if k == atNull {
			return out
		}
		out[k], _ = usermem.U64(s, a+8)
	}
}

// TestInitialStack checks the stack execve leaves, laid out as Linux's
// create_elf_tables: argc, argv pointers, NULL, envp pointers, NULL, the
// auxiliary vector to AT_NULL, then the strings and AT_RANDOM's bytes at
// the top; 16-byte aligned, with the ids, the vDSO and the strings that
// AT_EXECFN and AT_PLATFORM name.
func TestInitialStack(t *testing.T) {
	b := elfFile(elf.ET_EXEC, 0x400000, 4096, seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0x400000, 4096, 4096})
	argv, envp := []string{"prog", "", "third arg"}, []string{"HOME=/", "TERM=vt100"}
	s := newSpace()
	rnd := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}
	img, err := Load(s, &Program{Path: "/bin/prog", File: b, Argv: argv, Envp: envp, ExecFn: "./prog"},
		Creds{UID: 1, EUID: 2, GID: 3, EGID: 4}, rnd, 0x7fff0000)
	if err != nil {
		t.Fatal(err)
	}
	if img.SP%16 != 0 || img.SP >= StackTop || img.SP < StackTop-4096 {
		t.Errorf("sp %#x", img.SP)
	}
	word := func(i int) uint64 {
		w, err := usermem.U64(s, img.SP+8*uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	str := func(a uint64) string {
		v, err := usermem.CString(s, a, 4096)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if word(0) != 3 {
		t.Fatalf("argc %d", word(0))
	}
	for i, a := range argv {
		if got := str(word(1 + i)); got != a {
			t.Errorf("argv[%d] = %q, want %q", i, got, a)
		}
	}
	for i, e := range envp {
		if got := str(word(5 + i)); got != e {
			t.Errorf("envp[%d] = %q, want %q", i, got, e)
		}
	}
	if word(4) != 0 || word(7) != 0 {
		t.Error("argv or envp not NULL-terminated")
	}
	aux := auxv(t, s, img.SP)
	for k, v := range map[uint64]uint64{atUID: 1, atEUID: 2, atGID: 3, atEGID: 4, atPagesz: 4096, atClktck: 100,
		atSysinfoEhdr: 0x7fff0000, atSecure: 0, atFlags: 0, atHwcap: hwcap, atEntry: 0x400000} {
		if aux[k] != v {
			t.Errorf("auxv[%d] = %#x, want %#x", k, aux[k], v)
		}
	}
	if got := str(aux[atExecfn]); got != "./prog" {
		t.Errorf("AT_EXECFN %q", got)
	}
	if got := str(aux[atPlatform]); got != "x86_64" {
		t.Errorf("AT_PLATFORM %q", got)
	}
	var r [16]byte
	if err := s.ReadAt(r[:], aux[atRandom]); err != nil || r != rnd || aux[atRandom]+16 > StackTop {
		t.Errorf("AT_RANDOM at %#x: %v", aux[atRandom], r)
	}
	strs := make([]byte, img.EnvEnd-img.ArgStart)
	if err := s.ReadAt(strs, img.ArgStart); err != nil {
		t.Fatal(err)
	}
	if string(strs) != "prog\x00\x00third arg\x00HOME=/\x00TERM=vt100\x00" || img.ArgEnd-img.ArgStart != 16 {
		t.Errorf("strings %q, argv's %d bytes", strs, img.ArgEnd-img.ArgStart)
	}

	// No argv or envp at all: empty vectors, and empty string ranges.
	s = newSpace()
	img, err = Load(s, &Program{Path: "/p", File: b}, Creds{}, rnd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if word(0) != 0 || word(1) != 0 || word(2) != 0 || img.ArgStart != img.ArgEnd || img.ArgEnd != img.EnvEnd {
		t.Errorf("empty argv: argc %d, strings %#x %#x %#x", word(0), img.ArgStart, img.ArgEnd, img.EnvEnd)
	}
	if _, ok := auxv(t, s, img.SP)[atSysinfoEhdr]; ok {
		t.Error("AT_SYSINFO_EHDR without a vDSO")
	}

	// Strings beyond a quarter of the stack are E2BIG, as Linux's limit.
	big := []string{strings.Repeat("x", StackSize/4)}
	if _, err := Load(newSpace(), &Program{Path: "/p", File: b, Argv: big}, Creds{}, rnd, 0); err != syscall.E2BIG {
		t.Errorf("argv of %d bytes: %v, want E2BIG", len(big[0]), err)
	}
	fit := []string{strings.Repeat("x", StackSize/4-len("x86_64")-2-16-1)}
	if _, err := Load(newSpace(), &Program{Path: "", File: b, Argv: fit}, Creds{}, rnd, 0); err != nil {
		t.Errorf("strings of exactly a quarter of the stack: %v", err)
	}
}

// TestShebangLines covers "#!" parsing as Linux does it: one optional
// argument (the rest of the line, trimmed), a tab as separator, a line
// without newline up to 255 bytes, nesting up to four scripts, and an
// empty argv.
func TestShebangLines(t *testing.T) {
	prog := elfFile(elf.ET_EXEC, 0x400000, 4096, seg{elf.PT_LOAD, elf.PF_R, 0, 0x400000, 4096, 4096})
	long := "/" + strings.Repeat("i", 254)
	m := map[string][]byte{
		"/bin/i": prog, long: prog,
		"/a":     []byte("#!  /bin/i   -x  y  \nrest"),
		"/tab":   []byte("#!/bin/i\t-e"),
		"/noarg": []byte("#!/bin/i\n"),
		"/long":  []byte("#!" + long),
		"/over":  []byte("#!" + long + "i"),
		"/s1":    []byte("#!/s2\n"), "/s2": []byte("#!/s3\n"), "/s3": []byte("#!/s4\n"), "/s4": []byte("#!/bin/i\n"),
		"/s0": []byte("#!/s1\n"),
		"/nl": []byte("#!\n/bin/i\n"),
	}
	for path, want := range map[string][]string{
		"/a":     {"/bin/i", "-x  y", "/a", "1"},
		"/tab":   {"/bin/i", "-e", "/tab", "1"},
		"/noarg": {"/bin/i", "/noarg", "1"},
		"/long":  {long, "/long", "1"},
		"/s1":    {"/bin/i", "/s4", "/s3", "/s2", "/s1", "1"},
	} {
		p, err := Prepare(files(m), path, []string{"name", "1"}, nil)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if strings.Join(p.Argv, "|") != strings.Join(want, "|") || p.Path != want[0] || p.ExecFn != path {
			t.Errorf("%s: path %q argv %q, want %q", path, p.Path, p.Argv, want)
		}
	}
	if _, err := Prepare(files(m), "/over", nil, nil); err != syscall.ENOEXEC {
		t.Errorf("a 256-byte line without newline: %v, want ENOEXEC", err)
	}
	if _, err := Prepare(files(m), "/nl", nil, nil); err != syscall.ENOEXEC {
		t.Errorf("an empty #! line: %v, want ENOEXEC", err)
	}
	if _, err := Prepare(files(m), "/s0", nil, nil); err != syscall.ELOOP {
		t.Errorf("five nested scripts: %v, want ELOOP", err)
	}
	p, err := Prepare(files(m), "/noarg", nil, nil)
	if err != nil || strings.Join(p.Argv, "|") != "/bin/i|/noarg" {
		t.Errorf("empty argv: %q, %v", p.Argv, err)
	}
}
