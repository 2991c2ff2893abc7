package mm

import (
	"syscall"
	"unsafe"

	"aramid/lib/linux"
	"aramid/microkernel/arch/amd64"
)

// User address-space layout.
const (
	UserMin      = 0x10000            // nothing is ever mapped below
	UserMmapBase = 0x0000100000000000 // where mmap without MAP_FIXED allocates
	UserTop      = 0x0000800000000000 // end of the lower half
)

// Space is an address space's memory state: its page tables and the
// window that its mmap calls allocate from. The protection of every page is
// in the page tables themselves (docs/memory.md). The kernel heap is a
// Space too; user spaces share the kernel's upper half.
type Space struct {
	Root   uint64 // PML4 physical address
	Lo, Hi uint64 // mmap window
	Next   uint64 // next unallocated address in the window
	User   bool
	Pages  uint64 // data frames held
	Limit  uint64 // most data frames allowed; 0 = no limit
	// Reserve is how many frames the space must leave free for others: a
	// data page that would take one of the last Reserve frames fails as
	// if memory had run out, and so does a mapping whose page tables
	// would. Linux processes have one, so that no program can take the
	// memory its servers need to go on.
	Reserve uint64
}

// Fault outcomes.
const (
	FaultFixed = iota
	FaultBad   // no mapping allows the access
	FaultLimit // the space is at its memory limit
	FaultOOM   // no physical memory
)

// NewUserSpace sets up an empty user address space limited to limit bytes
// of data pages.
//
//go:nosplit
func NewUserSpace(s *Space, limit uint64) bool {
	root, ok := AllocZeroed()
	if !ok {
		return false
	}
	src, dst := kt.Table(bootPML4), kt.Table(root)
	for i := 256; i < 512; i++ {
		dst[i] = src[i]
	}
	*s = Space{Root: root, Lo: UserMmapBase, Hi: UserTop, Next: UserMmapBase, User: true, Limit: limit / PageSize}
	return true
}

// Mmap reserves anonymous memory in the window, or at addr with
// MAP_FIXED, as demand-zero pages. Hints are ignored. It returns a Linux
// errno on failure.
//
//go:nosplit
func (s *Space) Mmap(addr, length uint64, prot, flags int) (uint64, syscall.Errno) {
	if length == 0 || flags&linux.MAP_ANONYMOUS == 0 || flags&(linux.MAP_SHARED|linux.MAP_PRIVATE) == 0 {
		return 0, syscall.EINVAL
	}
	length = (length + PageSize - 1) &^ (PageSize - 1)
	if flags&linux.MAP_FIXED != 0 {
		if addr%PageSize != 0 || !s.inside(addr, length) {
			return 0, syscall.ENOMEM
		}
	} else {
		if s.Hi-s.Next < length {
			return 0, syscall.ENOMEM
		}
		addr = s.Next
	}
	if !s.setProt(addr, addr+length, prot) {
		return 0, syscall.ENOMEM
	}
	if flags&linux.MAP_FIXED == 0 {
		s.Next += length
	}
	return addr, 0
}

// inside reports whether [addr, addr+n) may be mapped in this space.
//
//go:nosplit
func (s *Space) inside(addr, n uint64) bool {
	if addr+n < addr {
		return false
	}
	if s.User {
		return addr >= UserMin && addr+n <= UserTop
	}
	return addr >= s.Lo && addr+n <= s.Next
}

// Munmap releases [addr, addr+length).
//
//go:nosplit
func (s *Space) Munmap(addr, length uint64) syscall.Errno {
	if addr%PageSize != 0 || length == 0 || !s.inside(addr, length) {
		return syscall.EINVAL
	}
	s.release(addr, addr+length, false)
	return 0
}

