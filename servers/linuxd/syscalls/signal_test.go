package syscalls

import (
	"syscall"
	"testing"
	"time"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
	"aramid/servers/linuxd/usermem"
)

const sigUSR1 = 10

// TestRtSigaction: signal numbers 1..64 with an 8-byte sigset; SIGKILL
// and SIGSTOP cannot be changed but can be read; the old action is
// written before the new one is set; SIG_IGN discards what is pending.
func TestRtSigaction(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	act := task.SigAction{Handler: 0x400100, Flags: 0x04000000, Restorer: 0x400200, Mask: 0x10}
	usermem.Write(m, scratch, act)
	for _, c := range []struct {
		name                string
		sig, act, old, size uint64
		want                int64
	}{
		{"signal 0", 0, scratch, 0, 8, errno(syscall.EINVAL)},
		{"signal 65", 65, scratch, 0, 8, errno(syscall.EINVAL)},
		{"sigsetsize 4", task.SIGINT, scratch, 0, 4, errno(syscall.EINVAL)},
		{"set SIGKILL", task.SIGKILL, scratch, 0, 8, errno(syscall.EINVAL)},
		{"set SIGSTOP", task.SIGSTOP, scratch, 0, 8, errno(syscall.EINVAL)},
		{"read SIGKILL", task.SIGKILL, 0, scratch + 64, 8, 0},
		{"bad act", task.SIGINT, 0x1000, 0, 8, errno(syscall.EFAULT)},
		{"bad oldact", task.SIGINT, 0, 0x1000, 8, errno(syscall.EFAULT)},
		{"set signal 64", 64, scratch, 0, 8, 0},
		{"set SIGHUP, signal 1", task.SIGHUP, scratch, 0, 8, 0},
		{"set SIGINT", task.SIGINT, scratch, 0, 8, 0},
	} {
		if got := f.result(1, nr("rt_sigaction"), c.sig, c.act, c.old, c.size); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	if f.p.Actions[64] != act || f.p.Actions[task.SIGINT] != act || f.p.Actions[task.SIGHUP] != act {
		t.Error("the actions were not set")
	}
	usermem.Write(m, scratch+32, task.SigAction{Handler: 1})
	if got := f.result(1, nr("rt_sigaction"), task.SIGINT, scratch+32, scratch+64, 8); got != 0 {
		t.Fatal(got)
	}
	var old task.SigAction
	usermem.Read(m, scratch+64, &old)
	if old != act {
		t.Errorf("old action %+v, want %+v", old, act)
	}

	// Blocked and pending, then ignored: no longer pending.
	f.p.Threads[1].Mask = task.Bit(task.SIGTERM)
	usermem.Write(m, scratch, act)
	f.result(1, nr("rt_sigaction"), task.SIGTERM, scratch, 0, 8)
	f.result(1, nr("kill"), 1, task.SIGTERM)
	f.p.Threads[1].Post(task.SIGTERM, task.SigInfo{})
	if f.p.Pending == 0 {
		t.Fatal("blocked SIGTERM not pending")
	}
	usermem.Write(m, scratch, task.SigAction{Handler: 1})
	f.result(1, nr("rt_sigaction"), task.SIGTERM, scratch, 0, 8)
	if f.p.Pending != 0 || f.p.Threads[1].Pending != 0 {
		t.Errorf("SIG_IGN left %#x, %#x pending", f.p.Pending, f.p.Threads[1].Pending)
	}
}

// TestRtSigprocmask: SIG_BLOCK, SIG_UNBLOCK and SIG_SETMASK, the old mask
// written first, SIGKILL and SIGSTOP never blocked, and rt_sigpending
// reporting the blocked pending signals.
func TestRtSigprocmask(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	th := f.p.Threads[1]
	mask := func(how, set uint64) int64 {
		usermem.PutU64(m, scratch, set)
		return f.result(1, nr("rt_sigprocmask"), how, scratch, scratch+8, 8)
	}
	kill, stop := task.Bit(task.SIGKILL), task.Bit(task.SIGSTOP)
	if got := mask(0, 0b1010|kill|stop); got != 0 || th.Mask != 0b1010 {
		t.Errorf("SIG_BLOCK = %d, mask %#x", got, th.Mask)
	}
	if got := mask(0, 0b0100); got != 0 || th.Mask != 0b1110 {
		t.Errorf("SIG_BLOCK more = %d, mask %#x", got, th.Mask)
	}
	if old, _ := usermem.U64(m, scratch+8); old != 0b1010 {
		t.Errorf("old mask %#x", old)
	}
	if got := mask(1, 0b0110); got != 0 || th.Mask != 0b1000 {
		t.Errorf("SIG_UNBLOCK = %d, mask %#x", got, th.Mask)
	}
	if got := mask(2, 0b0001|stop); got != 0 || th.Mask != 0b0001 {
		t.Errorf("SIG_SETMASK = %d, mask %#x", got, th.Mask)
	}
	if got := mask(3, 0b1111); got != errno(syscall.EINVAL) || th.Mask != 0b0001 {
		t.Errorf("how 3 = %d, mask %#x", got, th.Mask)
	}
	if got := f.result(1, nr("rt_sigprocmask"), 0, scratch, 0, 16); got != errno(syscall.EINVAL) {
		t.Errorf("sigsetsize 16 = %d", got)
	}
	if got := f.result(1, nr("rt_sigprocmask"), 0, 0, scratch+16, 8); got != 0 {
		t.Errorf("query only = %d", got)
	}
	if old, _ := usermem.U64(m, scratch+16); old != 0b0001 {
		t.Errorf("queried mask %#x", old)
	}
	if got := f.result(1, nr("rt_sigprocmask"), 0, 0x1000, 0, 8); got != errno(syscall.EFAULT) {
		t.Errorf("bad set = %d", got)
	}
	if got := f.result(1, nr("rt_sigprocmask"), 0, 0, 0x1000, 8); got != errno(syscall.EFAULT) {
		t.Errorf("bad oldset = %d", got)
	}

	// Pending: the blocked SIGHUP sent to the process, and SIGINT sent to
	// the thread; not SIGINT's block lifted.
	usermem.Write(m, scratch+32, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch+32, 0, 8)
	th.Mask = task.Bit(task.SIGHUP) | task.Bit(task.SIGINT)
	f.result(1, nr("kill"), 1, task.SIGHUP)
	th.Post(task.SIGINT, task.SigInfo{})
	if got := f.result(1, nr("rt_sigpending"), scratch+40, 8); got != 0 {
		t.Fatal(got)
	}
	if set, _ := usermem.U64(m, scratch+40); set != task.Bit(task.SIGHUP)|task.Bit(task.SIGINT) {
		t.Errorf("rt_sigpending %#x", set)
	}
	if got := f.result(1, nr("rt_sigpending"), scratch+40, 9); got != errno(syscall.EINVAL) {
		t.Errorf("rt_sigpending with sigsetsize 9 = %d", got)
	}
	th.Mask = task.Bit(task.SIGHUP)
	f.call(1, nr("rt_sigpending"), scratch+40, 8) // SIGINT's handler runs after it
	if set, _ := usermem.U64(m, scratch+40); set != task.Bit(task.SIGHUP) {
		t.Errorf("rt_sigpending with SIGINT unblocked %#x", set)
	}
}

// TestSigaltstack: with none set, the old stack reads as SS_DISABLE; a
// stack set is read back as given.
func TestSigaltstack(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	if got := f.result(1, nr("sigaltstack"), 0, scratch); got != 0 {
		t.Fatal(got)
	}
	var st [3]uint64
	usermem.Read(m, scratch, &st)
	if st != [3]uint64{0, 2, 0} {
		t.Errorf("no alternate stack: %v, want ss_flags SS_DISABLE", st)
	}
	usermem.Write(m, scratch+32, [3]uint64{0x7000, 0, 0x2000})
	if got := f.result(1, nr("sigaltstack"), scratch+32, scratch); got != 0 {
		t.Fatal(got)
	}
	if got := f.result(1, nr("sigaltstack"), 0, scratch); got != 0 {
		t.Fatal(got)
	}
	usermem.Read(m, scratch, &st)
	if st != [3]uint64{0x7000, 0, 0x2000} {
		t.Errorf("alternate stack %v", st)
	}
	if got := f.result(1, nr("sigaltstack"), 0x1000, 0); got != errno(syscall.EFAULT) {
		t.Errorf("bad ss = %d", got)
	}
	if got := f.result(1, nr("sigaltstack"), 0, 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("bad old_ss = %d", got)
	}
}

// TestKillTargets: kill's pid forms (one process, the caller's group,
// another group, every process but init and the caller) and its errors.
func TestKillTargets(t *testing.T) {
	f := newFixture(t)
	a := f.result(1, nr("fork"))
	<-f.h.Woken
	b := f.result(1, nr("fork"))
	<-f.h.Woken
	if got := f.result(int(b), nr("setpgid"), 0, 0); got != 0 {
		t.Fatalf("setpgid = %d", got)
	}
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 1}) // the caller ignores SIGUSR1
	f.result(1, nr("rt_sigaction"), sigUSR1, scratch, 0, 8)
	pa, pb := f.k.Process(int(a)), f.k.Process(int(b))
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"signal 65", []uint64{uint64(a), 65}, errno(syscall.EINVAL)},
		{"signal -1", []uint64{uint64(a), ^uint64(0)}, errno(syscall.EINVAL)},
		{"no such process", []uint64{999, task.SIGTERM}, errno(syscall.ESRCH)},
		{"no such group", []uint64{neg(999), task.SIGTERM}, errno(syscall.ESRCH)},
		{"signal 64 to b's group", []uint64{neg(b), 0}, 0},
	} {
		if got := f.result(1, nr("kill"), c.args...); got != c.want {
			t.Errorf("kill %s = %d, want %d", c.name, got, c.want)
		}
	}
	// SIGUSR1 to the caller's group: a (same group) dies, b (its own
	// group) does not, the caller ignores it.
	if got := f.result(1, nr("kill"), 0, sigUSR1); got != 0 || !pa.Exited || pb.Exited || f.p.Exited {
		t.Errorf("kill(0, SIGUSR1) = %d: exited a %v b %v caller %v", got, pa.Exited, pb.Exited, f.p.Exited)
	}
	// -b: b's group.
	if got := f.result(1, nr("kill"), neg(b), sigUSR1); got != 0 || !pb.Exited {
		t.Errorf("kill(-b) = %d, b exited %v", got, pb.Exited)
	}
	// -1: every process but init and the caller; none left is ESRCH.
	if got := f.result(1, nr("kill"), ^uint64(0), task.SIGTERM); got != errno(syscall.ESRCH) || f.p.Exited {
		t.Errorf("kill(-1) with no other process = %d", got)
	}
	c := f.result(1, nr("fork"))
	<-f.h.Woken
	if got := f.result(1, nr("kill"), ^uint64(0), task.SIGTERM); got != 0 || !f.k.Process(int(c)).Exited || f.p.Exited {
		t.Errorf("kill(-1) = %d", got)
	}
}

