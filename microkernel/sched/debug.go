package sched

import (
	"aramid/microkernel/console"
	"aramid/microkernel/smp"
)

// Dump prints what each CPU runs and every thread's state: the console's
// view of a hang.
//
//go:nosplit
func Dump() {
	for c := 0; c < smp.Running(); c++ {
		console.Print("cpu ")
		console.Dec(uint64(c))
		console.Print(" runs ")
		if i := cur[c]; isIdle(i) {
			console.Print("its idle thread")
		} else {
			console.Print("thread ")
			console.Dec(uint64(threads[i].TID))
		}
		console.Print(", ")
		console.Dec(switches[c])
		console.Print(" switches\n")
	}
	for i := 0; i < MaxThreads; i++ {
		t := &threads[i]
		if t.state == free || t.state == dead {
			continue
		}
		console.Print("thread ")
		console.Dec(uint64(t.TID))
		console.Print(" state ")
		console.Dec(uint64(t.state))
		console.Print(" wait ")
		console.Dec(uint64(t.reason))
		console.Print(" key ")
		console.Hex(t.key)
		console.Print(" rip ")
		console.Hex(t.Frame.RIP)
		console.Print(" rax ")
		console.Hex(t.Frame.RAX)
		console.Print("\n")
	}
}