// Madvise implements MADV_DONTNEED and MADV_FREE by returning the frames;
// the pages read as zero when touched again. Other advice is accepted and
// ignored, as Linux may.
//
//go:nosplit
func (s *Space) Madvise(addr, length uint64, advice int) syscall.Errno {
	if addr%PageSize != 0 || addr+length < addr {
		return syscall.EINVAL
	}
	if (advice == linux.MADV_DONTNEED || advice == linux.MADV_FREE) && s.inside(addr, length) {
		s.release(addr, addr+length, true)
	}
	return 0
}

// Mprotect changes the protection of [addr, addr+length) in place: mapped
// pages keep their contents, as in Linux. Pages that were never mapped (or
// were PROT_NONE) become demand-zero pages; PROT_NONE drops pages.
//
//go:nosplit
func (s *Space) Mprotect(addr, length uint64, prot int) syscall.Errno {
	length = (length + PageSize - 1) &^ (PageSize - 1)
	if addr%PageSize != 0 || prot&^(linux.PROT_READ|linux.PROT_WRITE|linux.PROT_EXEC) != 0 {
		return syscall.EINVAL
	}
	if !s.inside(addr, length) || prot != 0 && Phys.FreeCount() < s.Reserve+tablesFor(addr, addr+length) {
		return syscall.ENOMEM
	}
	if prot == 0 {
		// Only what is mapped has anything to take away: visit just that.
		VisitRange(&kt, s.Root, addr, addr+length, &revoke)
		s.shootDown()
		return 0
	}
	for va := addr; va < addr+length; va += PageSize {
		e := Walk(&kt, s.Root, va, true, s.User)
		if e == nil {
			return syscall.ENOMEM
		}
		*e = s.protectEntry(*e, prot)
		amd64.Invlpg(uintptr(va))
	}
	s.shootDown()
	return 0
}

// revoker makes the entries it visits inaccessible (mprotect PROT_NONE).
type revoker struct{}

var revoke revoker

//go:nosplit
func (*revoker) Visit(va, pte uint64) uint64 {
	if pte != 0 {
		amd64.Invlpg(uintptr(va))
	}
	return noAccess(pte)
}

// protectEntry returns entry e with protection prot. A present frame that
// others still share (after fork) becomes copy-on-write rather than
// writable. PROT_NONE keeps the frame but takes the user bit away, so the
// contents are there again when access comes back, as in Linux.
//
//go:nosplit
func (s *Space) protectEntry(e uint64, prot int) uint64 {
	if prot == 0 {
		return noAccess(e)
	}
	bits := demandBits(prot, s.User)
	if e&PTEPresent == 0 {
		return PTEDemand | bits
	}
	if e&PTEImage != 0 {
		bits &^= PTEWrite // the bundle's bytes, shared by every process that runs them
	}
	e &^= PTEWrite | PTECOW | PTENoExec | PTEUser
	if bits&PTEWrite != 0 && e&PTEShared == 0 && shared(e&pteAddrMask) {
		return e | bits&^PTEWrite | PTECOW
	}
	return e | bits
}

// noAccess is entry e with PROT_NONE: nothing if it was not present, the
// frame without user access if it was.
//
//go:nosplit
func noAccess(e uint64) uint64 {
	if e&PTEPresent == 0 {
		return 0
	}
	return e &^ (PTEWrite | PTECOW | PTEUser)
}

// demandBits are the entry bits, beside present or demand, of a page with
// protection prot.
//
//go:nosplit
func demandBits(prot int, user bool) uint64 {
	var pte uint64
	if prot&linux.PROT_WRITE != 0 {
		pte |= PTEWrite
	}
	if prot&linux.PROT_EXEC == 0 {
		pte |= PTENoExec
	}
	if user {
		pte |= PTEUser
	}
	return pte
}

