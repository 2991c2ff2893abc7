package task_test

import (
	"encoding/binary"
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
)

// Linux's x86-64 signal ABI (arch/x86/include/uapi/asm/sigcontext.h,
// include/uapi/asm-generic/siginfo.h, signal.h).
const (
	saSiginfo   = 0x4
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000
	sigIgn      = 1
	sigUSR1     = 10

	ucMcontext  = 40               // uc_flags, uc_link, uc_stack (24)
	ucSigmask   = ucMcontext + 256 // struct sigcontext
	ucSize      = ucSigmask + 16
	siginfoSize = 128
	stackTop    = 0x20000
)

// world is a kernel over the fake host with process tree helpers.
type world struct {
	t *testing.T
	h *tasktest.Host
	k *task.Kernel
}

func newWorld(t *testing.T) *world {
	h := tasktest.NewHost()
	return &world{t: t, h: h, k: task.New(h, nil)}
}

// spawn makes a process with one thread tid and 64 KiB of stack below
// stackTop, child of parent (nil: the first process).
func (w *world) spawn(tid int, parent *task.Process) *task.Process {
	kp, err := w.h.Create("p", 0)
	if err != nil {
		w.t.Fatal(err)
	}
	kp.(*tasktest.Proc).Map(stackTop-64<<10, 64<<10)
	return w.k.NewProcess(kp, tid, parent, fd.NewTable())
}

func handle(p *task.Process, sig int, flags, mask uint64) {
	p.Actions[sig] = task.SigAction{Handler: 0x401000 + uint64(sig), Flags: flags | saSiginfo, Restorer: 0x402000, Mask: mask}
}

// TestDeliverFrame checks the frame a handler starts with: the restorer
// as return address, the ucontext with the interrupted registers and the
// old mask, the siginfo, and the handler's three arguments.
func TestDeliverFrame(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	th.Mask = task.Bit(sigUSR1)
	handle(p, task.SIGTERM, 0, task.Bit(task.SIGINT)|task.Bit(task.SIGKILL))
	w.k.SignalInfo(p, task.SIGTERM, task.SigInfo{Code: task.SIUser, PID: 42, Status: 7})
	if !th.Deliverable() || !th.Interrupted() {
		t.Fatal("a caught SIGTERM is not deliverable")
	}
	regs := abi.Regs{R8: 1, R9: 2, R10: 3, R11: 4, R12: 5, R13: 6, R14: 7, R15: 8, RDI: 9, RSI: 10, RBP: 11,
		RBX: 12, RDX: 13, RAX: 0xaaaa, RCX: 15, RSP: stackTop - 8, RIP: 0x400100, RFLAGS: 0x246, FSBase: 0x777}
	r := regs
	if !w.k.Deliver(th, &r, 99, true) {
		t.Fatal("Deliver did not run the handler")
	}
	sp := r.RSP
	if (sp+8)%16 != 0 || sp+8+ucSize+siginfoSize > regs.RSP-128 {
		t.Errorf("frame at %#x: not 16-aligned after the return address, or within the red zone below %#x", sp, regs.RSP)
	}
	if r.RIP != 0x401000+task.SIGTERM || r.RDI != task.SIGTERM || r.RDX != sp+8 || r.RSI != sp+8+ucSize || r.RAX != 0 {
		t.Errorf("handler entry: rip %#x rdi %d rsi %#x rdx %#x rax %d", r.RIP, r.RDI, r.RSI, r.RDX, r.RAX)
	}
	frame := make([]byte, 8+ucSize+siginfoSize)
	if err := th.Mem().ReadAt(frame, sp); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if got := le.Uint64(frame); got != 0x402000 {
		t.Errorf("return address %#x, want the restorer", got)
	}
	uc := frame[8:]
	want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 99, 15, stackTop - 8, 0x400100, 0x246}
	for i, v := range want {
		if got := le.Uint64(uc[ucMcontext+8*i:]); got != v {
			t.Errorf("sigcontext word %d = %#x, want %#x", i, got, v)
		}
	}
	if cs := le.Uint16(uc[ucMcontext+8*18:]); cs != 0x33 {
		t.Errorf("cs = %#x, want 0x33", cs)
	}
	if m := le.Uint64(uc[ucSigmask:]); m != task.Bit(sigUSR1) {
		t.Errorf("uc_sigmask %#x, want the mask before delivery", m)
	}
	si := uc[ucSize:]
	if le.Uint32(si) != task.SIGTERM || le.Uint32(si[8:]) != task.SIUser || le.Uint32(si[16:]) != 42 || le.Uint32(si[24:]) != 7 {
		t.Errorf("siginfo signo %d code %d pid %d status %d", le.Uint32(si), int32(le.Uint32(si[8:])), le.Uint32(si[16:]), le.Uint32(si[24:]))
	}
	// The handler runs with its own signal, sa_mask (less SIGKILL) and
	// the old mask blocked.
	if want := task.Bit(sigUSR1) | task.Bit(task.SIGTERM) | task.Bit(task.SIGINT); th.Mask != want {
		t.Errorf("mask in handler %#x, want %#x", th.Mask, want)
	}
	if th.Deliverable() {
		t.Error("the signal is still pending after delivery")
	}
	// rt_sigreturn: RSP points past the return address.
	r.RSP = sp + 8
	if err := w.k.Sigreturn(th, &r); err != nil {
		t.Fatal(err)
	}
	back := regs
	back.RAX = 99
	if r != back {
		t.Errorf("after sigreturn %+v, want %+v", r, back)
	}
	if th.Mask != task.Bit(sigUSR1) {
		t.Errorf("mask after sigreturn %#x", th.Mask)
	}
	r.RSP = 0x10
	if err := w.k.Sigreturn(th, &r); err != syscall.EFAULT {
		t.Errorf("sigreturn with a bad stack: %v, want EFAULT", err)
	}
}

