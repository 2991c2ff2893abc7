package syscalls

import (
	"context"
	"encoding/binary"
	"os"
	"reflect"
	"syscall"
	"testing"
	"time"

	"aramid/lib/abi"
	"aramid/lib/linux/sysno"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
	"aramid/servers/linuxd/usermem"
)

// TestTableByName checks that every handler sits under the number of the
// call it is named for: the table cannot send one call to another's
// handler.
func TestTableByName(t *testing.T) {
	if len(byName) < 100 {
		t.Errorf("only %d calls in the table", len(byName))
	}
	for name, e := range byName {
		nr, ok := sysno.Number(name)
		if !ok {
			t.Fatalf("%s: no such system call", name)
		}
		if sysno.Name(nr) != name || reflect.ValueOf(table[nr].Fn).Pointer() != reflect.ValueOf(e.Fn).Pointer() {
			t.Errorf("%s (%d): the table holds another handler", name, nr)
		}
		if e.Status == Partial && e.Note == "" {
			t.Errorf("%s is partial but says nothing of what is missing", name)
		}
	}
}

type fixture struct {
	t *testing.T
	k *task.Kernel
	h *tasktest.Host
	p *task.Process
	d *Dispatcher
}

const scratch = 0x10000 // where the test process has 64 KiB of memory

func newFixture(t *testing.T) *fixture {
	h := tasktest.NewHost()
	k := task.New(h, nil)
	kp, _ := h.Create("test", 0)
	kp.(*tasktest.Proc).Map(scratch, 64<<10)
	p := k.NewProcess(kp, 1, nil, fd.NewTable())
	return &fixture{t: t, k: k, h: h, p: p, d: &Dispatcher{K: k}}
}

// call makes system call nr from thread tid and returns the reply, waiting
// for it if the call went to a goroutine of its own.
func (f *fixture) call(tid int, nr uint64, args ...uint64) abi.LinuxReply {
	f.t.Helper()
	a := append(args, make([]uint64, 6)...)
	m := abi.LinuxMsg{TID: uint32(tid), Regs: abi.Regs{RAX: nr, RDI: a[0], RSI: a[1], RDX: a[2], R10: a[3], R8: a[4], R9: a[5], RSP: scratch + 60<<10}}
	f.k.Mu.Lock()
	r := f.d.Handle(&m)
	f.k.Mu.Unlock()
	if r != nil {
		return *r
	}
	select {
	case w := <-f.h.Woken:
		return w
	case <-time.After(5 * time.Second):
		f.t.Fatalf("no reply to %s", sysno.Name(nr))
		return abi.LinuxReply{}
	}
}

func (f *fixture) result(tid int, nr uint64, args ...uint64) int64 {
	f.t.Helper()
	r := f.call(tid, nr, args...)
	if r.Action != abi.ReplyReturn {
		f.t.Fatalf("%s: reply action %d, want a plain return", sysno.Name(nr), r.Action)
	}
	return int64(r.Value)
}

// step runs the call name as thread 1 and requires the result want.
func (f *fixture) step(name string, want int64, args ...uint64) {
	f.t.Helper()
	if got := f.result(1, nr(name), args...); got != want {
		f.t.Errorf("%s%v = %d, want %d", name, args, got, want)
	}
}

func errno(e syscall.Errno) int64 { return -int64(e) }

func nr(name string) uint64 {
	n, _ := sysno.Number(name)
	return n
}

func TestIdsAndErrors(t *testing.T) {
	f := newFixture(t)
	if got := f.result(1, nr("getpid")); got != 1 {
		t.Errorf("getpid = %d", got)
	}
	if got := f.result(1, nr("getppid")); got != initPID {
		t.Errorf("getppid of the first process = %d, want init's pid 1", got)
	}
	if got := f.result(1, 335); got != errno(syscall.ENOSYS) {
		t.Errorf("an unimplemented call = %d, want ENOSYS", got)
	}
	if got := f.result(1, nr("close"), 7); got != errno(syscall.EBADF) {
		t.Errorf("close(7) = %d, want EBADF", got)
	}
	if got := f.result(1, nr("uname"), 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("uname(bad pointer) = %d, want EFAULT", got)
	}
	if got := f.result(1, nr("pipe2"), scratch, 0x1234); got != errno(syscall.EINVAL) {
		t.Errorf("pipe2(bad flags) = %d, want EINVAL", got)
	}
}

