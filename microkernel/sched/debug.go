package sched

import "aramid/microkernel/console"

// Dump prints every thread's state: the console's view of a hang.
//
//go:nosplit
func Dump() {
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
