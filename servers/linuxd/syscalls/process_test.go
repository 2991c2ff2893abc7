package syscalls

import (
	"slices"
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
	"aramid/servers/linuxd/usermem"
)

// exitCall makes thread tid call exit or exit_group, which get no reply
// when they end the process.
func (f *fixture) exitCall(tid int, name string, code uint64) *abi.LinuxReply {
	f.k.Mu.Lock()
	defer f.k.Mu.Unlock()
	return f.d.Handle(&abi.LinuxMsg{TID: uint32(tid), Regs: abi.Regs{RAX: nr(name), RDI: code}})
}

// TestCloneThread: CLONE_THREAD needs CLONE_VM and CLONE_SIGHAND; the new
// thread shares the process, inherits the mask, starts on its stack with
// its TLS and RAX 0, and its id is stored for CLONE_PARENT_SETTID and
// CLONE_CHILD_SETTID; at its exit CLONE_CHILD_CLEARTID's word is zeroed
// and a futex waiter there woken.
func TestCloneThread(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	const threadFlags = cloneVM | cloneSighand | cloneThread
	if got := f.result(1, nr("clone"), cloneThread|cloneVM); got != errno(syscall.EINVAL) {
		t.Errorf("CLONE_THREAD without CLONE_SIGHAND = %d, want EINVAL", got)
	}
	f.p.Threads[1].Mask = task.Bit(task.SIGINT)
	ptid, ctid := uint64(scratch+8), uint64(scratch+16)
	usermem.PutU32(m, ctid, 0xffff)
	tid := f.result(1, nr("clone"), threadFlags|cloneParentSettid|cloneChildSettid|cloneChildCleartid|cloneSettls,
		0x7000, ptid, ctid, 0x9000)
	if tid <= 1 {
		t.Fatalf("clone = %d", tid)
	}
	nt := f.k.Thread(int(tid))
	if nt == nil || nt.P != f.p || nt.Mask != task.Bit(task.SIGINT) || nt.ClearTID != ctid {
		t.Fatalf("new thread %+v", nt)
	}
	for _, a := range []uint64{ptid, ctid} {
		if v, _ := usermem.U32(m, a); int64(v) != tid {
			t.Errorf("tid stored at %#x: %d, want %d", a, v, tid)
		}
	}
	if got := f.result(int(tid), nr("gettid")); got != tid {
		t.Errorf("gettid = %d", got)
	}
	if got := f.result(int(tid), nr("getpid")); got != 1 {
		t.Errorf("the thread's getpid = %d, want its process's 1", got)
	}
	if r := f.exitCall(int(tid), "exit", 0); r == nil || r.Action != abi.ReplyExit || f.p.Exited {
		t.Errorf("exit of one thread: reply %+v, process exited %v", r, f.p.Exited)
	}
	if v, _ := usermem.U32(m, ctid); v != 0 || f.k.Thread(int(tid)) != nil {
		t.Errorf("after the thread's exit: clear_child_tid word %d, thread still there", v)
	}
	if woken := m.(*tasktest.Proc).FutexWoken; !slices.Equal(woken, []uint64{ctid}) {
		t.Errorf("futex wakes %#x, want one at the clear_child_tid word (pthread_join waits there)", woken)
	}
	// set_tid_address returns the caller's tid and arms the clearing.
	if got := f.result(1, nr("set_tid_address"), scratch+24); got != 1 || f.p.Threads[1].ClearTID != scratch+24 {
		t.Errorf("set_tid_address = %d", got)
	}
	usermem.PutU32(m, scratch+24, 5)
	if r := f.exitCall(1, "exit", 7); r != nil || !f.p.Exited || f.p.Status != 7<<8 {
		t.Errorf("exit of the last thread: reply %v, exited %v status %#x", r, f.p.Exited, f.p.Status)
	}
	if v, _ := usermem.U32(m, scratch+24); v != 0 {
		t.Errorf("the last thread's clear_child_tid word %d", v)
	}
}

