package syscalls

import (
	"encoding/binary"
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/servers/linuxd/task"
)

func init() {
	byName["sched_setaffinity"] = Entry{Fn: schedSetaffinity}
	byName["sched_getaffinity"] = Entry{Fn: schedGetaffinity}
}

// maskSize is Linux's cpumask_size() on a machine of at most 64 CPUs
// (Aramid has at most 16): one unsigned long, the bytes sched_getaffinity
// returns and the most sched_setaffinity reads.
const maskSize = 8

// Thread masks are the kernel's (the affinity call, docs/smp.md): linuxd
// keeps no copy, so a mask set here is the one the scheduler obeys and a
// new thread or forked child gets its creator's from the kernel.

// schedSetaffinity is sched_setaffinity(pid, len, mask). As Linux's
// get_user_cpu_mask, it reads at most maskSize bytes and zero-fills a
// shorter mask; a mask with no CPU that runs threads is EINVAL.
func schedSetaffinity(c *Ctx) (uint64, error) {
	n := min(uint32(c.Arg(1)), maskSize)
	b := make([]byte, maskSize)
	if err := c.T.Mem().ReadAt(b[:n], c.Arg(2)); err != nil {
		return 0, syscall.EFAULT
	}
	t, err := affinityTarget(c)
	if err != nil {
		return 0, err
	}
	if !mayPlace(c.P(), t.P) {
		return 0, syscall.EPERM
	}
	mask := binary.LittleEndian.Uint64(b)
	if mask == 0 {
		return 0, syscall.EINVAL
	}
	_, err = t.P.Proc.Affinity(t.TID, mask)
	return 0, err
}

// schedGetaffinity is sched_getaffinity(pid, len, mask): len must be a
// multiple of 8 that holds every CPU id (EINVAL), and the raw call
// returns the bytes written, min(len, maskSize).
func schedGetaffinity(c *Ctx) (uint64, error) {
	n := uint32(c.Arg(1))
	if n < maskSize || n%8 != 0 {
		return 0, syscall.EINVAL
	}
	t, err := affinityTarget(c)
	if err != nil {
		return 0, err
	}
	mask, err := t.P.Proc.Affinity(t.TID, 0)
	if err != nil {
		return 0, err
	}
	b := binary.LittleEndian.AppendUint64(nil, mask)
	if c.T.Mem().WriteAt(b, c.Arg(2)) != nil {
		return 0, syscall.EFAULT
	}
	return maskSize, nil
}

// affinityTarget is the thread the affinity calls name: the caller for
// pid 0, else the live thread with that id (ESRCH).
func affinityTarget(c *Ctx) (*task.Thread, error) {
	pid := int32(c.Arg(0))
	if pid == 0 {
		return c.T, nil
	}
	t := c.K.Thread(int(pid))
	if pid < 0 || t == nil || t.P.Exited {
		return nil, syscall.ESRCH
	}
	return t, nil
}

// mayPlace is Linux's check for sched_setaffinity on another task: the
// caller's effective uid is the target's real or effective uid, or it has
// CAP_SYS_NICE.
func mayPlace(p, target *task.Process) bool {
	return p.Cred.EUID == target.Cred.EUID || p.Cred.EUID == target.Cred.RUID || p.Cred.Capable(dac.CapSysNice)
}