func TestSigreturnKeepsKillAndStopUnblocked(t *testing.T) {
	w := newWorld(t)
	w.spawn(1, nil)
	th := w.k.Thread(1)
	uc := make([]byte, ucSize)
	binary.LittleEndian.PutUint64(uc[ucSigmask:], ^uint64(0))
	if err := th.Mem().WriteAt(uc, stackTop-4096); err != nil {
		t.Fatal(err)
	}
	r := abi.Regs{RSP: stackTop - 4096}
	if err := w.k.Sigreturn(th, &r); err != nil {
		t.Fatal(err)
	}
	if th.Mask&task.Bit(task.SIGKILL) != 0 || th.Mask&task.Bit(task.SIGSTOP) != 0 || th.Mask&task.Bit(task.SIGTERM) == 0 {
		t.Errorf("mask %#x: SIGKILL and SIGSTOP must stay unblocked, the rest blocked", th.Mask)
	}
}

func TestDeliverRestartAndFlags(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	e := int64(syscall.EINTR)
	eintr := uint64(-e)
	for _, c := range []struct {
		name        string
		flags       uint64
		restartable bool
		result      uint64
		rax, rip    uint64
	}{
		{"SA_RESTART after EINTR", saRestart, true, eintr, 7, 0x400100 - 2},
		{"SA_RESTART, call not restartable", saRestart, false, eintr, eintr, 0x400100},
		{"no SA_RESTART", 0, true, eintr, eintr, 0x400100},
		{"SA_RESTART after success", saRestart, true, 5, 5, 0x400100},
	} {
		handle(p, task.SIGINT, c.flags, 0)
		w.k.Signal(p, task.SIGINT)
		r := abi.Regs{RAX: 7, RIP: 0x400100, RSP: stackTop}
		if !w.k.Deliver(th, &r, c.result, c.restartable) {
			t.Fatalf("%s: not delivered", c.name)
		}
		uc := make([]byte, ucSize)
		if err := th.Mem().ReadAt(uc, r.RDX); err != nil {
			t.Fatal(err)
		}
		rax, rip := binary.LittleEndian.Uint64(uc[ucMcontext+8*13:]), binary.LittleEndian.Uint64(uc[ucMcontext+8*16:])
		if rax != c.rax || rip != c.rip {
			t.Errorf("%s: saved rax %#x rip %#x, want %#x %#x", c.name, rax, rip, c.rax, c.rip)
		}
		th.Mask = 0
	}

	handle(p, task.SIGINT, saNodefer|saResethand, 0)
	w.k.Signal(p, task.SIGINT)
	r := abi.Regs{RSP: stackTop}
	if !w.k.Deliver(th, &r, 0, false) {
		t.Fatal("not delivered")
	}
	if th.Mask != 0 {
		t.Errorf("SA_NODEFER: mask %#x, want the signal unblocked", th.Mask)
	}
	if p.Actions[task.SIGINT] != (task.SigAction{}) {
		t.Errorf("SA_RESETHAND: action %+v, want the default", p.Actions[task.SIGINT])
	}
}

