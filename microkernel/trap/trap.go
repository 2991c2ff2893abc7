// Package trap routes everything that enters the kernel: system calls to
// the hosting layer, page faults to memory management, the timer to the
// scheduler, device interrupts to their drivers, and every other exception
// to the crash reporter.
package trap

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/crash"
	"aramid/microkernel/hosting"
	"aramid/microkernel/irq"
	"aramid/microkernel/mm"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
	"aramid/microkernel/smp"
)

const (
	vecPageFault = 14
	irqTimer     = irq.Base + 0
	irqCOM1      = irq.Base + 4
	irqLast      = irq.Base + irq.Lines - 1
)

// The system-call and user-fault handlers are called through function
// values. The linker budgets about 800 bytes for a chain of nosplit calls,
// sized for goroutine stacks; the trap stacks are 32-64 KiB. An indirect
// call makes it check each handler's chain on its own.
var (
	nativeCall  = proc.Native
	linuxCall   = hosting.Syscall
	forwardCall = proc.Forward
	userFault   = proc.UserFault
	deviceIRQ   = proc.DeviceIRQ
	interrupted = proc.Interrupted
)

// Counts of traps by kind, for the kernel's statistics; DeviceIRQs counts
// the device interrupts (legacy lines other than the timer and COM1) each
// CPU took, which shows where the I/O APIC delivered them.
var (
	Counts struct {
		Syscalls, Native, Faults, Ticks, IRQs uint64
	}
	DeviceIRQs [smp.MaxCPUs]uint64
)

// Handle is the kernel's trap handler (amd64.Handler). It holds the kernel
// lock throughout, except for a TLB shootdown, which it answers first, and
// a CPU's spin for the thread it holds (docs/smp.md).
//
//go:nosplit
func Handle(f *amd64.Frame, fx *amd64.FXArea) {
	if f.Vector == crash.VectorNMI {
		crash.NMI(f)
	}
	if f.Vector == amd64.VectorShootdown {
		smp.EOI()
		if !smp.Answer() {
			return
		}
	}
	smp.Lock()
	if smp.Nested() {
		nested(f, fx)
		smp.Unlock()
		return
	}
	if !Stages.On {
		serve(f, fx)
	} else {
		stageEntry(f)
		serve(f, fx)
		stageExit()
	}
	sched.Kick()
	if sched.Holding() {
		hold(f, fx)
	}
	smp.Unlock()
}

// hold spins, without the kernel lock, for the wake-up of the blocked
// thread this CPU holds instead of going idle, then takes the lock again
// to resume that thread or run another (sched.Spin, docs/smp.md). The
// caller holds the lock.
//
//go:nosplit
func hold(f *amd64.Frame, fx *amd64.FXArea) {
	smp.Unlock()
	sched.Spin()
	smp.Lock()
	sched.Unhold(f, fx)
	sched.Kick()
}

// nested serves a trap taken in kernel code that holds the kernel lock:
// a page fault on the kernel heap, or a system call the runtime makes
// inside a critical section (sched.Lock). It must not switch threads: the
// lock belongs to the CPU, so the thread switched away would keep it
// while the CPU ran others, and every other CPU would wait for it
// forever. A switch here is a kernel bug, reported as one. So it calls
// handle, not serve: a nested trap comes from ring 0, where no thread is
// dead, and whether the thread may stay on this CPU (sched.Leaving: a
// thread made runnable on an idle CPU, a mask changed) is the outer
// trap's to decide as it ends; a switch here would resume another thread
// in place of the interrupted handler.
//
//go:nosplit
func nested(f *amd64.Frame, fx *amd64.FXArea) {
	tid, v, nr := sched.TID(), f.Vector, f.RAX
	handle(f, fx)
	if sched.TID() != tid {
		crash.Blocked(tid, v, nr)
	}
}

// serve handles a trap, but not the system call or fault of a thread that
// was killed while it ran on this CPU: it switches away from it, as from
// a thread whose CPU mask no longer allows this CPU. Only a
// user thread can be killed, and it runs kernel code only here, so only a
// frame from ring 3 can be a dead thread's.
//
//go:nosplit
func serve(f *amd64.Frame, fx *amd64.FXArea) {
	dead := f.CS&3 != 0 && sched.CurrentDead()
	if own := f.Vector == amd64.SyscallVector || f.Vector < 32; !own || !dead {
		handle(f, fx)
	}
	switch sched.Leaving(f.CS&3 != 0) {
	case sched.LeaveDead:
		sched.Reschedule(f, fx)
	case sched.LeaveInterrupted:
		interrupted(f, fx)
	case sched.LeaveMisplaced:
		sched.Yield(f, fx)
	}
}

//go:nosplit
func handle(f *amd64.Frame, fx *amd64.FXArea) {
	count(f.Vector, f.RAX)
	if Profile != nil && Profile.On {
		profile(f)
	}
	user := f.CS&3 != 0
	switch v := f.Vector; {
	case v == amd64.SyscallVector && user && proc.IsLinux():
		if hosting.LocalLinux(f) {
			linuxCall(f, fx)
		} else {
			forwardCall(f, fx)
		}
	case v == amd64.SyscallVector && user && f.RAX >= proc.NativeBase:
		nativeCall(f, fx)
	case v == amd64.SyscallVector:
		linuxCall(f, fx)
	case v < 32 && user:
		userFault(f, fx, amd64.ReadCR2())
	case v == vecPageFault:
		if !kernelFault(amd64.ReadCR2(), f.Err) {
			crash.Fault(f, fx)
		}
	case v < 32:
		crash.Fault(f, fx)
	case v == irqTimer:
		clock.Tick()
		crash.Watchdog()
		sched.Tick(f, fx)
	case v == amd64.VectorAPTimer:
		smp.EOI()
		sched.Tick(f, fx)
	case v == amd64.VectorAPWake:
		smp.EOI()
		if sched.Idle() {
			sched.Yield(f, fx)
		}
	case v == amd64.VectorShootdown, v == amd64.VectorSpurious:
		// answered above, or not to be acknowledged
	case v == irqCOM1:
		hosting.ConsoleInput()
		irq.EOI(4)
	case v <= irqLast:
		DeviceIRQs[amd64.ThisCPU().Index]++
		deviceIRQ(uint8(v - irq.Base)) // masks a driver's line before the EOI
		irq.EOI(uint8(v - irq.Base))
	default:
		console.Print("trap: unexpected vector ")
		console.Dec(v)
		console.Print("\n")
	}
}

// kernelFault resolves a page fault taken in ring 0: in the kernel's heap
// window, or on a demand page of the process whose system call the kernel
// is serving. Another CPU may have resolved it first (mm.Spurious).
//
//go:nosplit
func kernelFault(va, err uint64) bool {
	s := &mm.Kernel
	if va < mm.UserTop {
		p := proc.Current()
		if p == 0 {
			return false
		}
		s = &proc.Procs[p].Space
	}
	return s.Spurious(va, err) || s.Fault(va, err&2 != 0) == mm.FaultFixed
}

// Init installs Handle as the handler of every trap.
//
//go:nosplit
func Init() {
	amd64.Init(Handle)
}

//go:nosplit
func count(v, nr uint64) {
	switch {
	case v == amd64.SyscallVector && nr >= proc.NativeBase:
		Counts.Native++
	case v == amd64.SyscallVector:
		Counts.Syscalls++
	case v < 32:
		Counts.Faults++
	case v == irqTimer:
		Counts.Ticks++
	default:
		Counts.IRQs++
	}
}
