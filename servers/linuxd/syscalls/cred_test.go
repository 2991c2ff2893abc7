package syscalls

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

// TestCredCalls: the id calls read and change the caller's credential as
// Linux's rules say (lib/linux/cred has those rules' own tests); here the
// system call side: what each call stores and returns.
func TestCredCalls(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	ids := func(nr uint64) [3]uint32 {
		t.Helper()
		if got := f.result(1, nr, scratch, scratch+4, scratch+8); got != 0 {
			t.Fatalf("%d = %d", nr, got)
		}
		var v [3]uint32
		usermem.Read(m, scratch, &v)
		return v
	}
	if got := f.result(1, nr("setresgid"), 5, 6, 7); got != 0 {
		t.Fatal(got)
	}
	if got := f.result(1, nr("setresuid"), 1, 2, 3); got != 0 {
		t.Fatal(got)
	}
	if v := ids(nr("getresuid")); v != [3]uint32{1, 2, 3} {
		t.Errorf("getresuid %v", v)
	}
	if v := ids(nr("getresgid")); v != [3]uint32{5, 6, 7} {
		t.Errorf("getresgid %v", v)
	}
	for name, want := range map[string]int64{"getuid": 1, "geteuid": 2, "getgid": 5, "getegid": 6} {
		if got := f.result(1, nr(name)); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := f.result(1, nr("getresuid"), 0x1000, scratch, scratch); got != errno(syscall.EFAULT) {
		t.Errorf("getresuid(bad) = %d", got)
	}
	if got := f.result(1, nr("getresuid"), scratch, scratch, 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("getresuid(.., bad) = %d", got)
	}
	// An unprivileged process may set its fsuid to one of its ids; the
	// call returns the old fsuid either way.
	if got := f.result(1, nr("setfsuid"), 3); got != 2 {
		t.Errorf("setfsuid(3) = %d, want the old fsuid 2", got)
	}
	if got := f.result(1, nr("setfsuid"), 99); got != 3 || f.p.Cred.FSUID != 3 {
		t.Errorf("setfsuid(99) = %d, fsuid %d; want 3 and unchanged", got, f.p.Cred.FSUID)
	}
	if got := f.result(1, nr("setfsgid"), 7); got != 6 || f.p.Cred.FSGID != 7 {
		t.Errorf("setfsgid(7) = %d, fsgid %d", got, f.p.Cred.FSGID)
	}
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"setuid", []uint64{0}}, {"setgid", []uint64{0}}, {"setreuid", []uint64{0, 0}},
		{"setregid", []uint64{0, 0}}, {"setresuid", []uint64{0, 0, 0}}, {"setresgid", []uint64{0, 0, 0}},
	} {
		if got := f.result(1, nr(c.name), c.args...); got != errno(syscall.EPERM) {
			t.Errorf("unprivileged %s(0) = %d, want EPERM", c.name, got)
		}
	}
	// Unprivileged: the effective id may become the real or saved one.
	if got := f.result(1, nr("setreuid"), ^uint64(0), 3); got != 0 || f.p.Cred.EUID != 3 || f.p.Cred.RUID != 1 {
		t.Errorf("setreuid(-1, 3) = %d, cred %+v", got, f.p.Cred)
	}
	if got := f.result(1, nr("setuid"), 1); got != 0 || f.p.Cred.EUID != 1 {
		t.Errorf("setuid(1) = %d, euid %d", got, f.p.Cred.EUID)
	}
	if got := f.result(1, nr("setregid"), ^uint64(0), 7); got != 0 || f.p.Cred.EGID != 7 || f.p.Cred.RGID != 5 {
		t.Errorf("setregid(-1, 7) = %d, cred %+v", got, f.p.Cred)
	}
	if got := f.result(1, nr("setgid"), 5); got != 0 || f.p.Cred.EGID != 5 {
		t.Errorf("setgid(5) = %d, egid %d", got, f.p.Cred.EGID)
	}
}

