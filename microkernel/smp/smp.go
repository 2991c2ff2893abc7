// Package smp finds the machine's processors in the ACPI MADT and, when
// asked (aramid.smp), starts the application processors (APs) with
// INIT-SIPI-SIPI, gives each its own GDT, TSS, IST stacks, per-CPU data
// reached through GS, and calibrated local APIC timer, and parks it: a halt
// loop with interrupts on that runs no thread. A parked CPU answers one
// thing, the mailbox of its cpu record, which is how the boot CPU measures
// cross-CPU round trips (Probe). docs/smp.md has the design and what comes
// next.
package smp

import (
	"sync/atomic"

	"aramid/microkernel/acpi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/arch/amd64/apic"
	"aramid/microkernel/boot/pvh"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/dev"
	"aramid/microkernel/irq"
	"aramid/microkernel/mm"
)

// MaxCPUs bounds the CPU table; further CPUs in the MADT stay unstarted.
const MaxCPUs = 16

// ParkHz is the rate of a parked CPU's local timer: enough to show that it
// runs, rare enough to cost an emulated CPU nothing.
const ParkHz = 100

// Stacks of an AP, in pages: its own, one per IST entry, and its syscall
// stack. Once it runs threads (Release) its trap handlers run on them, so
// they are as large as the boot CPU's.
const (
	stackPages = 4
	istPages   = 8
	sysPages   = amd64.SyscallStackSize / mm.PageSize
	apPages    = stackPages + amd64.ISTCount*istPages + sysPages
)

// The trampoline's temporary page tables, in reserved low memory after the
// trampoline page: PML4, PDPT and PD of a 2 MiB identity map.
const (
	lowPML4 = amd64.TrampolinePage + mm.PageSize
	lowEnd  = amd64.TrampolinePage + 4*mm.PageSize
)

// cpu is one processor's record. arch comes first and GS points at it.
// The mailbox words each have a cache line, as the forwarding queue's
// will: the boot CPU writes request, the AP writes reply and halted.
type cpu struct {
	arch       amd64.CPU
	apicID     uint32
	online     uint32
	timerPerMs uint64
	ist        [amd64.ISTCount]uintptr
	_          [64]byte
	request    uint64
	_          [56]byte
	reply      uint64
	_          [56]byte
	halted     uint32
	_          [60]byte
	spin       uint64 // TSC cycles to keep polling after an answer
	// run asks a parked AP to join the scheduler (Release); running says
	// it has, so shootdowns must reach it; acked is the last shootdown
	// request it carried out.
	run, running uint32
	syscallTop   uintptr
	_            [48]byte
	acked        uint64
	_            [56]byte
}

var (
	cpus   [MaxCPUs]cpu
	ncpus  int // cpus[0] is the boot CPU; then every AP started
	madt   acpi.MADT
	tables acpi.Error // why the MADT could not be read, if it could not
)

// Init reads the MADT (through the RSDP the loader named, or the one in
// the BIOS area), points the boot CPU's GS at cpus[0], prints what it
// found, and with start starts the APs. It runs in boot's early bring-up,
// before the Go runtime, with interrupts off.
//
//go:nosplit
func Init(si *pvh.StartInfo, start bool) {
	ncpus = 1
	mem := mm.DirectMap()
	rsdp := si.RSDP
	if rsdp == 0 {
		var err error
		if rsdp, err = acpi.FindRSDP(mem); err != nil {
			tables = err.(acpi.Error)
		}
	}
	if rsdp != 0 {
		if err := acpi.ReadMADT(mem, rsdp, &madt); err != nil {
			tables = err.(acpi.Error)
		}
	}
	if tables != "" {
		console.Print("smp: ")
		console.Print(string(tables))
		console.Print("; the boot CPU only\n")
		return
	}
	console.Print("smp: ")
	console.Dec(uint64(madt.NCPUs))
	console.Print(" CPU(s) in the MADT, local APIC at ")
	console.Hex(madt.LocalAPIC)
	console.Print(", ")
	console.Dec(uint64(madt.NIOAPICs))
	console.Print(" I/O APIC(s)\n")
	if !localAPIC() {
		return
	}
	if irq.SwitchToIOAPIC(&madt, cpus[0].apicID) {
		console.Print("smp: device interrupts through the I/O APIC\n")
	}
	switch {
	case madt.NCPUs < 2:
	case start:
		startAPs(si)
	default:
		console.Print("smp: the boot CPU only; aramid.smp starts the others\n")
	}
}

