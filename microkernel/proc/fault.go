package proc

import (
	"aramid/lib/abi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// FaultRecord is what a killed process leaves for the fault decoder
// (crash.StartUserReporter), which prints the decoded instruction.
type FaultRecord struct {
	PID     int32
	Name    [32]byte
	NameLen int
	RIP     uint64
	Code    [15]byte
	NCode   int
}

// Faults is a ring of the latest records; FaultSeq counts them and is the
// futex word the decoder waits on.
var (
	Faults   [16]FaultRecord
	FaultSeq uint32
)

// UserFault handles an exception raised in ring 3. A page fault on a
// demand-zero page is resolved; anything else kills the process with a
// report naming it, the fault and its registers, and the kernel runs on.
// A Linux process's fault goes to linuxd instead, as a signal to deliver,
// or, when no memory could back the page, as its end by SIGKILL.
//
//go:nosplit
func UserFault(f *amd64.Frame, fx *amd64.FXArea, cr2 uint64) {
	i := Current()
	p := &Procs[i]
	status := int64(StatusFault | f.Vector)
	oom := false
	if f.Vector == 14 {
		if p.Space.Spurious(cr2, f.Err) {
			return
		}
		switch p.Space.Fault(cr2, f.Err&2 != 0) {
		case mm.FaultFixed:
			return
		case mm.FaultLimit:
			status = StatusMemory
		case mm.FaultOOM:
			oom = true
		}
	}
	noMemory := status == StatusMemory || oom
	if p.port != 0 {
		// linuxd turns the fault into a signal (docs/linux.md), or ends
		// the process with SIGKILL when no memory could back the page.
		m := pending{kind: abi.MsgFault, vector: f.Vector, err: f.Err, addr: cr2}
		if noMemory {
			m.kind, m.err = abi.MsgNoMemory, 0
			if !oom {
				m.err = p.Space.Limit * mm.PageSize >> 20
			}
		}
		forward(f, fx, m)
		return
	}
	console.Print("\n")
	Report(i)
	if noMemory {
		reportNoMemory(p, oom, cr2)
	} else {
		console.Print(" killed: ")
		console.Print(amd64.VectorName(f.Vector))
		console.Print(" (vector ")
		console.Dec(f.Vector)
		console.Print(") error ")
		console.Hex(f.Err)
		console.Print(" CR2 ")
		console.Hex(cr2)
		console.Print("\n")
		console.Registers(f)
		record(i, f.RIP)
	}
	Kill(i, status)
	sched.Reschedule(f, fx)
}

// reportNoMemory says why a fault at addr could not be backed: the
// process's memory limit, or, with oom, the machine's memory.
//
//go:nosplit
func reportNoMemory(p *Process, oom bool, addr uint64) {
	if oom {
		console.Print(" killed: out of memory at ")
	} else {
		console.Print(" killed: memory limit of ")
		console.Dec(p.Space.Limit * mm.PageSize >> 20)
		console.Print(" MiB reached at ")
	}
	console.Hex(addr)
	console.Print("\n")
}

// record saves the faulting instruction's bytes for the decoder.
//
//go:nosplit
func record(i int32, rip uint64) {
	p := &Procs[i]
	r := &Faults[FaultSeq%uint32(len(Faults))]
	*r = FaultRecord{PID: p.PID, RIP: rip}
	r.NameLen = copy(r.Name[:], p.Name())
	for k := 0; k < len(r.Code) && p.Space.Access(rip+uint64(k), 1, false); k++ {
		r.Code[k] = *(*byte)(mm.Ptr(uintptr(rip + uint64(k))))
		r.NCode = k + 1
	}
	console.Print("code:")
	for k := 0; k < r.NCode; k++ {
		console.Print(" ")
		console.Hex8(r.Code[k])
	}
	console.Print("\n")
	FaultSeq++
	sched.Wake(sched.WaitFutex, uint64(faultSeqAddr()), 1)
}