// TestGroups: getgroups with size 0 counts, with a size too small is
// EINVAL; setgroups takes at most NGROUPS_MAX and needs CAP_SETGID.
func TestGroups(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	usermem.Write(m, scratch, [3]uint32{10, 20, 30})
	if got := f.result(1, nr("setgroups"), 3, scratch); got != 0 {
		t.Fatal(got)
	}
	if got := f.result(1, nr("setgroups"), 65537, scratch); got != errno(syscall.EINVAL) {
		t.Errorf("setgroups(65537) = %d, want EINVAL", got)
	}
	if got := f.result(1, nr("setgroups"), 65536, scratch); got != errno(syscall.EFAULT) {
		t.Errorf("setgroups(65536) past the memory = %d, want EFAULT", got)
	}
	for _, c := range []struct {
		n    uint64
		want int64
	}{{0, 3}, {2, errno(syscall.EINVAL)}, {^uint64(0), errno(syscall.EINVAL)}, {3, 3}, {4, 3}} {
		usermem.Write(m, scratch+64, [4]uint32{})
		if got := f.result(1, nr("getgroups"), c.n, scratch+64); got != c.want {
			t.Errorf("getgroups(%d) = %d, want %d", int64(c.n), got, c.want)
		}
	}
	var g [4]uint32
	usermem.Read(m, scratch+64, &g)
	if g != [4]uint32{10, 20, 30, 0} {
		t.Errorf("groups %v", g)
	}
	if got := f.result(1, nr("getgroups"), 3, 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("getgroups(bad) = %d", got)
	}
	f.result(1, nr("setuid"), 1000)
	if got := f.result(1, nr("setgroups"), 0, 0); got != errno(syscall.EPERM) {
		t.Errorf("unprivileged setgroups = %d, want EPERM", got)
	}
}

// TestFaults turns CPU exceptions into Linux's signals: divide error and
// x87/SIMD errors SIGFPE, invalid opcode SIGILL, debug and breakpoint
// SIGTRAP, alignment check SIGBUS, page faults SIGSEGV with SEGV_MAPERR or
// (present bit) SEGV_ACCERR and the address; a handled one runs its
// handler, an unhandled one ends the process with a core-dump status.
func TestFaults(t *testing.T) {
	for _, c := range []struct {
		vector  uint64
		err     uint64
		sig     int
		code    int32
		addr    uint64
		handled bool
	}{
		{0, 0, task.SIGFPE, task.SIKernel, 0, false},
		{16, 0, task.SIGFPE, task.SIKernel, 0, false},
		{19, 0, task.SIGFPE, task.SIKernel, 0, false},
		{6, 0, task.SIGILL, task.SIKernel, 0, false},
		{1, 0, task.SIGTRAP, task.SIKernel, 0, false},
		{3, 0, task.SIGTRAP, task.SIKernel, 0, false},
		{17, 0, task.SIGBUS, task.SIKernel, 0, false},
		{13, 0, task.SIGSEGV, task.SIKernel, 0, false},
		{14, 4, task.SIGSEGV, task.SEGVMaperr, 0xdead000, true},
		{14, 5, task.SIGSEGV, task.SEGVAccerr, 0xbeef000, true},
		{6, 0, task.SIGILL, task.SIKernel, 0, true},
	} {
		f := newFixture(t)
		if c.handled {
			usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100})
			f.result(1, nr("rt_sigaction"), uint64(c.sig), scratch, 0, 8)
		}
		m := abi.LinuxMsg{Kind: abi.MsgFault, TID: 1, Vector: c.vector, Err: c.err, Addr: c.addr,
			Regs: abi.Regs{RIP: 0x401234, RSP: scratch + 60<<10}}
		f.k.Mu.Lock()
		r := f.d.Handle(&m)
		f.k.Mu.Unlock()
		if !c.handled {
			if r != nil || !f.p.Exited || f.p.Status != c.sig|0x80 {
				t.Errorf("vector %d: reply %v, exited %v status %#x; want killed by %d with core", c.vector, r, f.p.Exited, f.p.Status, c.sig)
			}
			continue
		}
		if r == nil || r.Action != abi.ReplyRegs || r.Regs.RDI != uint64(c.sig) {
			t.Fatalf("vector %d: reply %+v, want the handler of %d", c.vector, r, c.sig)
		}
		var si struct {
			Signo, Errno, Code, _ int32
			Addr                  uint64
		}
		usermem.Read(f.p.Proc, r.Regs.RSI, &si)
		if si.Signo != int32(c.sig) || si.Code != c.code || si.Addr != c.addr {
			t.Errorf("vector %d: siginfo %+v, want code %d addr %#x", c.vector, si, c.code, c.addr)
		}
	}
	// A blocked fault signal cannot be handled: the process ends.
	f := newFixture(t)
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGSEGV, scratch, 0, 8)
	f.p.Threads[1].Mask = task.Bit(task.SIGSEGV)
	f.k.Mu.Lock()
	r := f.d.Handle(&abi.LinuxMsg{Kind: abi.MsgFault, TID: 1, Vector: 14})
	f.k.Mu.Unlock()
	if r != nil || !f.p.Exited {
		t.Error("a fault with its signal blocked did not end the process")
	}
}