// TestTgkill: tgkill and tkill name one thread; a handled signal is
// pending for that thread, with si_code SI_TKILL.
func TestTgkill(t *testing.T) {
	f := newFixture(t)
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch, 0, 8)
	f.p.Threads[1].Mask = task.Bit(task.SIGINT)
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"tid 0", nr("tgkill"), []uint64{1, 0, task.SIGINT}, errno(syscall.EINVAL)},
		{"signal 65", nr("tgkill"), []uint64{1, 1, 65}, errno(syscall.EINVAL)},
		{"negative signal", nr("tgkill"), []uint64{1, 1, ^uint64(0)}, errno(syscall.EINVAL)},
		{"wrong group", nr("tgkill"), []uint64{5, 1, task.SIGINT}, errno(syscall.ESRCH)},
		{"no thread", nr("tkill"), []uint64{77, task.SIGINT}, errno(syscall.ESRCH)},
		{"probe", nr("tgkill"), []uint64{1, 1, 0}, 0},
		{"SIGINT", nr("tgkill"), []uint64{1, 1, task.SIGINT}, 0},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	th := f.p.Threads[1]
	if th.Pending != task.Bit(task.SIGINT) || f.p.Pending != 0 || th.Info[task.SIGINT].Code != task.SITkill || th.Info[task.SIGINT].PID != 1 {
		t.Errorf("thread pending %#x process %#x info %+v", th.Pending, f.p.Pending, th.Info[task.SIGINT])
	}
	// Signal 64 is the last there is; an ignored signal is discarded,
	// not left pending on the thread.
	f.result(1, nr("rt_sigaction"), task.NSig, scratch, 0, 8)
	usermem.Write(f.p.Proc, scratch+32, task.SigAction{Handler: 1})
	f.result(1, nr("rt_sigaction"), sigUSR1, scratch+32, 0, 8)
	th.Mask |= task.Bit(task.NSig)
	f.step("tkill", 0, 1, sigUSR1)
	f.step("tgkill", 0, 1, 1, task.NSig)
	f.step("kill", 0, 1, task.NSig)
	if th.Pending != task.Bit(task.SIGINT)|task.Bit(task.NSig) || f.p.Pending != task.Bit(task.NSig) {
		t.Errorf("after signal 64 to the thread and the process, and an ignored SIGUSR1: thread pending %#x, process %#x", th.Pending, f.p.Pending)
	}
	// Without a handler: the default action, on the whole process, which
	// ends and gets no reply.
	f.k.Mu.Lock()
	r := f.d.Handle(&abi.LinuxMsg{TID: 1, Regs: abi.Regs{RAX: nr("tkill"), RDI: 1, RSI: task.SIGTERM}})
	f.k.Mu.Unlock()
	if r != nil || !f.p.Exited || f.p.Status != task.SIGTERM {
		t.Errorf("tkill(SIGTERM) replied %v, exited %v status %d", r, f.p.Exited, f.p.Status)
	}
}

