package crash

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/mm"
)

// VectorNMI is the non-maskable interrupt's vector.
const VectorNMI = 2

// NMI reports where this CPU was when another sent it a non-maskable
// interrupt, and stops the machine. A CPU that finds itself stuck behind
// another (smp's lock and shootdown waits) sends one, so the report shows
// the other CPU's registers and the return addresses on its stack, which
// `go tool addr2line` names. It cannot wait for the reporter goroutine:
// the interrupted CPU may hold anything, the kernel lock included.
//
//go:nosplit
func NMI(f *amd64.Frame) {
	console.Print("\nNMI: cpu ")
	console.Dec(uint64(amd64.ThisCPU().Index))
	console.Print(" was here:\n")
	console.Registers(f)
	console.Print("stack:")
	rbp := f.RBP
	for i := 0; i < 32 && rbp >= mm.UserTop && rbp%8 == 0 && mm.Mapped(rbp) && mm.Mapped(rbp+8); i++ {
		ret := *(*uint64)(mm.Ptr(uintptr(rbp + 8)))
		console.Print(" ")
		console.Hex(ret)
		next := *(*uint64)(mm.Ptr(uintptr(rbp)))
		if next <= rbp {
			break
		}
		rbp = next
	}
	console.Print("\n")
	stop()
}

// Blocked reports a kernel thread that blocked, or was switched away,
// inside a critical section that holds the kernel lock (trap.nested), in
// the trap with vector v (and system call nr, for a system call), and
// stops the machine before the lock it keeps stops every other CPU.
//
//go:nosplit
func Blocked(tid int32, v, nr uint64) {
	console.Print("\nKERNEL FAULT: thread ")
	console.Dec(uint64(tid))
	console.Print(" left its CPU holding the kernel lock, in trap vector ")
	console.Dec(v)
	if v == amd64.SyscallVector {
		console.Print(", system call ")
		console.Dec(nr)
	}
	console.Print(": a critical section allocated or blocked\n")
	stop()
}