func TestPipeAndDup(t *testing.T) {
	f := newFixture(t)
	if got := f.result(1, nr("pipe"), scratch); got != 0 {
		t.Fatalf("pipe = %d", got)
	}
	rfd, _ := usermem.U32(f.p.Proc, scratch)
	wfd, _ := usermem.U32(f.p.Proc, scratch+4)
	f.p.Proc.WriteAt([]byte("hello"), scratch+100)
	if got := f.result(1, nr("write"), uint64(wfd), scratch+100, 5); got != 5 {
		t.Fatalf("write = %d", got)
	}
	dup := f.result(1, nr("fcntl"), uint64(rfd), fDupfdCloexec, 10)
	if dup != 10 {
		t.Fatalf("F_DUPFD_CLOEXEC from 10 = %d", dup)
	}
	if got := f.result(1, nr("fcntl"), 10, fGetfd); got != 1 {
		t.Errorf("F_GETFD of the duplicate = %d, want FD_CLOEXEC", got)
	}
	if got := f.result(1, nr("read"), 10, scratch+200, 64); got != 5 {
		t.Fatalf("read from the duplicate = %d", got)
	}
	f.result(1, nr("close"), uint64(wfd))
	if got := f.result(1, nr("read"), uint64(rfd), scratch+200, 64); got != 0 {
		t.Errorf("read after the last writer closed = %d, want 0 (end of file)", got)
	}
	got := make([]byte, 5)
	f.p.Proc.ReadAt(got, scratch+200)
	if string(got) != "hello" {
		t.Errorf("read %q", got)
	}
}

func TestForkExitWait(t *testing.T) {
	f := newFixture(t)
	child := f.result(1, nr("fork"))
	if child <= 1 {
		t.Fatalf("fork = %d", child)
	}
	if r := <-f.h.Woken; r.TID != uint32(child) || r.Action != abi.ReplyRegs || r.Regs.RAX != 0 {
		t.Fatalf("the child was started with %+v, want its own registers with RAX 0", r)
	}
	if got := f.result(int(child), nr("getppid")); got != 1 {
		t.Errorf("the child's getppid = %d", got)
	}
	if got := f.result(1, nr("wait4"), uint64(child), scratch, 1); got != 0 {
		t.Errorf("wait4(WNOHANG) of a running child = %d, want 0", got)
	}
	f.k.Mu.Lock()
	f.d.Handle(&abi.LinuxMsg{TID: uint32(child), Regs: abi.Regs{RAX: nr("exit_group"), RDI: 3}})
	f.k.Mu.Unlock()
	if got := f.result(1, nr("wait4"), ^uint64(0), scratch, 0); got != child {
		t.Fatalf("wait4(-1) = %d, want %d", got, child)
	}
	st, _ := usermem.U32(f.p.Proc, scratch)
	if st != 3<<8 {
		t.Errorf("wait status %#x, want exit code 3", st)
	}
	if got := f.result(1, nr("wait4"), ^uint64(0), scratch, 0); got != errno(syscall.ECHILD) {
		t.Errorf("wait4 with no children = %d, want ECHILD", got)
	}
	if l, _ := (task.ProcSource{K: f.k}).ListProcesses(context.Background(), nil); len(l.GetPids()) != 1 || l.GetPids()[0] != 1 {
		t.Errorf("/proc lists %v after the child was reaped, want only [1]", l.GetPids())
	}
}

func TestSignalHandlerFrame(t *testing.T) {
	f := newFixture(t)
	const handler, restorer = 0x400100, 0x400200
	act := task.SigAction{Handler: handler, Flags: 0x04000000, Restorer: restorer}
	usermem.Write(f.p.Proc, scratch, act)
	if got := f.result(1, nr("rt_sigaction"), task.SIGTERM, scratch, 0, 8); got != 0 {
		t.Fatalf("rt_sigaction = %d", got)
	}
	r := f.call(1, nr("kill"), 1, task.SIGTERM)
	if r.Action != abi.ReplyRegs || r.Regs.RIP != handler || r.Regs.RDI != task.SIGTERM {
		t.Fatalf("kill(self) replied %+v, want the handler to run", r)
	}
	if ret, _ := usermem.U64(f.p.Proc, r.Regs.RSP); ret != restorer {
		t.Errorf("the handler returns to %#x, want the restorer", ret)
	}
	if (r.Regs.RSP+8)%16 != 0 {
		t.Errorf("handler stack %#x misaligned", r.Regs.RSP)
	}
	// The handler returns into the restorer, which calls rt_sigreturn with
	// RSP just past the return address.
	m := abi.LinuxMsg{TID: 1, Regs: abi.Regs{RAX: nr("rt_sigreturn"), RSP: r.Regs.RSP + 8}}
	f.k.Mu.Lock()
	back := f.d.Handle(&m)
	f.k.Mu.Unlock()
	if back == nil || back.Action != abi.ReplyRegs || back.Regs.RAX != 0 || back.Regs.RSP != scratch+60<<10 {
		t.Fatalf("rt_sigreturn replied %+v, want kill's return (0) on the original stack", back)
	}
	if f.p.Threads[1].Mask != 0 {
		t.Errorf("mask after sigreturn %#x, want the old one", f.p.Threads[1].Mask)
	}
}

