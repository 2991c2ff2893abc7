// Package crash reports a kernel fault so that its cause can be found from
// the serial log alone, then stops the machine with a failure status.
//
// It works in two halves. The trap half (go:nosplit, no allocation) prints
// the vector, error code, CR2, every register and the raw instruction
// bytes, ends the faulting thread, and wakes the reporter. The reporter is
// an ordinary goroutine on its own thread, started at boot, that can use the
// whole Go library: it decodes the instruction with x86asm and prints a
// traceback by walking frame pointers. A watchdog stops the machine if the
// reporter cannot finish (for example, because the fault happened while the
// runtime held a lock it needs).
package crash

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/dev"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// record is what the trap half hands the reporter.
type record struct {
	frame amd64.Frame
	cr2   uint64
	code  [15]byte
	ncode int
	tid   int32
}

var (
	rec         record
	crashWord   uint32 // futex word the reporter waits on
	reporterTID int32
	watchdogAt  uint64
	faulting    bool
)

// Fault reports the exception in f and ends the kernel.
//
//go:nosplit
func Fault(f *amd64.Frame, fx *amd64.FXArea) {
	if faulting {
		console.Print("\nKERNEL FAULT while reporting a fault\n")
		printFrame(f, amd64.ReadCR2())
		stop()
	}
	faulting = true
	cr2 := amd64.ReadCR2()
	console.Print("\nKERNEL FAULT: ")
	console.Print(amd64.VectorName(f.Vector))
	console.Print(" (vector ")
	console.Dec(f.Vector)
	console.Print(") in thread ")
	console.Dec(uint64(sched.TID()))
	console.Print("\n")
	printFrame(f, cr2)
	rec = record{frame: *f, cr2: cr2, tid: sched.TID()}
	rec.ncode = copyCode(f.RIP, &rec.code)
	console.Print("code:")
	for i := 0; i < rec.ncode; i++ {
		console.Print(" ")
		console.Hex8(rec.code[i])
	}
	console.Print("\n")
	if reporterTID == 0 || reporterTID == sched.TID() {
		stop()
	}
	// The faulting thread never runs again; the others go on, so that the
	// runtime can still schedule the reporter. A reporter that has not
	// reached its wait yet sees the word set before it waits.
	crashWord = 1
	if sched.Wake(sched.WaitFutex, uint64(addrOfWord()), 1) == 0 && sched.Find(reporterTID) == nil {
		console.Print("crash: the reporter (thread ")
		console.Dec(uint64(reporterTID))
		console.Print(") is gone\n")
		sched.Dump()
		stop()
	}
	watchdogAt = clock.Ticks() + 5*clock.HZ
	sched.Exit(f, fx)
}

// Watchdog stops the machine if the reporter has not finished in time.
//
//go:nosplit
func Watchdog() {
	if watchdogAt != 0 && clock.Ticks() > watchdogAt {
		console.Print("crash: the reporter did not finish; stopping\n")
		sched.Dump()
		stop()
	}
}

//go:nosplit
func stop() {
	dev.QEMUExit(dev.ExitFailure)
	amd64.Stop()
}

// printFrame prints the error code, CR2 and all registers.
//
//go:nosplit
func printFrame(f *amd64.Frame, cr2 uint64) {
	console.Print("error ")
	console.Hex(f.Err)
	console.Print("  CR2 ")
	console.Hex(cr2)
	console.Print("\n")
	console.Registers(f)
}

// copyCode copies up to 15 instruction bytes at rip, stopping at an
// unmapped page.
//
//go:nosplit
func copyCode(rip uint64, dst *[15]byte) int {
	for i := 0; i < len(dst); i++ {
		if !mm.Mapped(rip + uint64(i)) {
			return i
		}
		dst[i] = *(*byte)(mm.Ptr(uintptr(rip + uint64(i))))
	}
	return len(dst)
}
