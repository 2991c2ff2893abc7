// Package mm manages physical memory and the kernel's address space: a
// physical frame allocator, 4-level page tables, the direct map of all RAM,
// and the demand-paged window that backs the Go runtime's mmap calls.
//
// Code here runs on the trap path, before and beside the Go runtime, so it
// is go:nosplit, never allocates and never stores Go pointers after Init.
package mm

import "math/bits"

// PageSize is the size of a base page and of a physical frame.
const PageSize = 4096

// Frames is a bitmap allocator of physical frames: one bit per frame, set
// when the frame is free. A bitmap rather than a free list so that runs of
// contiguous frames (DMA buffers, later) can be found, and so that the state
// is checkable in tests.
type Frames struct {
	bits    []uint64
	nframes uint64
	free    uint64
	next    uint64 // word index where the next search starts
}

// Init makes every frame below limit (bytes) known and in use; AddFree then
// releases the usable ones. bits must hold at least limit/PageSize bits.
//
//go:nosplit
func (a *Frames) Init(bits []uint64, limit uint64) {
	a.bits = bits
	a.nframes = limit / PageSize
	if max := uint64(len(bits)) * 64; a.nframes > max {
		a.nframes = max
	}
	for i := range a.bits {
		a.bits[i] = 0
	}
	a.free, a.next = 0, 0
}

// AddFree marks the whole frames inside [base, base+size) free.
//
//go:nosplit
func (a *Frames) AddFree(base, size uint64) {
	first := (base + PageSize - 1) / PageSize
	end := (base + size) / PageSize
	for f := first; f < end && f < a.nframes; f++ {
		if a.bits[f/64]&(1<<(f%64)) == 0 {
			a.bits[f/64] |= 1 << (f % 64)
			a.free++
		}
	}
}

// Reserve marks every frame touching [base, base+size) in use.
//
//go:nosplit
func (a *Frames) Reserve(base, size uint64) {
	first := base / PageSize
	end := (base + size + PageSize - 1) / PageSize
	for f := first; f < end && f < a.nframes; f++ {
		if a.bits[f/64]&(1<<(f%64)) != 0 {
			a.bits[f/64] &^= 1 << (f % 64)
			a.free--
		}
	}
}

// Alloc takes one free frame and returns its physical address.
//
//go:nosplit
func (a *Frames) Alloc() (pa uint64, ok bool) {
	n := uint64(len(a.bits))
	for i := uint64(0); i < n; i++ {
		w := (a.next + i) % n
		if a.bits[w] == 0 {
			continue
		}
		b := uint64(bits.TrailingZeros64(a.bits[w]))
		f := w*64 + b
		if f >= a.nframes {
			continue
		}
		a.bits[w] &^= 1 << b
		a.free--
		a.next = w
		return f * PageSize, true
	}
	return 0, false
}

// Free returns a frame. Freeing a free frame or one outside the allocator is
// a kernel bug and reports false.
//
//go:nosplit
func (a *Frames) Free(pa uint64) bool {
	f := pa / PageSize
	if pa%PageSize != 0 || f >= a.nframes || a.bits[f/64]&(1<<(f%64)) != 0 {
		return false
	}
	a.bits[f/64] |= 1 << (f % 64)
	a.free++
	return true
}

// FreeCount is the number of free frames.
//
//go:nosplit
func (a *Frames) FreeCount() uint64 { return a.free }
