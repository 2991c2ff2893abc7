package proc

import (
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

var vectorNames = [32]string{
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection", "", "", "", "", "", "", "", "", "#SX security", "",
}

// UserFault handles an exception raised in ring 3. A page fault on a
// demand-zero page is resolved; anything else kills the process with a
// report naming it, the fault and its registers, and the kernel runs on.
//
//go:nosplit
func UserFault(f *amd64.Frame, fx *amd64.FXArea, cr2 uint64) {
	i := Current()
	p := &Procs[i]
	status := int64(StatusFault | f.Vector)
	if f.Vector == 14 {
		switch p.Space.Fault(cr2, f.Err&2 != 0) {
		case mm.FaultFixed:
			return
		case mm.FaultLimit:
			status = StatusMemory
		}
	}
	console.Print("\n")
	Report(i)
	if status == StatusMemory {
		console.Print(" killed: memory limit of ")
		console.Dec(p.Space.Limit * mm.PageSize >> 20)
		console.Print(" MiB reached at ")
		console.Hex(cr2)
		console.Print("\n")
	} else {
		console.Print(" killed: ")
		console.Print(vectorNames[f.Vector%32])
		console.Print(" (vector ")
		console.Dec(f.Vector)
		console.Print(") error ")
		console.Hex(f.Err)
		console.Print(" CR2 ")
		console.Hex(cr2)
		console.Print("\n")
		printRegs(f)
		record(i, f.RIP)
	}
	Kill(i, status)
	sched.Reschedule(f, fx)
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

//go:nosplit
func printRegs(f *amd64.Frame) {
	names := [...]string{"RIP", "RSP", "RBP", "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15", "RFLAGS"}
	vals := [...]uint64{f.RIP, f.RSP, f.RBP, f.RAX, f.RBX, f.RCX, f.RDX, f.RSI, f.RDI, f.R8, f.R9, f.R10, f.R11, f.R12, f.R13, f.R14, f.R15, f.RFLAGS}
	for k := range names {
		console.Print(names[k])
		console.Print(" ")
		console.Hex(vals[k])
		if k%4 == 3 || k == len(names)-1 {
			console.Print("\n")
		} else {
			console.Print("  ")
		}
	}
}
