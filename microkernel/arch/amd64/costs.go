package amd64

// What the instructions of the trap path cost, timed in ring 0 with the
// TSC (docs/performance.md): under QEMU's TCG an instruction that calls a
// helper can cost a hundred times one that translates inline, and only a
// timing shows which is which.
const (
	costLoopOnly = iota // the loop alone, subtracted from the others
	costFX              // FXSAVE64 and FXRSTOR64 of one area
	costXMM             // sixteen MOVUPS stores and sixteen loads
	costSWAPGS          // SWAPGS twice
	costFSBase          // RDFSBASE and WRFSBASE twice
	costFSMSR           // the same through the FS_BASE MSR
	costIRETQ           // IRETQ (to ring 0)
	costLock            // the kernel lock's LOCK CMPXCHG and XCHG, uncontended
	costKinds
)

// CostNames names the figures InstructionCosts returns.
var CostNames = [costKinds]string{"loop", "fxsave+fxrstor", "16 movups each way", "swapgs x2", "rdfsbase+wrfsbase x2", "fs msr read+write x2", "iretq", "lock+unlock"}

func costLoop(kind, n uint64) uint64

//lint:ignore U1000 called from costs_amd64.s
func iretqToCaller()

// costArea is the 16-byte aligned area the FX and XMM kinds store to.
//
//lint:ignore U1000 used by costs_amd64.s
var costArea [512 + 16]byte

//lint:ignore U1000 used by costs_amd64.s
var costLockWord uint32

// InstructionCosts times each kind n times, twenty runs each, and returns
// the fastest run's cycles per iteration, less the loop's own.
func InstructionCosts(n uint64) [costKinds]uint64 {
	var r [costKinds]uint64
	for k := range r {
		best := ^uint64(0)
		for run := 0; run < 20; run++ {
			best = min(best, costLoop(uint64(k), n))
		}
		r[k] = best / n
	}
	for k := 1; k < costKinds; k++ {
		r[k] -= min(r[k], r[costLoopOnly])
	}
	return r
}
