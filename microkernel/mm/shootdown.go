package mm

import "aramid/microkernel/arch/amd64"

// ShootDown, when set (smp.ShootDown, once other CPUs run threads), makes
// every other CPU that may cache the entries of the space rooted at root
// drop them, and waits until each has; with leave, the space is about to
// be freed and a CPU that has it loaded switches to the kernel's. The
// caller holds the kernel lock. A Space calls it after it flushed its own
// CPU's entries, whenever a mapping goes away or loses rights (munmap,
// madvise, mprotect, a COW break that moves a page, fork's COW marking,
// Destroy); frames freed before the call cannot be handed out again until
// the caller lets go of the lock, by which time no CPU can reach them.
var ShootDown func(root uint64, leave bool)

//go:nosplit
func (s *Space) shootDown() {
	if ShootDown != nil {
		ShootDown(s.Root, false)
	}
}

// Spurious reports whether a page fault at va with error code err (the
// CPU's: bit 1 a write, bit 2 from ring 3, bit 4 an instruction fetch) is
// one the page tables already allow: another CPU resolved the same fault
// first, or this CPU's TLB held an entry since upgraded. The stale entry
// is dropped and the access can simply run again.
//
//go:nosplit
func (s *Space) Spurious(va, err uint64) bool {
	e := Walk(&kt, s.Root, va, false, false)
	if e == nil || *e&PTEPresent == 0 || *e&PTECOW != 0 {
		return false
	}
	switch {
	case err&2 != 0 && *e&PTEWrite == 0,
		err&4 != 0 && *e&PTEUser == 0,
		err&16 != 0 && *e&PTENoExec != 0:
		return false
	}
	amd64.Invlpg(uintptr(va &^ (PageSize - 1)))
	return true
}