// TestNoMemory: a page the kernel could not back ends the process with
// SIGKILL (no core), even with a SIGSEGV handler, as Linux's OOM killer
// does: no reply, and the process a zombie whose status its parent's
// wait sees.
func TestNoMemory(t *testing.T) {
	f := newFixture(t)
	usermem.Write(f.p.Proc, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGSEGV, scratch, 0, 8)
	f.k.Mu.Lock()
	r := f.d.Handle(&abi.LinuxMsg{Kind: abi.MsgNoMemory, TID: 1, Vector: 14, Err: 256, Addr: 0x7f0000001000,
		Regs: abi.Regs{RIP: 0x401234, RSP: scratch + 60<<10}})
	f.k.Mu.Unlock()
	if r != nil || !f.p.Exited || f.p.Status != task.SIGKILL {
		t.Errorf("reply %v, exited %v status %#x; want killed by SIGKILL without core", r, f.p.Exited, f.p.Status)
	}
}

// TestUnknownNumbers: numbers past the table, up to the largest a
// register holds, are ENOSYS.
func TestUnknownNumbers(t *testing.T) {
	f := newFixture(t)
	for _, n := range []uint64{511, 512, 1 << 40, ^uint64(0)} {
		if got := f.result(1, n); got != errno(syscall.ENOSYS) {
			t.Errorf("system call %d = %d, want ENOSYS", n, got)
		}
	}
}

// TestTrace: the strace-style line shows the call, its first four
// arguments and its result, errors by name.
func TestTrace(t *testing.T) {
	f := newFixture(t)
	var out bytes.Buffer
	f.d.Trace = &out
	f.d.Traced = func(p *task.Process) bool { return p.PID == 1 }
	f.result(1, nr("close"), 7)
	f.result(1, nr("getpid"))
	f.result(1, nr("lseek"), 1, 2, 3)
	f.result(1, nr("rt_sigprocmask"), 0, 0, 0, 8)
	want := "[pid 1] close(0x7, 0x0, 0x0, 0x0) = -1 EBADF\n[pid 1] getpid(0x0, 0x0, 0x0, 0x0) = 1\n"
	if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "lseek(0x1, 0x2, 0x3, 0x0) = -1 EBADF") ||
		!strings.HasSuffix(out.String(), "rt_sigprocmask(0x0, 0x0, 0x0, 0x8) = 0\n") {
		t.Errorf("trace:\n%s\nwant it to start with\n%s", out.String(), want)
	}
	f.d.Traced = func(*task.Process) bool { return false }
	out.Reset()
	f.result(1, nr("getpid"))
	if out.Len() != 0 {
		t.Errorf("untraced process traced: %q", out.String())
	}
}

// TestInitSignals: with no process 1 to receive them, SIGUSR1, SIGUSR2
// and SIGTERM sent to pid 1 ask linuxd, playing init, to stop the system
// (busybox's halt, poweroff and reboot send them), if the caller may.
func TestInitSignals(t *testing.T) {
	for _, c := range []struct {
		sig  uint64
		stop bool
	}{{10, true}, {12, true}, {task.SIGTERM, true}, {task.SIGINT, false}, {11, false}} {
		f := newFixture(t)
		child := f.result(1, nr("fork"))
		<-f.h.Woken
		f.k.Mu.Lock()
		f.k.Exit(f.p, 0) // process 1 gone; the child is an orphan
		f.k.Mu.Unlock()
		stopped := false
		f.k.PowerOff = func() { stopped = true }
		got := f.result(int(child), nr("kill"), 1, c.sig)
		if stopped != c.stop || c.stop && got != 0 || !c.stop && got != errno(syscall.ESRCH) {
			t.Errorf("kill(1, %d) = %d, stopped %v", c.sig, got, stopped)
		}
	}
	f := newFixture(t)
	child := f.result(1, nr("fork"))
	<-f.h.Woken
	f.result(int(child), nr("setuid"), 1000)
	f.k.Mu.Lock()
	f.k.Exit(f.p, 0)
	f.k.Mu.Unlock()
	f.k.PowerOff = func() { t.Error("an unprivileged process stopped the system") }
	if got := f.result(int(child), nr("kill"), 1, task.SIGTERM); got != errno(syscall.EPERM) {
		t.Errorf("unprivileged kill(1, SIGTERM) = %d, want EPERM", got)
	}
}