// TestDeliverOrder: the lowest-numbered signal goes first, and a signal
// sent to the thread carries the thread's information.
func TestDeliverOrder(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	for _, s := range []int{task.SIGINT, task.SIGTERM, task.SIGALRM} {
		handle(p, s, 0, 0)
	}
	w.k.SignalInfo(p, task.SIGTERM, task.SigInfo{PID: 1})
	w.k.SignalInfo(p, task.SIGALRM, task.SigInfo{PID: 2})
	w.k.SignalInfo(p, task.SIGALRM, task.SigInfo{PID: 3}) // pending: keeps the first
	th.Post(task.SIGTERM, task.SigInfo{PID: 4})
	th.Post(task.SIGTERM, task.SigInfo{PID: 5})
	th.Post(task.SIGINT, task.SigInfo{Code: task.SEGVMaperr, Addr: 0xdead})
	want := []struct {
		sig int
		pid uint32
		at  uint64
	}{{task.SIGINT, 0, 0xdead}, {task.SIGALRM, 2, 0}, {task.SIGTERM, 4, 0}}
	for _, x := range want {
		th.Mask = 0
		r := abi.Regs{RSP: stackTop}
		if !w.k.Deliver(th, &r, 0, false) {
			t.Fatalf("signal %d not delivered", x.sig)
		}
		si := make([]byte, siginfoSize)
		if err := th.Mem().ReadAt(si, r.RSI); err != nil {
			t.Fatal(err)
		}
		le := binary.LittleEndian
		if int(r.RDI) != x.sig || le.Uint32(si) != uint32(x.sig) {
			t.Fatalf("delivered %d, want %d", r.RDI, x.sig)
		}
		if x.at != 0 && (le.Uint64(si[16:]) != x.at || le.Uint32(si[8:]) != task.SEGVMaperr) {
			t.Errorf("signal %d: si_addr %#x code %d", x.sig, le.Uint64(si[16:]), le.Uint32(si[8:]))
		}
		if x.at == 0 && le.Uint32(si[16:]) != x.pid {
			t.Errorf("signal %d: si_pid %d, want %d", x.sig, le.Uint32(si[16:]), x.pid)
		}
		// Delivery of a thread-directed signal clears the process's too.
		if x.sig == task.SIGTERM && p.Pending != 0 {
			t.Errorf("process still has %#x pending", p.Pending)
		}
	}
	r := abi.Regs{RSP: stackTop}
	if w.k.Deliver(th, &r, 0, false) || r.RSP != stackTop {
		t.Error("Deliver with nothing pending changed the registers")
	}
}