// TestForkFlags: clone without CLONE_THREAD forks; the child starts on the
// given stack with the given TLS and RAX 0, its tid stored in the parent
// (CLONE_PARENT_SETTID) and in the child's memory (CLONE_CHILD_SETTID).
func TestForkFlags(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	f.p.Threads[1].Mask = task.Bit(task.SIGHUP)
	child := f.result(1, nr("clone"), cloneParentSettid|cloneChildSettid|cloneChildCleartid|cloneSettls|uint64(task.SIGCHLD),
		0x7000, scratch+8, scratch+16, 0x9000)
	r := <-f.h.Woken
	if r.TID != uint32(child) || r.Regs.RSP != 0x7000 || r.Regs.FSBase != 0x9000 || r.Regs.RAX != 0 {
		t.Errorf("child starts with %+v", r.Regs)
	}
	cp := f.k.Process(int(child))
	if v, _ := usermem.U32(m, scratch+8); int64(v) != child {
		t.Errorf("parent's ptid word %d", v)
	}
	if v, _ := usermem.U32(cp.Proc, scratch+16); int64(v) != child {
		t.Errorf("child's ctid word %d", v)
	}
	if v, _ := usermem.U32(m, scratch+16); v != 0 {
		t.Errorf("CLONE_CHILD_SETTID wrote the parent's memory: %d", v)
	}
	if ct := cp.Threads[int(child)]; ct.Mask != task.Bit(task.SIGHUP) || ct.ClearTID != scratch+16 {
		t.Errorf("child thread mask %#x cleartid %#x", ct.Mask, ct.ClearTID)
	}
	// Without a stack or CLONE_SETTLS the child keeps the caller's.
	f.result(1, nr("clone"), uint64(task.SIGCHLD), 0, 0, 0, 0x9000)
	if r := <-f.h.Woken; r.Regs.RSP != scratch+60<<10 || r.Regs.FSBase != 0 {
		t.Errorf("plain fork child rsp %#x fs %#x", r.Regs.RSP, r.Regs.FSBase)
	}
}

// TestWait4: wait4's pid forms (one child, any, the caller's group,
// another group), WNOHANG, bad options, ECHILD, and a NULL status.
func TestWait4(t *testing.T) {
	f := newFixture(t)
	fork := func() int64 {
		c := f.result(1, nr("fork"))
		<-f.h.Woken
		return c
	}
	a, b, c := fork(), fork(), fork()
	f.result(int(b), nr("setpgid"), 0, 0)
	if got := f.result(1, nr("wait4"), ^uint64(0), 0, 4); got != errno(syscall.EINVAL) {
		t.Errorf("wait4 with option 4 = %d, want EINVAL", got)
	}
	if got := f.result(1, nr("wait4"), 999, 0, 1); got != errno(syscall.ECHILD) {
		t.Errorf("wait4(999) = %d, want ECHILD", got)
	}
	for _, ch := range []int64{a, b, c} {
		f.exitCall(int(ch), "exit_group", uint64(ch))
	}
	if got := f.result(1, nr("wait4"), neg(b), scratch, 0x40000000|1); got != b {
		t.Errorf("wait4(-b) = %d, want %d", got, b)
	}
	if st, _ := usermem.U32(f.p.Proc, scratch); st != uint32(b&0xff)<<8 {
		t.Errorf("status %#x", st)
	}
	if got := f.result(1, nr("wait4"), neg(b), scratch, 1); got != errno(syscall.ECHILD) {
		t.Errorf("wait4(-b) again = %d, want ECHILD", got)
	}
	if got := f.result(1, nr("wait4"), uint64(c), 0, 0); got != c {
		t.Errorf("wait4(c, NULL) = %d", got)
	}
	if got := f.result(1, nr("wait4"), 0, 0x1000, 0); got != errno(syscall.EFAULT) {
		t.Errorf("wait4 with a bad status pointer = %d, want EFAULT", got)
	}
	if got := f.result(1, nr("wait4"), 0, 0, 0); got != errno(syscall.ECHILD) {
		t.Errorf("wait4(0) after the fault = %d: the child was reaped anyway, want ECHILD", got)
	}
	// A wait interrupted by a signal is EINTR.
	d := fork()
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 1})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch, 0, 8)
	f.p.Threads[1].Post(task.SIGINT, task.SigInfo{})
	if got := f.result(1, nr("wait4"), uint64(d), 0, 0); got != errno(syscall.EINTR) {
		t.Errorf("interrupted wait4 = %d, want EINTR", got)
	}
}

