package proc

import (
	"syscall"

	"aramid/microkernel/sched"
)

// affinity is affinity(process, tid, mask): the CPU mask of process h (0:
// the caller) or, with tid, of that thread of it. A mask other than 0
// replaces it first, limited to the CPUs that run threads (EINVAL if none
// is left); a process's mask is given to all its threads and to those it
// starts later. It returns the mask in effect, limited to the CPUs that
// run threads. Holding the process handle is the authority to place it.
//
//go:nosplit
func affinity(p int32, h, tid, mask uint64) uint64 {
	q := p
	if h != 0 {
		hd, e := lookupHandle(p, h, KindProcess, 0)
		if e != 0 {
			return neg(e)
		}
		if q = hd.Obj; Procs[q].state != pLive {
			return neg(syscall.ESRCH)
		}
	}
	var t *sched.Thread
	if tid != 0 {
		if t = sched.Find(int32(tid)); t == nil || t.Proc != q {
			return neg(syscall.ESRCH)
		}
	}
	if mask != 0 {
		if mask &= sched.Online(); mask == 0 {
			return neg(syscall.EINVAL)
		}
		if t != nil {
			t.SetMask(mask)
		} else {
			Procs[q].mask = mask
			sched.SetProcMask(q, mask)
		}
	}
	if t != nil {
		return t.Mask() & sched.Online()
	}
	return Procs[q].mask & sched.Online()
}
