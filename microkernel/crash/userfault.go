package crash

import (
	"fmt"
	"sync/atomic"

	"aramid/microkernel/hosting"
	"aramid/microkernel/proc"
)

// StartUserReporter starts the goroutine that completes the reports of
// killed user processes: the trap path has printed the registers and the
// instruction bytes; this prints the decoded instruction.
func StartUserReporter() {
	go func() {
		seen := uint32(0)
		for {
			seq := atomic.LoadUint32(&proc.FaultSeq)
			if seq == seen {
				hosting.WaitWord(proc.FaultSeqAddr(), seq)
				continue
			}
			for ; seen != seq; seen++ {
				r := proc.Faults[seen%uint32(len(proc.Faults))]
				fmt.Printf("process %s (pid %d): faulting instruction at %#x: %s\n",
					r.Name[:r.NameLen], r.PID, r.RIP, Disassemble(r.Code[:r.NCode], r.RIP))
			}
		}
	}()
}
