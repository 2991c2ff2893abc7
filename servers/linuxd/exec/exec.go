// Package exec builds the image of a new Linux program in an empty
// address space, as execve(2) does: it follows "#!" lines, maps the ELF
// segments of the program and of its interpreter (PT_INTERP, the dynamic
// loader of glibc or musl), and writes the initial stack with argv, envp
// and the auxiliary vector that those loaders and libc read.
package exec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
	"syscall"

	"aramid/servers/linuxd/usermem"
)

// Address-space layout of a Linux process, as Linux places things on
// x86-64 without randomization.
const (
	StackTop   = 0x00007ffffffff000
	StackSize  = 8 << 20
	pieBase    = 0x0000555555554000 // where a position-independent program goes
	interpBase = 0x00007f0000000000 // where the dynamic loader goes
	pageSize   = 4096
)

// Protections, as mmap(2)'s PROT_*.
const (
	ProtRead  = 1
	ProtWrite = 2
	ProtExec  = 4
)

// Space is the empty address space a program is loaded into.
type Space interface {
	usermem.Memory
	// Map makes [addr, addr+length) demand-zero memory with prot.
	Map(addr, length uint64, prot int) error
	// Protect changes the protection of [addr, addr+length).
	Protect(addr, length uint64, prot int) error
}

// Files reads the whole file at path, for the interpreter and "#!" lines.
// It answers ENOENT, EACCES (not executable) and the like.
type Files func(path string) ([]byte, error)

// Program is a program ready to be loaded: its file, argv and envp after
// "#!" lines were followed.
type Program struct {
	Path string // the file actually loaded
	File []byte
	Argv []string
	Envp []string
	// Interp is the PT_INTERP file, if the program has one.
	Interp []byte
	// ExecFn is the path the caller gave execve, for AT_EXECFN.
	ExecFn string
}

// Creds are the ids reported in the auxiliary vector.
type Creds struct{ UID, EUID, GID, EGID uint32 }

// Image is what Load leaves for the new thread.
type Image struct {
	Entry, SP uint64
	// Brk is the end of the program's data, where brk(2) starts.
	Brk uint64
	// Args are where argv's strings start and end, and where envp's
	// end, for /proc/<pid>/cmdline (programs rewrite them: setproctitle).
	ArgStart, ArgEnd, EnvEnd uint64
}

// maxScripts bounds "#!" nesting, as Linux's BINPRM_MAX_RECURSION.
const maxScripts = 4

// Prepare reads the program at path and follows "#!" lines, so that every
// error that execve reports before it replaces the caller's image is found
// here, while the caller still exists.
func Prepare(read Files, path string, argv, envp []string) (*Program, error) {
	p := &Program{Path: path, Argv: argv, Envp: envp, ExecFn: path}
	for depth := 0; ; depth++ {
		b, err := read(p.Path)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, []byte("#!")) {
			p.File = b
			break
		}
		if depth == maxScripts {
			return nil, syscall.ELOOP
		}
		interp, arg, err := shebang(b)
		if err != nil {
			return nil, err
		}
		args := []string{interp}
		if arg != "" {
			args = append(args, arg)
		}
		rest := p.Argv
		if len(rest) > 0 {
			rest = rest[1:]
		}
		p.Argv = append(append(args, p.Path), rest...)
		p.Path = interp
	}
	f, err := parse(p.File)
	if err != nil {
		return nil, err
	}
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_INTERP {
			continue
		}
		name, err := interpName(p.File, ph)
		if err != nil {
			return nil, err
		}
		if p.Interp, err = read(name); err != nil {
			return nil, err
		}
		if _, err := parse(p.Interp); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// shebang parses a "#!interpreter [arg]" line: one optional argument, the
// rest of the line, as Linux does.
func shebang(b []byte) (interp, arg string, err error) {
	line := b[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(line) > 255 {
		return "", "", syscall.ENOEXEC
	}
	s := strings.TrimSpace(string(line))
	if s == "" {
		return "", "", syscall.ENOEXEC
	}
	interp = s
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		interp, arg = s[:i], strings.TrimSpace(s[i:])
	}
	return interp, arg, nil
}