// setProt makes [start, end) demand-zero pages with protection prot,
// releasing whatever was there; PROT_NONE leaves the range unmapped. The
// page tables that hold the demand-zero entries must fit in the free
// frames beyond the space's reserve, or nothing changes: a Linux program
// could otherwise map terabytes and take every frame in page tables,
// looping for minutes with interrupts off.
//
//go:nosplit
func (s *Space) setProt(start, end uint64, prot int) bool {
	if prot != 0 && Phys.FreeCount() < s.Reserve+tablesFor(start, end) {
		return false
	}
	s.release(start, end, false)
	if prot == 0 {
		return true
	}
	pte := PTEDemand | demandBits(prot, s.User)
	for va := start; va < end; va += PageSize {
		e := Walk(&kt, s.Root, va, true, s.User)
		if e == nil {
			return false
		}
		*e = pte
	}
	return true
}

// tablesFor is the most page-table frames that entries for [start, end)
// can need: a page table per 2 MiB, a directory per GiB, a pointer table
// per 512 GiB, and one more of each where the range straddles them.
//
//go:nosplit
func tablesFor(start, end uint64) uint64 {
	n := end - start
	return n>>21 + n>>30 + n>>39 + 3
}

// Reset empties the user half for a new program (execve): every page is
// released and the mmap window starts again.
//
//go:nosplit
func (s *Space) Reset() {
	s.release(UserMin, UserTop, false)
	s.Next = s.Lo
}

// Window returns the direct-map bytes of the page holding va from va to the
// page's end, after checking and faulting in the access like Access: the
// way the kernel reads or writes the memory of a process other than the
// current one.
//
//go:nosplit
func (s *Space) Window(va uint64, write bool) ([]byte, bool) {
	if va < UserMin || va >= UserTop {
		return nil, false
	}
	e := s.accessPage(va, write)
	if e == nil {
		return nil, false
	}
	return (*[PageSize]byte)(Ptr(PhysToVirt(*e & pteAddrMask)))[va%PageSize:], true
}

// pageVisitor frees present pages in a range, leaving either nothing or a
// demand-zero entry with the same protection. It lives in a global (the
// trap path cannot allocate) and counts what it freed.
type pageVisitor struct {
	keep  bool
	freed uint64
}

var visitor pageVisitor

//go:nosplit
func (v *pageVisitor) Visit(va, pte uint64) uint64 {
	if pte&PTEPresent == 0 {
		if v.keep {
			return pte
		}
		return 0
	}
	amd64.Invlpg(uintptr(va))
	if pte&PTEShared != 0 {
		return 0 // a memory object's frame: the object frees it
	}
	unshare(pte & pteAddrMask)
	v.freed++
	if v.keep {
		return PTEDemand | pte&(PTEWrite|PTEUser|PTENoExec)
	}
	return 0
}

//go:nosplit
func (s *Space) release(start, end uint64, keep bool) {
	visitor = pageVisitor{keep: keep}
	VisitRange(&kt, s.Root, start, end, &visitor)
	s.Pages -= visitor.freed
	s.shootDown()
}

// Fault resolves a page fault at va by supplying a zeroed frame for a
// demand-zero page.
//
//go:nosplit
func (s *Space) Fault(va uint64, write bool) int {
	if !s.inside(va&^(PageSize-1), PageSize) && !(s.User && va < UserTop) {
		return FaultBad
	}
	e := Walk(&kt, s.Root, va, false, false)
	if e != nil && *e&PTEPresent != 0 && *e&PTECOW != 0 && write {
		return s.breakCOW(e, va)
	}
	if e == nil || *e&PTEPresent != 0 || *e&PTEDemand == 0 || write && *e&PTEWrite == 0 {
		return FaultBad
	}
	if s.Limit != 0 && s.Pages >= s.Limit {
		return FaultLimit
	}
	pa, ok := s.frame()
	if !ok {
		return FaultOOM
	}
	zeroFrame(pa)
	s.Pages++
	*e = pa | PTEPresent | *e&(PTEWrite|PTEUser|PTENoExec)
	amd64.Invlpg(uintptr(va &^ (PageSize - 1)))
	return FaultFixed
}

// frame takes a frame for one of s's data pages, unless that would leave
// fewer than s.Reserve free.
//
//go:nosplit
func (s *Space) frame() (uint64, bool) {
	if Phys.FreeCount() <= s.Reserve {
		return 0, false
	}
	return Phys.Alloc()
}