// TestPauseAndSigsuspend: both wait for a signal and end with EINTR;
// rt_sigsuspend waits with its temporary mask and the handler's frame
// restores the old mask at sigreturn.
func TestPauseAndSigsuspend(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	usermem.Write(m, scratch, task.SigAction{Handler: 1})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch, 0, 8) // ignored: pause returns EINTR itself
	send := func(sig int) {
		f.k.Mu.Lock()
		f.k.Signal(f.p, sig)
		f.p.Threads[1].Post(sig, task.SigInfo{})
		f.k.Cond.Broadcast()
		f.k.Mu.Unlock()
	}
	go send(task.SIGINT)
	if got := f.result(1, nr("pause")); got != errno(syscall.EINTR) {
		t.Errorf("pause = %d, want EINTR", got)
	}
	f.p.Threads[1].Pending = 0

	usermem.Write(m, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch, 0, 8)
	f.p.Threads[1].Mask = task.Bit(task.SIGINT) | task.Bit(task.SIGHUP)
	usermem.PutU64(m, scratch+8, task.Bit(task.SIGHUP)|task.Bit(task.SIGKILL))
	go send(task.SIGINT)
	r := f.call(1, nr("rt_sigsuspend"), scratch+8)
	if r.Action != abi.ReplyRegs || r.Regs.RIP != 0x400100 {
		t.Fatalf("rt_sigsuspend replied %+v, want the handler", r)
	}
	uc := r.Regs.RDX
	if saved, _ := usermem.U64(m, uc+ucSigmaskOffset); saved != task.Bit(task.SIGINT)|task.Bit(task.SIGHUP) {
		t.Errorf("frame's mask %#x, want the mask from before the call", saved)
	}
	if rax, _ := usermem.U64(m, uc+40+8*13); rax != uint64(errno(syscall.EINTR)) {
		t.Errorf("saved rax %#x, want -EINTR", rax)
	}
	if got := f.result(1, nr("rt_sigsuspend"), 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("rt_sigsuspend(bad pointer) = %d", got)
	}
}