func interpName(file []byte, ph *elf.Prog) (string, error) {
	if ph.Filesz == 0 || ph.Filesz > 4096 || ph.Off+ph.Filesz > uint64(len(file)) {
		return "", syscall.ENOEXEC
	}
	return string(bytes.TrimRight(file[ph.Off:ph.Off+ph.Filesz], "\x00")), nil
}

// parse checks that b is an x86-64 ELF executable Aramid can load.
func parse(b []byte) (*elf.File, error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, syscall.ENOEXEC
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || (f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN) {
		return nil, syscall.ENOEXEC
	}
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD {
			continue
		}
		if ph.Filesz > ph.Memsz || ph.Off+ph.Filesz < ph.Off || ph.Off+ph.Filesz > uint64(len(b)) ||
			ph.Vaddr+ph.Memsz < ph.Vaddr || ph.Vaddr+ph.Memsz > interpBase {
			return nil, syscall.ENOEXEC
		}
	}
	return f, nil
}

// loaded is where an ELF file went.
type loaded struct {
	bias, entry, phdr, end uint64
	phnum                  int
}

// loadELF maps the PT_LOAD segments of b, moved by bias if it is
// position-independent.
func loadELF(sp Space, b []byte, bias uint64) (loaded, error) {
	f, err := parse(b)
	if err != nil {
		return loaded{}, err
	}
	if f.Type == elf.ET_EXEC {
		bias = 0
	}
	l := loaded{bias: bias, entry: bias + f.Entry, phnum: len(f.Progs)}
	phoff := binary.LittleEndian.Uint64(b[32:40]) // e_phoff; parse checked the header
	mapped := uint64(0)                           // end of the pages mapped so far, for segments sharing a page
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD || ph.Memsz == 0 {
			continue
		}
		start := (bias + ph.Vaddr) &^ (pageSize - 1)
		end := (bias + ph.Vaddr + ph.Memsz + pageSize - 1) &^ (pageSize - 1)
		if from := max(start, mapped); from < end {
			if err := sp.Map(from, end-from, ProtRead|ProtWrite); err != nil {
				return loaded{}, err
			}
		}
		mapped = max(mapped, end)
		if err := sp.WriteAt(b[ph.Off:ph.Off+ph.Filesz], bias+ph.Vaddr); err != nil {
			return loaded{}, err
		}
		if ph.Off <= phoff && phoff < ph.Off+ph.Filesz {
			l.phdr = bias + ph.Vaddr + phoff - ph.Off
		}
		l.end = max(l.end, end)
	}
	for _, ph := range f.Progs {
		if ph.Type == elf.PT_LOAD && ph.Memsz != 0 {
			start := (bias + ph.Vaddr) &^ (pageSize - 1)
			end := (bias + ph.Vaddr + ph.Memsz + pageSize - 1) &^ (pageSize - 1)
			if err := sp.Protect(start, end-start, prot(ph.Flags)); err != nil {
				return loaded{}, err
			}
		}
	}
	return l, nil
}

func prot(f elf.ProgFlag) int {
	p := 0
	if f&elf.PF_R != 0 {
		p |= ProtRead
	}
	if f&elf.PF_W != 0 {
		p |= ProtWrite
	}
	if f&elf.PF_X != 0 {
		p |= ProtExec
	}
	return p
}