// Access checks that the user range [addr, addr+n) is mapped for the
// access, and faults in its demand-zero pages, so that the kernel can then
// touch it directly without faulting.
//
//go:nosplit
func (s *Space) Access(addr, n uint64, write bool) bool {
	if n == 0 {
		return true
	}
	if addr+n < addr || addr+n > UserTop || addr < UserMin {
		return false
	}
	for va := addr &^ (PageSize - 1); va < addr+n; va += PageSize {
		if s.accessPage(va, write) == nil {
			return false
		}
	}
	return true
}

// accessPage is Access for the page holding va, with one walk: it returns
// the page's entry, present and allowing the access, or nil. A fault
// rewrites the entry in place (page tables are freed only with their
// space), so the entry found before it is the one to read after it.
//
//go:nosplit
func (s *Space) accessPage(va uint64, write bool) *uint64 {
	e := Walk(&kt, s.Root, va, false, false)
	if e == nil || *e&PTEUser == 0 || write && *e&(PTEWrite|PTECOW) == 0 {
		return nil
	}
	needsFault := *e&PTEPresent == 0 || write && *e&PTECOW != 0
	if needsFault && s.Fault(va, write) != FaultFixed {
		return nil
	}
	return e
}

// A PageRef is where the entry of one user page is and what it held, so
// that the kernel can check with one load that the page is mapped as it
// was (the same frame, present, user-accessible and, if it was, writable)
// instead of walking the page tables again. Page tables are freed only
// with their space, so the entry stays where it is while the space lives.
// The zero PageRef refers to nothing.
type PageRef struct {
	pte uintptr // direct-map address of the entry; not a Go pointer, so the trap path may store it
	val uint64
}

// pteAD are the accessed and dirty bits, which the CPU sets in an entry
// as the page is used.
const pteAD = 1<<5 | 1<<6

// Ref returns a reference to the page holding va if it is present and
// user-accessible, and writable (not copy-on-write) when write is set;
// otherwise the zero PageRef.
//
//go:nosplit
func (s *Space) Ref(va uint64, write bool) PageRef {
	e := Walk(&kt, s.Root, va, false, false)
	if e == nil || *e&(PTEPresent|PTEUser) != PTEPresent|PTEUser || write && *e&PTEWrite == 0 {
		return PageRef{}
	}
	return PageRef{pte: uintptr(unsafe.Pointer(e)), val: *e}
}

// Valid reports whether the page is still mapped as when r was taken.
//
//go:nosplit
func (r PageRef) Valid() bool {
	return r.pte != 0 && (*(*uint64)(Ptr(r.pte))^r.val)&^pteAD == 0
}

// Bytes returns the direct-map bytes of the referenced page from va (an
// address in it) to the page's end, if r is still valid.
//
//go:nosplit
func (r PageRef) Bytes(va uint64) ([]byte, bool) {
	if !r.Valid() {
		return nil, false
	}
	return (*[PageSize]byte)(Ptr(PhysToVirt(r.val & pteAddrMask)))[va%PageSize:], true
}

// accessVisitor clears, or counts, the accessed bits of present pages.
type accessVisitor struct {
	clear bool
	n     uint64
}

var accessed accessVisitor

// touched holds the addresses of the first pages CountAccessed counted.
var touched [64]uint64

// Touched returns the address of the i-th page the last CountAccessed
// counted, for i below both its count and 64; aramid.stages prints them
// (docs/performance.md).
//
//go:nosplit
func Touched(i int) uint64 { return touched[i] }

// pteAccessed is the bit the CPU sets in an entry when it loads the entry
// into the TLB.
const pteAccessed = 1 << 5

//go:nosplit
func (v *accessVisitor) Visit(va, pte uint64) uint64 {
	switch {
	case pte&PTEPresent == 0:
	case v.clear:
		amd64.Invlpg(uintptr(va))
		return pte &^ pteAccessed
	case pte&pteAccessed != 0:
		if v.n < uint64(len(touched)) {
			touched[v.n] = va
		}
		v.n++
	}
	return pte
}