// neg is -v as a register holds it.
func neg(v int64) uint64 { return uint64(-v) }

// TestInterrupt: a signal with a handler sent to a process interrupts the
// thread that will take it (the kernel then sends it back as a
// MsgInterrupt), none if every thread blocks it; and a MsgInterrupt runs
// the handler with the interrupted registers saved, the futex wait it
// ended returning EINTR or, with SA_RESTART, run again.
func TestInterrupt(t *testing.T) {
	const handler, rip, futexNr = 0x400100, 0x401002, 202
	eintr := uint64(errno(syscall.EINTR))
	for _, c := range []struct {
		name             string
		flags            uint64
		call             bool
		wantRAX, wantRIP uint64
	}{
		{"user code", 0, false, 5, rip},
		{"futex wait", 0, true, eintr, rip},
		{"futex wait, SA_RESTART", 0x10000000, true, futexNr, rip - 2},
	} {
		f := newFixture(t)
		usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: handler, Flags: c.flags})
		f.result(1, nr("rt_sigaction"), sigUSR1, scratch, 0, 8)
		f.k.Mu.Lock()
		f.k.Signal(f.p, sigUSR1)
		f.k.Mu.Unlock()
		if got := f.p.Proc.(*tasktest.Proc).Interrupted; len(got) != 1 || got[0] != 1 {
			t.Fatalf("%s: interrupted %v, want thread 1", c.name, got)
		}
		m := abi.LinuxMsg{Kind: abi.MsgInterrupt, TID: 1, Regs: abi.Regs{RAX: 5, RIP: rip, RSP: scratch + 60<<10}}
		if c.call {
			m.Err, m.Vector, m.Regs.RAX = 1, futexNr, eintr
		}
		f.k.Mu.Lock()
		r := f.d.Handle(&m)
		f.k.Mu.Unlock()
		if r == nil || r.Action != abi.ReplyRegs || r.Regs.RIP != handler || r.Regs.RDI != sigUSR1 {
			t.Fatalf("%s: reply %+v, want the handler of SIGUSR1", c.name, r)
		}
		var mc [18]uint64 // sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags
		usermem.Read(f.p.Proc, r.Regs.RSP+8+40, &mc)
		if mc[13] != c.wantRAX || mc[16] != c.wantRIP {
			t.Errorf("%s: saved rax %#x rip %#x, want %#x %#x", c.name, mc[13], mc[16], c.wantRAX, c.wantRIP)
		}
		// Nothing left to take: the thread resumes as it was, and runs
		// an interrupted futex wait again.
		f.k.Mu.Lock()
		r = f.d.Handle(&m)
		f.k.Mu.Unlock()
		want := m.Regs
		if c.call {
			want.RAX, want.RIP = futexNr, rip-2
		}
		if r == nil || r.Action != abi.ReplyRegs || r.Regs != want {
			t.Errorf("%s: second interrupt replied %+v, want %+v", c.name, r, want)
		}
	}
	// Blocked by the only thread: pending, and nobody to interrupt.
	f := newFixture(t)
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: handler})
	f.result(1, nr("rt_sigaction"), sigUSR1, scratch, 0, 8)
	f.p.Threads[1].Mask = task.Bit(sigUSR1)
	f.k.Mu.Lock()
	f.k.Signal(f.p, sigUSR1)
	f.k.Mu.Unlock()
	if got := f.p.Proc.(*tasktest.Proc).Interrupted; len(got) != 0 || f.p.Pending != task.Bit(sigUSR1) {
		t.Errorf("blocked signal: interrupted %v, pending %#x", got, f.p.Pending)
	}
}

