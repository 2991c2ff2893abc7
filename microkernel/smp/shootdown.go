package smp

import (
	"sync/atomic"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/arch/amd64/apic"
	"aramid/microkernel/clock"
	"aramid/microkernel/mm"
)

// down is the current cross-CPU request. Only the holder of the kernel
// lock makes one, so one at a time: it stores req, bumps seq, sends each
// target the shootdown IPI and waits until each has acknowledged seq.
// req is a page-table root whose TLB entries must go (the kernel's root:
// every CPU's), with leaveBit when the space is being destroyed and a CPU
// that has it loaded must load the kernel's instead; 0 asks only that the
// target enter the kernel (sched's way to stop a thread it killed).
var down struct {
	req uint64
	seq uint64
}

const leaveBit = 1

// shootdownTimeout bounds the wait for an acknowledgement; like
// lockTimeout it leaves room for a virtual CPU descheduled by the host.
const shootdownTimeout = 30e9

// ShootDown makes every other CPU that may cache root's entries drop them,
// and waits until each has; with leave, a CPU that has root loaded loads
// the kernel's page tables instead, so root can be freed. The caller holds
// the kernel lock and has flushed its own TLB. mm calls it (mm.ShootDown)
// whenever it narrows or removes a mapping.
//
//go:nosplit
func ShootDown(root uint64, leave bool) {
	if atomic.LoadUint32(&released) == 0 {
		return
	}
	all := root == mm.Kernel.Root
	var targets uint32
	for i := 0; i < ncpus; i++ {
		if s := atomic.LoadUint64(&cpus[i].arch.Space); all || s == root {
			targets |= 1 << i
		}
	}
	req := root
	if leave {
		req |= leaveBit
	}
	request(targets, req)
}

// Stop makes every CPU in mask enter the kernel, and waits until each has:
// the thread it ran is then no longer running (sched kills threads that
// run elsewhere this way). The caller holds the kernel lock.
//
//go:nosplit
func Stop(mask uint32) {
	if mask != 0 {
		request(mask, 0)
	}
}

//go:nosplit
func request(targets uint32, req uint64) {
	me := amd64.ThisCPU().Index
	targets &^= 1 << me
	for i := 0; i < ncpus; i++ {
		if atomic.LoadUint32(&cpus[i].running) == 0 {
			targets &^= 1 << i
		}
	}
	if targets == 0 {
		return
	}
	atomic.StoreUint64(&down.req, req)
	seq := atomic.AddUint64(&down.seq, 1)
	for i := 0; i < ncpus; i++ {
		if targets&(1<<i) != 0 && !apic.SendIPI(cpus[i].apicID, amd64.VectorShootdown) {
			stuck("shootdown IPI not accepted by cpu ", uint64(i))
		}
	}
	for i := 0; i < ncpus; i++ {
		if targets&(1<<i) == 0 {
			continue
		}
		end := clock.Nanotime() + shootdownTimeout
		for atomic.LoadUint64(&cpus[i].acked) < seq {
			if clock.Nanotime() > end {
				stuck("no shootdown answer from cpu ", uint64(i))
			}
		}
	}
}

// Answer carries out the current request on this CPU, if it has not yet,
// and reports whether the CPU must now go through the locked trap path
// (it was asked to stop, or left a space being destroyed, so its thread
// may be dead). The shootdown vector runs it without the kernel lock, and
// Lock while it waits.
//
//go:nosplit
func Answer() bool { return answer() }

//go:nosplit
func answer() bool {
	c := &cpus[amd64.ThisCPU().Index]
	seq := atomic.LoadUint64(&down.seq)
	if atomic.LoadUint64(&c.acked) >= seq {
		return false
	}
	req := atomic.LoadUint64(&down.req)
	root, enter := req&^leaveBit, req == 0
	if cur := amd64.ReadCR3(); root != 0 && (cur == root || root == mm.Kernel.Root) {
		if req&leaveBit != 0 {
			amd64.SetSpace(mm.Kernel.Root)
			enter = true
		} else {
			amd64.WriteCR3(cur)
		}
	}
	atomic.StoreUint64(&c.acked, seq)
	return enter
}