// Load maps p into the empty space sp and writes its initial stack.
// random supplies the 16 bytes of AT_RANDOM; vdso is the address of the
// vDSO image (0: none).
func Load(sp Space, p *Program, c Creds, random [16]byte, vdso uint64) (Image, error) {
	main, err := loadELF(sp, p.File, pieBase)
	if err != nil {
		return Image{}, fmt.Errorf("exec %s: %w", p.Path, err)
	}
	entry, base := main.entry, uint64(0)
	if p.Interp != nil {
		in, err := loadELF(sp, p.Interp, interpBase)
		if err != nil {
			return Image{}, fmt.Errorf("exec %s: interpreter: %w", p.Path, err)
		}
		entry, base = in.entry, in.bias
	}
	if err := sp.Map(StackTop-StackSize, StackSize, ProtRead|ProtWrite); err != nil {
		return Image{}, err
	}
	aux := []uint64{
		atPhdr, main.phdr, atPhent, 56, atPhnum, uint64(main.phnum), atPagesz, pageSize,
		atBase, base, atFlags, 0, atEntry, main.entry, atUID, uint64(c.UID), atEUID, uint64(c.EUID),
		atGID, uint64(c.GID), atEGID, uint64(c.EGID), atHwcap, hwcap, atClktck, 100, atSecure, 0,
	}
	if vdso != 0 {
		aux = append(aux, atSysinfoEhdr, vdso)
	}
	img := Image{Entry: entry, Brk: main.end}
	if err := writeStack(sp, p, aux, random, &img); err != nil {
		return Image{}, err
	}
	return img, nil
}

// Auxiliary vector keys (include/uapi/linux/auxvec.h).
const (
	atNull        = 0
	atPhdr        = 3
	atPhent       = 4
	atPhnum       = 5
	atPagesz      = 6
	atBase        = 7
	atFlags       = 8
	atEntry       = 9
	atUID         = 11
	atEUID        = 12
	atGID         = 13
	atEGID        = 14
	atPlatform    = 15
	atHwcap       = 16
	atClktck      = 17
	atSecure      = 23
	atRandom      = 25
	atExecfn      = 31
	atSysinfoEhdr = 33
	// hwcap is CPUID.1:EDX of QEMU's "max" CPU, the features glibc reads.
	hwcap = 0x178bfbff
)

// writeStack writes the strings, AT_RANDOM bytes, argc, argv, envp and
// auxv at the top of the stack, laid out as Linux does, and records the
// initial stack pointer and where the strings went in img.
func writeStack(sp Space, p *Program, aux []uint64, random [16]byte, img *Image) error {
	var strs []byte
	top := uint64(StackTop)
	place := func(s string) uint64 {
		strs = append(strs, s...)
		strs = append(strs, 0)
		return uint64(len(strs) - len(s) - 1)
	}
	execfn := place(p.ExecFn)
	platform := place("x86_64")
	argv := make([]uint64, len(p.Argv))
	for i, s := range p.Argv {
		argv[i] = place(s)
	}
	envp := make([]uint64, len(p.Envp))
	for i, s := range p.Envp {
		envp[i] = place(s)
	}
	argStart, argEnd, envEnd := uint64(len(strs)), uint64(len(strs)), uint64(len(strs))
	if len(argv) > 0 {
		argStart = argv[0]
	}
	if len(envp) > 0 {
		argEnd = envp[0]
	}
	strs = append(strs, random[:]...)
	if len(strs) > StackSize/4 {
		return syscall.E2BIG
	}
	strBase := (top - uint64(len(strs))) &^ 15
	img.ArgStart, img.ArgEnd, img.EnvEnd = strBase+argStart, strBase+argEnd, strBase+envEnd
	rnd := strBase + uint64(len(strs)) - 16
	aux = append(aux, atRandom, rnd, atExecfn, strBase+execfn, atPlatform, strBase+platform, atNull, 0)
	words := 1 + len(argv) + 1 + len(envp) + 1 + len(aux)
	sp0 := (strBase - uint64(8*words)) &^ 15
	vec := make([]uint64, 0, words)
	vec = append(vec, uint64(len(argv)))
	for _, a := range argv {
		vec = append(vec, strBase+a)
	}
	vec = append(vec, 0)
	for _, e := range envp {
		vec = append(vec, strBase+e)
	}
	vec = append(vec, 0)
	vec = append(vec, aux...)
	block := make([]byte, top-sp0)
	for i, w := range vec {
		binary.LittleEndian.PutUint64(block[8*i:], w)
	}
	copy(block[strBase-sp0:], strs)
	img.SP = sp0
	return sp.WriteAt(block, sp0)
}