// TestStopContinue: SIGSTOP stops the process (its thread interrupted)
// and holds back its calls' replies until SIGCONT, which sends them; each
// change is reported once; a stop discards a pending SIGCONT and SIGCONT
// a pending stop signal; SIGTSTP with a handler does not stop.
func TestStopContinue(t *testing.T) {
	f := newFixture(t)
	signal := func(sig int) {
		f.k.Mu.Lock()
		f.k.Signal(f.p, sig)
		f.k.Mu.Unlock()
	}
	signal(task.SIGSTOP)
	if !f.p.Stopped() || len(f.p.Proc.(*tasktest.Proc).Interrupted) != 1 {
		t.Fatalf("after SIGSTOP: stopped %v, interrupted %v", f.p.Stopped(), f.p.Proc.(*tasktest.Proc).Interrupted)
	}
	if a, b := f.p.TakeStop(), f.p.TakeStop(); a != task.SIGSTOP || b != 0 {
		t.Errorf("stop reported as %d then %d, want %d then 0", a, b, task.SIGSTOP)
	}
	f.k.Mu.Lock()
	r := f.d.Handle(&abi.LinuxMsg{TID: 1, Regs: abi.Regs{RAX: nr("getpid")}})
	f.k.Mu.Unlock()
	if r != nil {
		t.Fatalf("getpid of a stopped process replied at once: %+v", r)
	}
	signal(task.SIGCONT)
	select {
	case w := <-f.h.Woken:
		if w.Action != abi.ReplyReturn || w.Value != 1 {
			t.Errorf("held reply %+v, want getpid's 1", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply after SIGCONT")
	}
	if f.p.Stopped() || !f.p.TakeContinue() || f.p.TakeContinue() {
		t.Error("SIGCONT: still stopped, or its continue not reported exactly once")
	}

	// Blocked, SIGTSTP stays pending; SIGCONT discards it.
	f.p.Threads[1].Mask = task.Bit(task.SIGTSTP)
	signal(task.SIGTSTP)
	signal(task.SIGCONT)
	if f.p.Stopped() || f.p.Pending&task.Bit(task.SIGTSTP) != 0 {
		t.Errorf("blocked SIGTSTP then SIGCONT: stopped %v, pending %#x", f.p.Stopped(), f.p.Pending)
	}
	f.p.Threads[1].Mask = 0

	// With a handler, SIGTSTP is delivered, not a stop.
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGTSTP, scratch, 0, 8)
	signal(task.SIGTSTP)
	if f.p.Stopped() || f.p.Pending&task.Bit(task.SIGTSTP) == 0 {
		t.Errorf("handled SIGTSTP: stopped %v, pending %#x", f.p.Stopped(), f.p.Pending)
	}
}

// TestRestartThroughDispatcher: a read that waits on a pipe, interrupted
// by a signal whose handler has SA_RESTART, is set to run again when the
// handler returns: the frame's saved registers hold the call number and
// the address of the syscall instruction. While it waits, the read is one
// of the dispatcher's calls on goroutines of their own.
func TestRestartThroughDispatcher(t *testing.T) {
	const saRestart, saSiginfo, rip = 0x10000000, 4, 0x401000
	f := newFixture(t)
	f.k.AddThread(f.p, 2)
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100, Flags: saRestart | saSiginfo, Restorer: 0x400200})
	f.step("rt_sigaction", 0, sigUSR1, scratch, 0, 8)
	r, _ := f.pipeFDs()
	m := abi.LinuxMsg{TID: 1, Regs: abi.Regs{RAX: nr("read"), RDI: r, RSI: scratch + 0x800, RDX: 1, RSP: scratch + 60<<10, RIP: rip}}
	f.k.Mu.Lock()
	rep, waiting := f.d.Handle(&m), f.d.Waiting()
	f.k.Mu.Unlock()
	if rep != nil || waiting != 1 {
		t.Fatalf("read of an empty pipe: reply %+v, %d calls waiting; want none and 1", rep, waiting)
	}
	if got := f.result(2, nr("tgkill"), 1, 1, sigUSR1); got != 0 {
		t.Fatalf("tgkill = %d", got)
	}
	var w abi.LinuxReply
	select {
	case w = <-f.h.Woken:
	case <-time.After(5 * time.Second):
		t.Fatal("the signal did not interrupt the read")
	}
	f.k.Mu.Lock()
	waiting = f.d.Waiting()
	f.k.Mu.Unlock()
	if w.TID != 1 || w.Action != abi.ReplyRegs || w.Regs.RIP != 0x400100 || waiting != 0 {
		t.Fatalf("reply to thread %d action %d rip %#x, %d calls waiting; want the handler's registers for thread 1, none waiting", w.TID, w.Action, w.Regs.RIP, waiting)
	}
	const mcontext = 8 + 40 // return address, then uc_flags, uc_link, uc_stack
	rax, _ := usermem.U64(f.p.Proc, w.Regs.RSP+mcontext+8*13)
	savedRIP, _ := usermem.U64(f.p.Proc, w.Regs.RSP+mcontext+8*16)
	if rax != nr("read") || savedRIP != rip-2 {
		t.Errorf("saved rax %#x rip %#x, want read's number %d and %#x", rax, savedRIP, nr("read"), rip-2)
	}
}