func TestDefaultActionEndsProcess(t *testing.T) {
	f := newFixture(t)
	child := f.result(1, nr("fork"))
	<-f.h.Woken
	if got := f.result(1, nr("kill"), uint64(child), task.SIGTERM); got != 0 {
		t.Fatalf("kill = %d", got)
	}
	if got := f.result(1, nr("wait4"), uint64(child), scratch, 0); got != child {
		t.Fatalf("wait4 = %d", got)
	}
	if st, _ := usermem.U32(f.p.Proc, scratch); st != task.SIGTERM {
		t.Errorf("wait status %#x, want killed by SIGTERM", st)
	}
	if got := f.result(1, nr("kill"), uint64(child), 0); got != errno(syscall.ESRCH) {
		t.Errorf("kill of a reaped child = %d, want ESRCH", got)
	}
}

// TestSignalPermission checks that a process that gave up root can signal
// only its own uid's processes, and cannot power the machine off: found
// by sysfuzz, whose workers run as nobody.
func TestSignalPermission(t *testing.T) {
	f := newFixture(t)
	child := f.result(1, nr("fork"))
	<-f.h.Woken
	if got := f.result(int(child), nr("setuid"), 65534); got != 0 {
		t.Fatalf("setuid = %d", got)
	}
	for _, c := range []struct {
		name string
		tid  int
		nr   uint64
		args []uint64
		want int64
	}{
		{"kill(root's process)", int(child), nr("kill"), []uint64{1, task.SIGTERM}, errno(syscall.EPERM)},
		{"kill(root's process, 0)", int(child), nr("kill"), []uint64{1, 0}, errno(syscall.EPERM)},
		{"tgkill(root's thread)", int(child), nr("tgkill"), []uint64{1, 1, task.SIGTERM}, errno(syscall.EPERM)},
		{"kill(SIGCONT) in the session", int(child), nr("kill"), []uint64{1, task.SIGCONT}, 0},
		{"kill(own group, 0)", int(child), nr("kill"), []uint64{0, 0}, 0},
		{"kill(self, 0)", int(child), nr("kill"), []uint64{uint64(child), 0}, 0},
		{"reboot", int(child), nr("reboot"), []uint64{0xfee1dead, 672274793, 0x4321fedc}, errno(syscall.EPERM)},
		{"root's kill(child, 0)", 1, nr("kill"), []uint64{uint64(child), 0}, 0},
	} {
		if got := f.result(c.tid, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestDocCurrent fails when docs/syscalls.md no longer matches the table;
// make syscalls-doc regenerates it.
func TestDocCurrent(t *testing.T) {
	b, err := os.ReadFile("../../../docs/syscalls.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != Markdown() {
		t.Error("docs/syscalls.md is stale: run make syscalls-doc")
	}
}

// TestPassDescriptor sends a pipe's read end over a socketpair with
// SCM_RIGHTS, as nginx's master does to its workers, and reads through
// the descriptor the other end receives.
func TestPassDescriptor(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	const sv, pfd, hdr, iov, ctl, data = scratch, scratch + 8, scratch + 64, scratch + 128, scratch + 192, scratch + 256
	if f.result(1, nr("socketpair"), afUnix, sockStream, 0, sv) != 0 || f.result(1, nr("pipe"), pfd) != 0 {
		t.Fatal("socketpair or pipe failed")
	}
	a, _ := usermem.U32(m, sv)
	b, _ := usermem.U32(m, sv+4)
	rd, _ := usermem.U32(m, pfd)
	wr, _ := usermem.U32(m, pfd+4)
	m.WriteAt([]byte("x"), data)
	usermem.Write(m, iov, [2]uint64{data, 1})
	cmsg := make([]byte, 24)
	binary.LittleEndian.PutUint64(cmsg, 20)
	binary.LittleEndian.PutUint32(cmsg[8:], solSocket)
	binary.LittleEndian.PutUint32(cmsg[12:], scmRights)
	binary.LittleEndian.PutUint32(cmsg[16:], rd)
	m.WriteAt(cmsg, ctl)
	usermem.Write(m, hdr, msghdr{Iov: iov, IovLen: 1, Control: ctl, ControlLn: 24})
	if got := f.result(1, nr("sendmsg"), uint64(a), hdr, 0); got != 1 {
		t.Fatalf("sendmsg = %d", got)
	}
	f.result(1, nr("close"), uint64(rd))
	usermem.Write(m, hdr, msghdr{Iov: iov, IovLen: 1, Control: ctl, ControlLn: 24})
	if got := f.result(1, nr("recvmsg"), uint64(b), hdr, 0); got != 1 {
		t.Fatalf("recvmsg = %d", got)
	}
	var h msghdr
	usermem.Read(m, hdr, &h)
	got, _ := usermem.U32(m, ctl+16)
	if h.ControlLn != 24 || h.Flags != 0 {
		t.Fatalf("control length %d flags %#x, want one SCM_RIGHTS message", h.ControlLn, h.Flags)
	}
	m.WriteAt([]byte("through"), data)
	f.result(1, nr("write"), uint64(wr), data, 7)
	if n := f.result(1, nr("read"), uint64(got), data+100, 16); n != 7 {
		t.Fatalf("read from the received descriptor %d = %d, want the pipe's 7 bytes", got, n)
	}
}
