// Package tasktest is a fake microkernel for linuxd's host tests: Linux
// processes whose memory is a map of pages and whose threads are ids, with
// every reply recorded.
package tasktest

import (
	"maps"
	"sync"
	"syscall"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
)

const pageSize = 4096

// Host implements task.Host.
type Host struct {
	mu      sync.Mutex
	nextTID int
	// Online is the mask of CPUs that run threads; masks maps a thread
	// to its CPU mask, if it was set.
	Online uint64
	masks  map[int]uint64
	// Replies are the replies sent, in order.
	Replies []abi.LinuxReply
	// Woken receives every reply sent outside the dispatcher's return
	// value (by a goroutine of a call that waited, or to a forked child).
	Woken chan abi.LinuxReply
}

// NewHost returns a fake kernel with two CPUs whose thread ids start at
// 100.
func NewHost() *Host {
	return &Host{nextTID: 100, Online: 3, masks: map[int]uint64{}, Woken: make(chan abi.LinuxReply, 64)}
}

func (h *Host) tid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextTID++
	return h.nextTID
}

// Create implements task.Host.
func (h *Host) Create(string, uint64) (task.Proc, error) {
	return &Proc{h: h, pages: map[uint64][]byte{}, prot: map[uint64]int{}}, nil
}

// Fork implements task.Host: the child's memory is a copy, and its thread
// has the CPU mask of thread tid.
func (h *Host) Fork(parent task.Proc, tid int, _ uint64) (task.Proc, int, error) {
	p := parent.(*Proc)
	c := &Proc{h: h, pages: map[uint64][]byte{}, prot: maps.Clone(p.prot)}
	for a, b := range p.pages {
		c.pages[a] = append([]byte(nil), b...)
	}
	ct := h.tid()
	h.mu.Lock()
	defer h.mu.Unlock()
	if m, ok := h.masks[tid]; ok {
		h.masks[ct] = m
	}
	return c, ct, nil
}

// Reply implements task.Host.
func (h *Host) Reply(r *abi.LinuxReply) error {
	h.mu.Lock()
	h.Replies = append(h.Replies, *r)
	h.mu.Unlock()
	h.Woken <- *r
	return nil
}

// Proc implements task.Proc.
type Proc struct {
	h      *Host
	pages  map[uint64][]byte
	prot   map[uint64]int // each page's protection as VM last set it
	Killed bool
	Status int
	// Interrupted lists the threads Interrupt was asked for, in order.
	Interrupted []int
	// FutexWoken lists the addresses of FutexWake's calls.
	FutexWoken []uint64
	next       uint64
}

// Map makes addr..addr+n zeroed, writable memory.
func (p *Proc) Map(addr, n uint64) {
	for a := addr &^ (pageSize - 1); a < addr+n; a += pageSize {
		if p.pages[a] == nil {
			p.pages[a] = make([]byte, pageSize)
		}
	}
}

func (p *Proc) access(b []byte, addr uint64, write bool) error {
	for n := 0; n < len(b); {
		a := addr + uint64(n)
		pg := p.pages[a&^(pageSize-1)]
		if pg == nil {
			return syscall.EFAULT
		}
		if write {
			n += copy(pg[a%pageSize:], b[n:])
		} else {
			n += copy(b[n:], pg[a%pageSize:])
		}
	}
	return nil
}

// ReadAt implements usermem.Memory.
func (p *Proc) ReadAt(b []byte, addr uint64) error { return p.access(b, addr, false) }

// WriteAt implements usermem.Memory.
func (p *Proc) WriteAt(b []byte, addr uint64) error { return p.access(b, addr, true) }

// VM implements task.Proc, refusing what the kernel refuses: an empty
// mapping or a fixed one at an address off a page boundary, and an
// unmapping that is empty or starts off a page boundary.
func (p *Proc) VM(op int, addr, length uint64, prot int) (uint64, error) {
	switch op {
	case abi.VMMap:
		if length == 0 {
			return 0, syscall.EINVAL
		}
		if addr%pageSize != 0 {
			return 0, syscall.ENOMEM
		}
		if addr == 0 {
			p.next += 1 << 30
			addr = 0x100000000000 + p.next
		}
		p.Map(addr, length)
		p.protect(addr, length, prot)
		return addr, nil
	case abi.VMUnmap:
		if addr%pageSize != 0 || length == 0 {
			return 0, syscall.EINVAL
		}
		for a := addr; a < addr+length; a += pageSize {
			delete(p.pages, a)
			delete(p.prot, a)
		}
	case abi.VMProtect:
		p.protect(addr, length, prot)
	case abi.VMReset:
		p.pages = map[uint64][]byte{}
		p.prot = map[uint64]int{}
	}
	return 0, nil
}

func (p *Proc) protect(addr, length uint64, prot int) {
	for a := addr; a < addr+length; a += pageSize {
		p.prot[a] = prot
	}
}

// Prot returns the protection VM last gave the page at addr (PROT_READ,
// PROT_WRITE, PROT_EXEC bits), 0 if none.
func (p *Proc) Prot(addr uint64) int { return p.prot[addr&^(pageSize-1)] }

// StartThread implements task.Proc.
func (p *Proc) StartThread(_ *abi.Regs, like int) (int, error) {
	tid := p.h.tid()
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	if m, ok := p.h.masks[like]; ok {
		p.h.masks[tid] = m
	}
	return tid, nil
}

// Affinity implements task.Proc, as the kernel's affinity call does.
func (p *Proc) Affinity(tid int, mask uint64) (uint64, error) {
	h := p.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if mask != 0 {
		if mask &= h.Online; mask == 0 {
			return 0, syscall.EINVAL
		}
		h.masks[tid] = mask
	}
	if m, ok := h.masks[tid]; ok {
		return m & h.Online, nil
	}
	return h.Online, nil
}

// Kill implements task.Proc.
func (p *Proc) Kill(status int) error {
	p.Killed, p.Status = true, status
	return nil
}

// FutexWake implements task.Proc, noting the address in FutexWoken.
func (p *Proc) FutexWake(addr uint64, _ int) error {
	p.FutexWoken = append(p.FutexWoken, addr)
	return nil
}

// Interrupt implements task.Proc.
func (p *Proc) Interrupt(tid int) error {
	p.Interrupted = append(p.Interrupted, tid)
	return nil
}

// Close implements task.Proc.
func (p *Proc) Close() error { return nil }