// TestHighestSignal delivers SIGRTMAX (64), the last of Linux's _NSIG
// signals, sent to the process and to the thread, each with its sender;
// and tkill's si_code is SI_TKILL, -6 in Linux's siginfo.h.
func TestHighestSignal(t *testing.T) {
	const siTkill = -6
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	handle(p, task.NSig, 0, 0)
	for _, post := range []func(task.SigInfo){
		func(info task.SigInfo) { w.k.SignalInfo(p, task.NSig, info) },
		func(info task.SigInfo) { th.Post(task.NSig, info) },
	} {
		post(task.SigInfo{Code: task.SITkill, PID: 77})
		th.Mask = 0
		r := abi.Regs{RSP: stackTop}
		if !w.k.Deliver(th, &r, 0, false) || r.RDI != task.NSig {
			t.Fatalf("signal %d delivered, want %d", r.RDI, task.NSig)
		}
		si := make([]byte, siginfoSize)
		if err := th.Mem().ReadAt(si, r.RSI); err != nil {
			t.Fatal(err)
		}
		le := binary.LittleEndian
		if le.Uint32(si) != task.NSig || int32(le.Uint32(si[8:])) != siTkill || le.Uint32(si[16:]) != 77 {
			t.Errorf("siginfo signo %d code %d pid %d, want %d, %d, 77", le.Uint32(si), int32(le.Uint32(si[8:])), le.Uint32(si[16:]), task.NSig, siTkill)
		}
	}
}

func TestDeliverBadStack(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	handle(p, task.SIGINT, 0, 0)
	w.k.Signal(p, task.SIGINT)
	r := abi.Regs{RSP: 0x1000}
	if w.k.Deliver(w.k.Thread(1), &r, 0, false) {
		t.Error("delivered onto an unmapped stack")
	}
	if !p.Exited || p.Status != task.SIGSEGV|0x80 {
		t.Errorf("exited %v status %#x, want killed by SIGSEGV with core", p.Exited, p.Status)
	}
}

// TestDefaultActions: signals that default to ending the process do so
// with the wait status Linux reports (0x80 for a core dump); ignored ones
// do nothing; a blocked one waits until it is unblocked.
func TestDefaultActions(t *testing.T) {
	for _, c := range []struct {
		sig    int
		status int // -1: the process lives
	}{
		{task.SIGHUP, 1}, {task.SIGINT, 2}, {task.SIGQUIT, 3 | 0x80}, {task.SIGILL, 4 | 0x80},
		{task.SIGTRAP, 5 | 0x80}, {task.SIGABRT, 6 | 0x80}, {task.SIGBUS, 7 | 0x80}, {task.SIGFPE, 8 | 0x80},
		{task.SIGKILL, 9}, {task.SIGSEGV, 11 | 0x80}, {task.SIGPIPE, 13}, {task.SIGALRM, 14}, {task.SIGTERM, 15},
		{task.SIGCHLD, -1}, {task.SIGCONT, -1}, {task.SIGSTOP, -1}, {task.SIGTSTP, -1}, {task.SIGTTIN, -1},
		{task.SIGTTOU, -1}, {task.SIGURG, -1}, {task.SIGWINCH, -1}, {task.NSig, task.NSig}, {0, -1}, {task.NSig + 1, -1},
	} {
		w := newWorld(t)
		p := w.spawn(1, nil)
		kp := p.Proc.(*tasktest.Proc)
		w.k.Signal(p, c.sig)
		if c.status < 0 {
			if p.Exited || p.Pending != 0 {
				t.Errorf("signal %d: exited %v, pending %#x; want it ignored", c.sig, p.Exited, p.Pending)
			}
			continue
		}
		if !p.Exited || p.Status != c.status || !kp.Killed || kp.Status != c.status {
			t.Errorf("signal %d: exited %v status %#x (kernel %v %#x), want %#x", c.sig, p.Exited, p.Status, kp.Killed, kp.Status, c.status)
		}
		if w.k.Process(1) != nil || w.k.Thread(1) != nil {
			t.Errorf("signal %d: the parentless process was not reaped", c.sig)
		}
	}
}

