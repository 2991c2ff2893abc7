package proc

import (
	"syscall"
	"unsafe"

	"aramid/lib/linux"
	"aramid/microkernel/console"
	"aramid/microkernel/loader"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// Scratch space for Spawn and spawnCall, which run with interrupts off on
// the one CPU: too large for the trap path's nosplit frames.
var (
	spawnProg loader.Program
	spawnLine [256]byte
	stackArgv [16]uint64
	stackVec  [48]uint64
	stackAuxv [7][2]uint64 // AT_PAGESZ, AT_RANDOM, AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, AT_NULL
)

// Bundle is the boot bundle (the initrd): the programs processes are
// spawned from. Set once at boot.
var Bundle []byte

// Random supplies AT_RANDOM bytes; set at boot.
var Random func() uint64

const (
	stackTop  = 0x00007ffffffff000
	stackSize = 1 << 20
	// envGo keeps a Go program's runtime away from signals, which Aramid
	// does not deliver to native processes.
	envGo = "GODEBUG=asyncpreemptoff=1,decoratemappings=0"
)

// Spawn starts the program named by the first word of cmdline from the
// bundle, with the words as its arguments. If boot is non-empty it becomes
// the child's handle 1 (its bootstrap channel). It returns the process
// index, or an errno.
//
//go:nosplit
func Spawn(cmdline []byte, boot Handle) (int32, syscall.Errno) {
	name := cmdline
	for i, c := range cmdline {
		if c == ' ' {
			name = cmdline[:i]
			break
		}
	}
	img, ok := loader.Find(Bundle, str(name))
	if !ok {
		return 0, syscall.ENOENT
	}
	prog := &spawnProg
	if err := loader.Parse(img, prog); err != nil {
		console.Print("spawn: ")
		console.Write(name)
		console.Print(": ")
		if e, ok := err.(loader.Error); ok {
			console.Print(string(e))
		}
		console.Print("\n")
		return 0, syscall.ENOEXEC
	}
	i, e := newProcess(name, DefaultLimit)
	if e != 0 {
		return 0, e
	}
	p := &Procs[i]
	sp, ok := loadProgram(&p.Space, img, prog, cmdline)
	if !ok {
		Kill(i, StatusMemory)
		return 0, syscall.ENOMEM
	}
	if boot.Kind != KindNone {
		p.Handles[0] = boot
	}
	if sched.SpawnUser(i, p.Space.Root, prog.Entry, sp, p.mask) < 0 {
		Kill(i, StatusMemory)
		return 0, syscall.EAGAIN
	}
	return i, 0
}

// newProcess takes a free slot of the process table for a live process
// called name, with a new pid and an empty address space limited to limit
// bytes. It returns the slot, or an errno.
//
//go:nosplit
func newProcess(name []byte, limit uint64) (int32, syscall.Errno) {
	i := int32(1)
	for ; i < MaxProcs && Procs[i].state != pFree; i++ {
	}
	if i == MaxProcs {
		return 0, syscall.EAGAIN
	}
	p := &Procs[i]
	gen := p.Gen + 1
	*p = Process{}
	p.state, p.Gen = pLive, gen
	p.mask = sched.AnyCPU
	nextPID++
	p.PID = nextPID
	p.nameLen = copy(p.name[:], name)
	if !mm.NewUserSpace(&p.Space, limit) {
		p.state = pFree
		return 0, syscall.ENOMEM
	}
	return i, 0
}

// loadProgram is load, called through a function value. The linker
// budgets about 800 bytes for a chain of nosplit calls, sized for goroutine
// stacks; the trap stacks are 32-64 KiB. An indirect call makes the linker
// check the callee's chain on its own, which is what process creation (deep,
// but rare) needs.
var loadProgram = load

// load maps the program's read-only pages from the bundle (imageFrame),
// copies its other file pages into fresh ones, reserves the stack and
// writes the initial stack; it returns the initial stack pointer. Pages
// past a segment's file bytes are demand-zero, as Linux maps .bss: Go's
// runtime has 32 MiB of .bss (crypto/internal/fips140/drbg.memory) that
// only FIPS mode touches.
//
//go:nosplit
func load(s *mm.Space, img []byte, prog *loader.Program, cmdline []byte) (uint64, bool) {
	for k := 0; k < prog.NSegments; k++ {
		seg := &prog.Segments[k]
		fileEnd := (seg.Vaddr + seg.Filesz + mm.PageSize - 1) &^ (mm.PageSize - 1)
		if end := seg.Vaddr + seg.Memsz; end > fileEnd {
			if _, e := s.Mmap(fileEnd, end-fileEnd, segProt(seg), linux.MAP_FIXED|linux.MAP_ANONYMOUS|linux.MAP_PRIVATE); e != 0 {
				return 0, false
			}
		}
		for va := seg.Vaddr &^ (mm.PageSize - 1); va < min(fileEnd, seg.Vaddr+seg.Memsz); va += mm.PageSize {
			if pa, ok := imageFrame(img, seg, va); ok && s.MapImage(va, pa, seg.Exec) {
				continue
			}
			dst, ok := s.MapNew(va, seg.Write, seg.Exec)
			if !ok {
				return 0, false
			}
			page := (*[mm.PageSize]byte)(mm.Ptr(dst))
			lo, hi := max(va, seg.Vaddr), min(va+mm.PageSize, seg.Vaddr+seg.Filesz)
			if lo < hi {
				copy(page[lo-va:hi-va], img[seg.Off+lo-seg.Vaddr:seg.Off+hi-seg.Vaddr])
			}
		}
	}
	if _, e := s.Mmap(stackTop-stackSize, stackSize, 3, 0x32); e != 0 { // RW, fixed|anon|private
		return 0, false
	}
	top, ok := s.MapNew(stackTop-mm.PageSize, true, false)
	if !ok {
		return 0, false
	}
	return initialStack((*[mm.PageSize]byte)(mm.Ptr(top)), prog, cmdline), true
}

// imageFrame returns the physical frame of img (a file of the boot
// bundle, in the direct map) that holds the page at va of a read-only
// segment, if the page can be mapped from the bundle as it is: the
// segment has no zero-filled tail, the page lies wholly inside the file,
// and the file's bytes sit at the same offset in their frame as at va
// (mkbundle aligns each file to a page).
//
//go:nosplit
func imageFrame(img []byte, seg *loader.Segment, va uint64) (uint64, bool) {
	if seg.Write || seg.Filesz != seg.Memsz || va < seg.Vaddr&^(mm.PageSize-1) {
		return 0, false
	}
	off := seg.Off - seg.Vaddr%mm.PageSize + (va - seg.Vaddr&^(mm.PageSize-1))
	if seg.Off < seg.Vaddr%mm.PageSize || off+mm.PageSize > uint64(len(img)) {
		return 0, false
	}
	pa := uint64(uintptr(unsafe.Pointer(&img[off]))) - mm.DirectBase
	return pa, pa%mm.PageSize == 0
}

// segProt is the mmap protection of a segment's pages.
//
//go:nosplit
func segProt(seg *loader.Segment) int {
	prot := linux.PROT_READ
	if seg.Write {
		prot |= linux.PROT_WRITE
	}
	if seg.Exec {
		prot |= linux.PROT_EXEC
	}
	return prot
}

// initialStack writes argc, argv, envp and auxv into the top stack page, as
// Linux does, and returns the user stack pointer.
//
//go:nosplit
func initialStack(page *[mm.PageSize]byte, prog *loader.Program, cmdline []byte) uint64 {
	const base = stackTop - mm.PageSize
	off := len(page)
	argv := &stackArgv
	argc := 0
	for i := 0; i < len(cmdline) && argc < len(argv); {
		for i < len(cmdline) && cmdline[i] == ' ' {
			i++
		}
		j := i
		for j < len(cmdline) && cmdline[j] != ' ' {
			j++
		}
		if j > i {
			argv[argc] = putStr(page, &off, str(cmdline[i:j]))
			argc++
		}
		i = j
	}
	env := putStr(page, &off, envGo)
	off -= 16
	rnd := base + uint64(off)
	for i := 0; i < 16; i += 8 {
		v := Random()
		for j := 0; j < 8; j++ {
			page[off+i+j] = byte(v >> (8 * j))
		}
	}
	off &^= 15
	vec := &stackVec
	n := 0
	vec[n] = uint64(argc)
	n++
	for k := 0; k < argc; k++ {
		vec[n] = argv[k]
		n++
	}
	vec[n], vec[n+1], vec[n+2] = 0, env, 0
	n += 3
	auxv := &stackAuxv
	*auxv = [...][2]uint64{{6, mm.PageSize}, {25, rnd}, {3, prog.Phdr}, {4, 56}, {5, prog.Phnum}, {9, prog.Entry}, {0, 0}}
	for _, kv := range auxv {
		vec[n], vec[n+1] = kv[0], kv[1]
		n += 2
	}
	off -= n * 8
	off &^= 15
	for k := 0; k < n; k++ {
		for b := 0; b < 8; b++ {
			page[off+8*k+b] = byte(vec[k] >> (8 * b))
		}
	}
	return base + uint64(off)
}

// putStr stores a NUL-terminated copy of s below *off in the top stack page
// and returns its user address.
//
//go:nosplit
func putStr(page *[mm.PageSize]byte, off *int, s string) uint64 {
	*off -= len(s) + 1
	copy(page[*off:], s)
	page[*off+len(s)] = 0
	return stackTop - mm.PageSize + uint64(*off)
}

// spawn is Spawn, called through a function value so that the linker
// checks its nosplit chain (loading, and Kill when loading fails) apart
// from the system call's (docs/runtime-hosting.md).
var spawn = Spawn

// spawnCall is process_spawn(cmdline, len, bootstrap handle, mask): it
// returns a process handle. A mask other than 0 places the process as
// affinity would (limited to the CPUs that run threads, EINVAL if none is
// left), but before it runs: placed after the spawn, its first thread
// could already have run on another CPU.
//
//go:nosplit
func spawnCall(p int32, cmd, n, boot, mask uint64) uint64 {
	if mask != 0 {
		if mask &= sched.Online(); mask == 0 {
			return neg(syscall.EINVAL)
		}
	}
	if n == 0 || n > 256 || !space(p).Access(cmd, n, false) {
		return neg(syscall.EFAULT)
	}
	line := &spawnLine
	copy(line[:n], userBytes(cmd, n))
	var bh Handle
	if boot != 0 {
		hd, e := lookupHandle(p, boot, KindChannel, RightTransfer)
		if e != 0 {
			return neg(e)
		}
		bh = *hd
	}
	child, e := spawn(line[:n], bh)
	if e != 0 {
		return neg(e)
	}
	if boot != 0 {
		Procs[p].Handles[boot-1] = Handle{}
	}
	if mask != 0 { // no other CPU can run the new thread before the lock is let go
		Procs[child].mask = mask
		sched.SetProcMask(child, mask)
	}
	Procs[child].refs++
	v := install(p, Handle{Kind: KindProcess, Rights: RightWait | RightTransfer | RightDup, Obj: child})
	if v == 0 {
		Procs[child].refs--
		return neg(syscall.EMFILE)
	}
	return v
}

// ExitWordAddr returns the address of process i's ExitWord, for kernel
// goroutines that wait for it with futex.
func ExitWordAddr(i int32) uintptr { return exitWordAddr(i) }