// SetBootCPU points the boot CPU's GS at its record. The trap path reads
// GS, so boot calls this before the first trap can happen.
//
//go:nosplit
func SetBootCPU() {
	amd64.SetThisCPU(&cpus[0].arch)
	cpus[0].running = 1
}

// Online is how many CPUs run: the boot CPU and the APs that came up.
//
//go:nosplit
func Online() int { return ncpus }

// APICID is CPU i's local APIC ID.
//
//go:nosplit
func APICID(i int) uint32 { return cpus[i].apicID }

// localAPIC maps the local APIC's registers uncached (one page at the
// start of the kernel heap window; every CPU sees its own APIC there) and
// software-enables the boot CPU's, which the I/O APIC and the APs need.
// It reports whether it could.
//
//go:nosplit
func localAPIC() bool {
	va, ok := mm.Kernel.MapDevice(madt.LocalAPIC, mm.PageSize)
	if !ok {
		console.Print("smp: cannot map the local APIC; the boot CPU and the PIC only\n")
		return false
	}
	apic.Init(uintptr(va))
	apic.Enable()
	bsp := &cpus[0]
	bsp.apicID, bsp.online, bsp.arch.EOI = apic.ID(), 1, apic.EOIRegister()
	return true
}

// startAPs starts every AP in the MADT, one at a time, and parks it.
//
//go:nosplit
func startAPs(si *pvh.StartInfo) {
	if !lowMemoryFree(si) {
		console.Print("smp: the trampoline's low memory is not RAM; APs not started\n")
		return
	}
	bsp := &cpus[0]
	amd64.InstallTrampoline((*[mm.PageSize]byte)(mm.Ptr(mm.PhysToVirt(amd64.TrampolinePage))),
		buildLowTables(), apStart, apFault)
	for i := 0; i < madt.NCPUs; i++ {
		id := madt.CPUs[i].APICID
		if id == bsp.apicID {
			continue
		}
		if ncpus == MaxCPUs || id > 0xff {
			console.Print("smp: apic id ")
			console.Dec(uint64(id))
			console.Print(" not started (table full, or x2APIC only)\n")
			continue
		}
		if !startAP(&cpus[ncpus], uint32(ncpus), id) {
			// It may still start late, on the trampoline's current data;
			// starting another would hand that AP's stack to both.
			console.Print("smp: no further APs started\n")
			break
		}
		ncpus++
	}
	console.Print("smp: ")
	console.Dec(uint64(ncpus))
	console.Print(" CPUs online; APs parked\n")
}

// startAP gives c its stacks and sends INIT, then the startup IPI twice
// (Intel SDM vol. 3, "Typical BSP Initialization Sequence"), and waits up
// to 5 s for the AP to report online.
//
//go:nosplit
func startAP(c *cpu, index, id uint32) bool {
	pa, ok := mm.AllocZeroedRun(apPages)
	if !ok {
		console.Print("smp: out of memory for an AP's stacks\n")
		return false
	}
	base := uintptr(mm.PhysToVirt(pa))
	for i := range c.ist {
		c.ist[i] = base + uintptr(stackPages+(i+1)*istPages)*mm.PageSize - 16
	}
	c.syscallTop = base + apPages*mm.PageSize - 16
	c.apicID, c.arch.Index = id, index
	amd64.PrepareAP(&c.arch, base+stackPages*mm.PageSize-16)
	ok = apic.SendInit(id)
	delay(10_000_000)
	ok = ok && apic.SendStartup(id, amd64.TrampolinePage)
	delay(200_000)
	ok = ok && apic.SendStartup(id, amd64.TrampolinePage)
	for end := clock.Nanotime() + 5e9; ok && clock.Nanotime() < end; {
		if atomic.LoadUint32(&c.online) != 0 {
			return true
		}
	}
	console.Print("smp: apic id ")
	console.Dec(uint64(id))
	console.Print(" did not come online\n")
	return false
}

