package smp

import (
	"fmt"
	"sync/atomic"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/arch/amd64/apic"
	"aramid/microkernel/clock"
	"aramid/microkernel/mm"
)

// TickHz is a running AP's local timer rate: the boot CPU's PIT rate, so
// a scheduling quantum lasts as long on every CPU.
const TickHz = 1000

var (
	// released is set once the APs run threads; until then nothing but
	// the boot CPU can cache a mapping, and shootdowns are skipped.
	released uint32
	// startCPU makes the calling CPU's idle thread its current thread.
	startCPU func()
)

// Release moves every parked AP into the scheduler and waits until each
// has joined: it loads the kernel's IDT and SYSCALL target, sets its local
// timer to TickHz, runs start under the kernel lock (sched.StartCPU), and
// becomes its idle thread. From then on threads run on every CPU. It runs
// in a goroutine, after Probe.
func Release(start func()) error {
	if ncpus < 2 {
		return nil
	}
	startCPU = start
	mm.ShootDown = ShootDown
	atomic.StoreUint32(&released, 1)
	for i := 1; i < ncpus; i++ {
		c := &cpus[i]
		atomic.StoreUint32(&c.run, 1)
		if atomic.LoadUint32(&c.halted) != 0 {
			fl := amd64.DisableInterrupts()
			apic.SendIPI(c.apicID, amd64.VectorAPWake)
			amd64.RestoreInterrupts(fl)
		}
		for end := clock.Nanotime() + 5e9; atomic.LoadUint32(&c.running) == 0; {
			if clock.Nanotime() > end {
				return fmt.Errorf("cpu %d did not join the scheduler within 5 s", i)
			}
		}
	}
	return nil
}

// Running is how many CPUs run threads.
//
//go:nosplit
func Running() int {
	if atomic.LoadUint32(&released) == 0 {
		return 1
	}
	return ncpus
}

// join is where a released AP leaves its parking loop for good.
//
//go:nosplit
func join(c *cpu) {
	c.arch.Run(c.syscallTop)
	apic.StartTimer(amd64.VectorAPTimer, uint32(c.timerPerMs*1000/TickHz))
	Lock()
	amd64.SetSpace(mm.Kernel.Root) // drops whatever the TLB held
	startCPU()
	atomic.StoreUint32(&c.running, 1)
	Unlock()
	amd64.Idle()
}

// IdleTimer stops the calling AP's local timer when it switches to its
// idle thread (idle) and starts it again when it switches away: an idle AP
// needs no tick, since a thread that becomes runnable is handed to it by
// the wake-up IPI (sched.Kick) and deadlines expire on the boot CPU's
// tick. The caller holds the kernel lock.
//
//go:nosplit
func IdleTimer(idle bool) {
	if idle {
		apic.StartTimer(amd64.VectorAPTimer, 0)
		return
	}
	c := &cpus[amd64.ThisCPU().Index]
	apic.StartTimer(amd64.VectorAPTimer, uint32(c.timerPerMs*1000/TickHz))
}

// Wake sends CPU i the wake-up IPI: it is idle and a thread became
// runnable. The caller holds the kernel lock.
//
//go:nosplit
func Wake(i int) { apic.SendIPI(cpus[i].apicID, amd64.VectorAPWake) }

// EOI acknowledges the local APIC's interrupt on this CPU.
//
//go:nosplit
func EOI() { atomic.StoreUint32((*uint32)(mm.Ptr(amd64.ThisCPU().EOI)), 0) }