func TestBlockedDefaultSignal(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	w.k.AddThread(p, 2).Mask = task.Bit(task.SIGTERM)
	th.Mask = task.Bit(task.SIGTERM)
	w.k.Signal(p, task.SIGTERM)
	if p.Exited || p.Pending != task.Bit(task.SIGTERM) || th.Deliverable() {
		t.Fatalf("blocked SIGTERM: exited %v pending %#x", p.Exited, p.Pending)
	}
	th.Mask = 0
	r := abi.Regs{RSP: stackTop}
	if w.k.Deliver(th, &r, 0, false) || !p.Exited || p.Status != task.SIGTERM {
		t.Errorf("unblocked SIGTERM: exited %v status %d", p.Exited, p.Status)
	}

	// Blocked in one thread only: the other takes it, so it ends the
	// process at once.
	p = w.spawn(3, nil)
	w.k.AddThread(p, 4)
	w.k.Thread(3).Mask = task.Bit(task.SIGTERM)
	w.k.Signal(p, task.SIGTERM)
	if !p.Exited {
		t.Error("SIGTERM blocked by one of two threads did not end the process")
	}

	// SIGKILL cannot be blocked, ignored or caught.
	p = w.spawn(5, nil)
	w.k.Thread(5).Mask = ^uint64(0)
	p.Actions[task.SIGKILL] = task.SigAction{Handler: sigIgn}
	w.k.Signal(p, task.SIGKILL)
	if !p.Exited || p.Status != task.SIGKILL {
		t.Errorf("SIGKILL: exited %v status %d", p.Exited, p.Status)
	}

	// A handled signal blocked by the mask is pending but not
	// deliverable; SIGKILL and SIGSTOP bits in a mask block nothing.
	p = w.spawn(6, nil)
	th = w.k.Thread(6)
	handle(p, task.SIGINT, 0, 0)
	th.Mask = task.Bit(task.SIGINT)
	w.k.Signal(p, task.SIGINT)
	if th.Deliverable() || th.Interrupted() {
		t.Error("a blocked signal interrupts")
	}
	th.Post(task.SIGSTOP, task.SigInfo{})
	th.Mask |= task.Bit(task.SIGSTOP)
	if !th.Deliverable() {
		t.Error("SIGSTOP blocked by the mask")
	}
}

// TestIgnoredSignal: an ignored signal is dropped when sent, unless every
// thread blocks it; a signal to an ended process is dropped.
func TestIgnoredSignal(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	p.Actions[task.SIGTERM] = task.SigAction{Handler: sigIgn}
	w.k.Signal(p, task.SIGTERM)
	if p.Exited || p.Pending != 0 {
		t.Errorf("ignored SIGTERM: exited %v pending %#x", p.Exited, p.Pending)
	}
	// Blocked, an ignored signal stays pending, as in Linux: its action
	// may change before it is unblocked. Delivered ignored, it is dropped.
	th := w.k.Thread(1)
	th.Mask = task.Bit(task.SIGTERM) | task.Bit(task.SIGCHLD)
	w.k.Signal(p, task.SIGTERM)
	w.k.Signal(p, task.SIGCHLD) // ignored by default
	if want := task.Bit(task.SIGTERM) | task.Bit(task.SIGCHLD); p.Exited || p.Pending != want {
		t.Errorf("blocked ignored SIGTERM and SIGCHLD: exited %v pending %#x, want %#x", p.Exited, p.Pending, want)
	}
	th.Mask = 0
	r := abi.Regs{RSP: stackTop}
	first, second := w.k.Deliver(th, &r, 0, false), w.k.Deliver(th, &r, 0, false)
	if first || second || p.Exited || p.Pending != 0 {
		t.Errorf("delivery of ignored signals ran a handler or left %#x pending", p.Pending)
	}
	w.k.Exit(p, 0)
	handle(p, task.SIGINT, 0, 0)
	w.k.Signal(p, task.SIGINT)
	if p.Pending != 0 {
		t.Error("a signal to an exited process is pending")
	}
}

func TestSignalGroup(t *testing.T) {
	w := newWorld(t)
	leader := w.spawn(1, nil)
	a := w.spawn(2, leader)
	b := w.spawn(3, leader)
	other := w.spawn(4, nil)
	leader.Actions[task.SIGCHLD] = task.SigAction{Handler: sigIgn}
	other.PGID = 9
	b.PGID = 9
	w.k.SignalGroup(1, task.SIGTERM)
	if !leader.Exited || !a.Exited || b.Exited || other.Exited {
		t.Errorf("SIGTERM to group 1: exited %v %v %v %v, want true true false false", leader.Exited, a.Exited, b.Exited, other.Exited)
	}
}