// apStart is the first Go an AP runs, on its own stack with GS and FS set.
//
//go:nosplit
func apStart() {
	c := &cpus[amd64.ThisCPU().Index]
	c.arch.Load(&c.ist)
	apic.Enable()
	c.arch.EOI = apic.EOIRegister()
	c.timerPerMs = apic.CalibrateTimer(clock.TSCPerMs())
	apic.StartTimer(amd64.VectorAPTimer, uint32(c.timerPerMs*1000/ParkHz))
	console.Print("cpu ")
	console.Dec(uint64(c.arch.Index))
	console.Print(" online, apic id ")
	console.Dec(uint64(apic.ID()))
	console.Print(", local timer ")
	console.Dec(c.timerPerMs)
	console.Print(" kHz\n")
	atomic.StoreUint32(&c.online, 1)
	park(c)
}

// apFault is any vector a parked CPU does not expect: a kernel bug.
//
//go:nosplit
func apFault() {
	console.Print("\nKERNEL FAULT: unexpected trap on parked cpu ")
	console.Dec(uint64(amd64.ThisCPU().Index))
	console.Print(", CR2 ")
	console.Hex(amd64.ReadCR2())
	console.Print("\n")
	dev.QEMUExit(dev.ExitFailure)
}

// delay spins for ns nanoseconds of TSC time.
//
//go:nosplit
func delay(ns int64) {
	for end := clock.Nanotime() + ns; clock.Nanotime() < end; {
	}
}

// lowMemoryFree reports whether the trampoline page and its tables lie in
// RAM. mm reserves all of low memory, so nothing else uses them.
//
//go:nosplit
func lowMemoryFree(si *pvh.StartInfo) bool {
	for i := 0; i < si.NRegions; i++ {
		r := &si.Regions[i]
		if r.Type == pvh.RAM && r.Base <= amd64.TrampolinePage && r.Base+r.Size >= lowEnd {
			return true
		}
	}
	return false
}

// lowTables hands out the fixed low pages after lowPML4 as page tables.
// It is a global because mm reaches it through an interface, which would
// move a local to the heap.
type lowTables struct{ next uint64 }

var low lowTables

//go:nosplit
func (t *lowTables) Table(pa uint64) *[512]uint64 {
	return (*[512]uint64)(mm.Ptr(mm.PhysToVirt(pa)))
}

//go:nosplit
func (t *lowTables) NewTable() (uint64, bool) {
	if t.next >= lowEnd {
		return 0, false
	}
	pa := t.next
	t.next += mm.PageSize
	*t.Table(pa) = [512]uint64{}
	return pa, true
}

// buildLowTables writes the trampoline's page tables: the first 2 MiB
// mapped one to one, so the trampoline survives turning paging on, and the
// kernel's upper half, so it can jump there. It returns the PML4's address.
//
//go:nosplit
func buildLowTables() uint32 {
	low.next = lowPML4 + mm.PageSize
	pml4 := low.Table(lowPML4)
	*pml4 = [512]uint64{}
	mm.Map2M(&low, lowPML4, 0, 0, mm.PTEWrite)
	kernel := low.Table(mm.Kernel.Root)
	copy(pml4[256:], kernel[256:])
	return lowPML4
}