// TestSessionsAndGroups: setpgid's rules (own children only, same
// session, an existing group or a new one named by the pid, not a session
// leader), setsid's (not a group leader), getpgid and getsid.
func TestSessionsAndGroups(t *testing.T) {
	f := newFixture(t)
	a := f.result(1, nr("fork"))
	<-f.h.Woken
	b := f.result(1, nr("fork"))
	<-f.h.Woken
	other := f.result(int(a), nr("fork"))
	<-f.h.Woken
	for _, c := range []struct {
		name      string
		tid       int64
		pid, pgid uint64
		want      int64
	}{
		{"negative pgid", 1, uint64(a), neg(1), errno(syscall.EINVAL)},
		{"no such pid", 1, 999, 0, errno(syscall.ESRCH)},
		{"a grandchild", 1, uint64(other), 0, errno(syscall.ESRCH)},
		{"the session leader", 1, 0, 0, errno(syscall.EPERM)},
		{"a group that does not exist", 1, uint64(a), 555, errno(syscall.EPERM)},
		{"a own group", 1, uint64(a), 0, 0},
		{"b into a's group", int64(b), 0, uint64(a), 0},
	} {
		if got := f.result(int(c.tid), nr("setpgid"), c.pid, c.pgid); got != c.want {
			t.Errorf("setpgid %s = %d, want %d", c.name, got, c.want)
		}
	}
	if got := f.result(1, nr("getpgid"), uint64(b)); got != a {
		t.Errorf("getpgid(b) = %d, want %d", got, a)
	}
	if got := f.result(int(b), nr("getpgid"), 0); got != a {
		t.Errorf("getpgid(0) in b = %d", got)
	}
	if got := f.result(1, nr("getpgid"), 999); got != errno(syscall.ESRCH) {
		t.Errorf("getpgid(999) = %d", got)
	}
	// a leads a group: setsid is EPERM; b does not: it gets a session.
	if got := f.result(int(a), nr("setsid")); got != errno(syscall.EPERM) {
		t.Errorf("setsid by a group leader = %d", got)
	}
	if got := f.result(int(b), nr("setsid")); got != b {
		t.Errorf("setsid = %d, want %d", got, b)
	}
	if got := f.result(1, nr("getsid"), uint64(b)); got != b {
		t.Errorf("getsid(b) = %d", got)
	}
	if got := f.result(1, nr("getsid"), 0); got != 1 {
		t.Errorf("getsid(0) = %d", got)
	}
	if got := f.result(1, nr("getsid"), 999); got != errno(syscall.ESRCH) {
		t.Errorf("getsid(999) = %d", got)
	}
	// b is now in another session: a cannot join its group, nor it a's.
	if got := f.result(1, nr("setpgid"), uint64(b), uint64(a)); got != errno(syscall.EPERM) {
		t.Errorf("setpgid across sessions = %d, want EPERM", got)
	}
	// A process whose group id is taken by another cannot setsid.
	c := f.result(1, nr("fork"))
	<-f.h.Woken
	f.result(1, nr("setpgid"), uint64(c), 0)
	d := f.result(1, nr("fork"))
	<-f.h.Woken
	f.result(1, nr("setpgid"), uint64(d), uint64(c))
	f.k.Mu.Lock()
	f.k.Process(int(c)).PGID = 1 // c left its group, which d still uses
	f.k.Mu.Unlock()
	if got := f.result(int(c), nr("setsid")); got != errno(syscall.EPERM) {
		t.Errorf("setsid while another process has the pid as group = %d, want EPERM", got)
	}
}

// TestSmallProcessCalls: getrandom's flags and its 1 MiB bound per call,
// umask's 0777 mask and old value, reboot's magic numbers and commands.
func TestSmallProcessCalls(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		args []uint64
		want int64
	}{
		{[]uint64{scratch, 16, 8}, errno(syscall.EINVAL)},
		{[]uint64{scratch, 16, grndRandom | grndInsecure}, errno(syscall.EINVAL)},
		{[]uint64{scratch, 16, grndRandom | grndNonblock}, 16},
		{[]uint64{scratch, 16, grndInsecure}, 16},
		{[]uint64{0x1000, 16, 0}, errno(syscall.EFAULT)},
	} {
		if got := f.result(1, nr("getrandom"), c.args...); got != c.want {
			t.Errorf("getrandom%v = %d, want %d", c.args, got, c.want)
		}
	}
	f.p.Proc.(interface{ Map(a, n uint64) }).Map(0x200000, 2<<20)
	if got := f.result(1, nr("getrandom"), 0x200000, 2<<20, 0); got != 1<<20 {
		t.Errorf("getrandom of 2 MiB = %d, want 1 MiB", got)
	}
	if got := f.result(1, nr("umask"), 0o7027); got != 0o22 || f.p.Umask != 0o027 {
		t.Errorf("umask = %#o, now %#o", got, f.p.Umask)
	}
	if got := f.result(1, nr("umask"), 0); got != 0o027 {
		t.Errorf("second umask = %#o", got)
	}
	stops := 0
	f.k.PowerOff = func() { stops++ }
	for _, c := range []struct {
		args []uint64
		want int64
		stop int
	}{
		{[]uint64{rebootMagic1, rebootMagic2 + 1, rebootPowerOff}, errno(syscall.EINVAL), 0},
		{[]uint64{rebootMagic1 + 1, rebootMagic2, rebootPowerOff}, errno(syscall.EINVAL), 0},
		{[]uint64{rebootMagic1, rebootMagic2, 0x1234}, errno(syscall.EINVAL), 0},
		{[]uint64{rebootMagic1, rebootMagic2, rebootCADOn}, 0, 0},
		{[]uint64{rebootMagic1, rebootMagic2, rebootCADOff}, 0, 0},
		{[]uint64{rebootMagic1, rebootMagic2, rebootRestart}, 0, 1},
		{[]uint64{rebootMagic1, rebootMagic2, rebootHalt}, 0, 2},
		{[]uint64{rebootMagic1, rebootMagic2, rebootPowerOff}, 0, 3},
	} {
		if got := f.result(1, nr("reboot"), c.args...); got != c.want || stops != c.stop {
			t.Errorf("reboot(%#x, %d, %#x) = %d, %d stops", c.args[0], c.args[1], c.args[2], got, stops)
		}
	}
}