// ClearAccessed clears the accessed bit of every present user page, and
// CountAccessed counts the pages whose bit is set again: the pages the
// process (or the kernel, through its addresses) touched in between.
//
//go:nosplit
func (s *Space) ClearAccessed() {
	accessed = accessVisitor{clear: true}
	VisitRange(&kt, s.Root, UserMin, UserTop, &accessed)
}

// CountAccessed: see ClearAccessed.
//
//go:nosplit
func (s *Space) CountAccessed() uint64 {
	accessed = accessVisitor{}
	VisitRange(&kt, s.Root, UserMin, UserTop, &accessed)
	return accessed.n
}

// MapNew maps a fresh zeroed frame at va with the given user protection and
// returns its direct-map address, for loaders that fill pages.
//
//go:nosplit
func (s *Space) MapNew(va uint64, write, exec bool) (uintptr, bool) {
	e := Walk(&kt, s.Root, va, true, true)
	if e == nil {
		return 0, false
	}
	if *e&PTEPresent != 0 {
		return PhysToVirt(*e & pteAddrMask), true
	}
	pa, ok := s.frame()
	if !ok {
		return 0, false
	}
	zeroFrame(pa)
	s.Pages++
	pte := pa | PTEPresent | PTEUser
	if write {
		pte |= PTEWrite
	}
	if !exec {
		pte |= PTENoExec
	}
	*e = pte
	return PhysToVirt(pa), true
}

// MapShared maps the frames of a memory object at a fresh range of the
// window, user-accessible, and returns its address. The frames stay the
// object's: unmapping does not free them.
//
//go:nosplit
func (s *Space) MapShared(frames []uint64, write bool) (uint64, bool) {
	n := uint64(len(frames)) * PageSize
	if s.Hi-s.Next < n {
		return 0, false
	}
	addr := s.Next
	s.Next += n
	for i, pa := range frames {
		e := Walk(&kt, s.Root, addr+uint64(i)*PageSize, true, true)
		if e == nil {
			return 0, false
		}
		*e = pa | PTEPresent | PTEUser | PTENoExec | PTEShared
		if write {
			*e |= PTEWrite
		}
	}
	return addr, true
}

// MapImage maps the boot bundle's frame at pa read-only at va, executable
// if exec: a page of a program's text or read-only data, shared with every
// other process that runs the program instead of copied into each.
//
//go:nosplit
func (s *Space) MapImage(va, pa uint64, exec bool) bool {
	e := Walk(&kt, s.Root, va, true, true)
	if e == nil || *e&PTEPresent != 0 {
		return false
	}
	*e = pa | PTEPresent | PTEUser | PTEShared | PTEImage
	if !exec {
		*e |= PTENoExec
	}
	return true
}

// Destroy frees every page and page table of the user half.
//
//go:nosplit
func (s *Space) Destroy() {
	if ShootDown != nil {
		ShootDown(s.Root, true)
	}
	s.release(0, UserTop, false)
	pml4 := kt.Table(s.Root)
	for i := 0; i < 256; i++ {
		if pml4[i]&PTEPresent == 0 {
			continue
		}
		pdpt := kt.Table(pml4[i] & pteAddrMask)
		for j := 0; j < 512; j++ {
			if pdpt[j]&PTEPresent == 0 {
				continue
			}
			pd := kt.Table(pdpt[j] & pteAddrMask)
			for k := 0; k < 512; k++ {
				if pd[k]&PTEPresent != 0 && pd[k]&PTEHuge == 0 {
					Phys.Free(pd[k] & pteAddrMask)
				}
			}
			Phys.Free(pdpt[j] & pteAddrMask)
		}
		Phys.Free(pml4[i] & pteAddrMask)
		pml4[i] = 0
	}
	Phys.Free(s.Root)
	s.Root = 0
}
