package task_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"aramid/proto/procpb"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
)

func TestNewProcessInherits(t *testing.T) {
	w := newWorld(t)
	parent := w.spawn(1, nil)
	if parent.PGID != 1 || parent.SID != 1 || parent.CwdPath != "/" || parent.Umask != 0o022 || parent.Parent != nil {
		t.Errorf("first process: pgid %d sid %d cwd %q umask %o", parent.PGID, parent.SID, parent.CwdPath, parent.Umask)
	}
	parent.PGID, parent.CwdPath, parent.Umask, parent.Comm, parent.Brk = 7, "/tmp", 0o077, "sh", 0x5000
	parent.Argv = []string{"sh", "-c"}
	handle(parent, task.SIGINT, 0, 0)
	c := w.spawn(2, parent)
	if c.Parent != parent || parent.Children[2] != c || c.PGID != 7 || c.SID != 1 || c.CwdPath != "/tmp" ||
		c.Umask != 0o077 || c.Comm != "sh" || c.Brk != 0x5000 || !slices.Equal(c.Argv, parent.Argv) ||
		c.Actions[task.SIGINT] != parent.Actions[task.SIGINT] {
		t.Errorf("child does not inherit its parent's state: %+v", c)
	}
	if c.Cred == parent.Cred {
		t.Error("child shares its parent's credential instead of a copy")
	}
	if w.k.Process(2) != c || w.k.Thread(2) == nil || w.k.Thread(2).P != c {
		t.Error("child not in the kernel's tables")
	}
	var pids []int
	w.k.Processes(func(p *task.Process) { pids = append(pids, p.PID) })
	slices.Sort(pids)
	if !slices.Equal(pids, []int{1, 2}) {
		t.Errorf("Processes: %v", pids)
	}
	th := w.k.AddThread(c, 3)
	w.k.RemoveThread(th)
	if w.k.Thread(3) != nil || c.Threads[3] != nil {
		t.Error("removed thread still recorded")
	}
}

// TestExitNotifiesParent checks SIGCHLD's siginfo for each way a child
// ends (si_code CLD_EXITED, CLD_KILLED, CLD_DUMPED with si_status the
// exit code or the signal), and that the zombie stays until reaped.
func TestExitNotifiesParent(t *testing.T) {
	for _, c := range []struct {
		status     int
		code, stat int32
	}{
		{3 << 8, task.CLDExited, 3},
		{0, task.CLDExited, 0},
		{task.SIGTERM, task.CLDKilled, task.SIGTERM},
		{task.SIGSEGV | 0x80, task.CLDDumped, task.SIGSEGV},
	} {
		w := newWorld(t)
		parent := w.spawn(1, nil)
		handle(parent, task.SIGCHLD, 0, 0)
		child := w.spawn(2, parent)
		w.k.Exit(child, c.status)
		w.k.Exit(child, 99) // a second exit changes nothing
		if !child.Exited || child.Status != c.status || w.k.Process(2) != child || parent.Children[2] != child {
			t.Errorf("status %#x: the zombie is not kept for its parent", c.status)
		}
		info := parent.Info[task.SIGCHLD]
		if parent.Pending != task.Bit(task.SIGCHLD) || info.Code != c.code || info.PID != 2 || info.Status != c.stat {
			t.Errorf("status %#x: SIGCHLD pending %#x info %+v, want code %d status %d", c.status, parent.Pending, info, c.code, c.stat)
		}
		if got := w.k.Reap(parent, child); got != c.status || w.k.Process(2) != nil || len(parent.Children) != 0 {
			t.Errorf("Reap = %#x, or the child is still recorded", got)
		}
	}
}

func TestExitIgnoringSIGCHLDReaps(t *testing.T) {
	w := newWorld(t)
	parent := w.spawn(1, nil)
	parent.Actions[task.SIGCHLD] = task.SigAction{Handler: sigIgn}
	child := w.spawn(2, parent)
	w.k.Exit(child, 0)
	if w.k.Process(2) != nil || len(parent.Children) != 0 || parent.Pending != 0 {
		t.Error("a parent that ignores SIGCHLD keeps a zombie")
	}
}

// TestExitOrphans: a process's live children lose their parent, and
// zombies nobody will wait for go at once.
func TestExitOrphans(t *testing.T) {
	w := newWorld(t)
	root := w.spawn(1, nil)
	mid := w.spawn(2, root)
	live := w.spawn(3, mid)
	dead := w.spawn(4, mid)
	handle(mid, task.SIGCHLD, 0, 0)
	w.k.Exit(dead, 0)
	w.k.Exit(mid, 0)
	if live.Parent != nil || w.k.Process(3) != live || w.k.Process(4) != nil || len(mid.Children) != 0 {
		t.Error("orphans: the live child must lose its parent and the zombie must go")
	}
	if len(mid.Threads) != 0 || w.k.Thread(2) != nil || !mid.Proc.(*tasktest.Proc).Killed {
		t.Error("the exited process keeps its threads or its kernel process")
	}
	w.k.Exit(live, 0)
	if w.k.Process(3) != nil {
		t.Error("an orphan is not reaped when it exits")
	}
}

func TestProcSource(t *testing.T) {
	w := newWorld(t)
	src := task.ProcSource{K: w.k}
	ctx := context.Background()
	parent := w.spawn(1, nil)
	parent.Comm = "init"
	parent.Argv, parent.Envp = []string{"init", "-x"}, []string{"A=1"}
	parent.Actions[task.SIGINT] = task.SigAction{Handler: sigIgn}
	handle(parent, task.SIGTERM, 0, 0)
	handle(parent, task.SIGCHLD, 0, 0)
	handle(parent, task.NSig, 0, 0)
	w.k.Publish(parent)
	child := w.spawn(5, parent)
	other := w.spawn(3, nil)
	// /proc's start times are in clock ticks (USER_HZ, 100 a second).
	other.Start = child.Start.Add(1500 * time.Millisecond)
	w.k.Publish(other)
	st := func(pid uint32) uint64 {
		info, _ := src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: pid})
		return info.GetStartTime()
	}
	if d := st(3) - st(5); d != 150 {
		t.Errorf("start times 1.5 s apart differ by %d ticks, want 150", d)
	}

	list, err := src.ListProcesses(ctx, &procpb.ListProcessesRequest{})
	if err != nil || !slices.Equal(list.GetPids(), []uint32{1, 3, 5}) {
		t.Fatalf("ListProcesses = %v, %v", list.GetPids(), err)
	}
	info, err := src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: 1})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetPpid() != 1 || info.GetPgid() != 1 || info.GetState() != "S" || string(info.GetComm()) != "init" ||
		info.GetSigIgnored() != task.Bit(task.SIGINT) || info.GetSigCaught() != task.Bit(task.SIGTERM)|task.Bit(task.SIGCHLD)|task.Bit(task.NSig) ||
		len(info.GetCmdline()) != 2 || string(info.GetCmdline()[1]) != "-x" || string(info.GetEnviron()[0]) != "A=1" {
		t.Errorf("process 1: %v", info)
	}
	w.k.Exit(child, 0)
	info, err = src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: 5})
	if err != nil || info.GetPpid() != 1 || info.GetState() != "Z" || info.GetSigPending() != 0 {
		t.Errorf("zombie 5: %v, %v", info, err)
	}
	if _, err := src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: 9}); err != syscall.ESRCH {
		t.Errorf("GetProcess(9): %v, want ESRCH", err)
	}
	if _, err := src.SetComm(ctx, &procpb.SetCommRequest{Pid: 1, Comm: []byte("a-very-long-name-indeed")}); err != nil {
		t.Fatal(err)
	}
	info, _ = src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: 1})
	if string(info.GetComm()) != "a-very-long-nam" {
		t.Errorf("comm %q, want the first 15 bytes (TASK_COMM_LEN less the NUL)", info.GetComm())
	}
	if _, err := src.SetComm(ctx, &procpb.SetCommRequest{Pid: 9}); err != syscall.ESRCH {
		t.Errorf("SetComm(9): %v, want ESRCH", err)
	}
	w.k.Reap(parent, child)
	if list, _ := src.ListProcesses(ctx, nil); !slices.Equal(list.GetPids(), []uint32{1, 3}) {
		t.Errorf("after reaping 5: %v", list.GetPids())
	}
}

// TestProcCmdline reads /proc/<pid>/cmdline from the process's memory as
// Linux does: argv's strings while the last ends in its NUL, otherwise
// (setproctitle) one string up to the first NUL, into the environment.
func TestProcCmdline(t *testing.T) {
	const at = stackTop - 4096
	for _, c := range []struct {
		name string
		mem  string
		argc int // bytes of argv in mem
		want []string
	}{
		{"argv", "ls\x00-l\x00HOME=/\x00", 6, []string{"ls", "-l"}},
		{"rewritten", "nginx: master\x00HOME=/\x00", 6, []string{"nginx: master"}},
		{"rewritten without NUL", "abcdefgh", 3, []string{"abcdefgh"}},
		{"empty argv", "HOME=/\x00", 0, []string{"published"}},
		{"rewritten to nothing", "\x00ab=c\x00", 3, []string{""}},
	} {
		w := newWorld(t)
		p := w.spawn(1, nil)
		p.Argv = []string{"published"}
		if err := p.Proc.WriteAt([]byte(c.mem), at); err != nil {
			t.Fatal(err)
		}
		p.ArgStart, p.ArgEnd, p.EnvEnd = at, at+uint64(c.argc), at+uint64(len(c.mem))
		w.k.Publish(p)
		info, err := task.ProcSource{K: w.k}.GetProcess(context.Background(), &procpb.GetProcessRequest{Pid: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range info.GetCmdline() {
			got = append(got, string(a))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: cmdline %q, want %q", c.name, got, c.want)
		}
	}
	// Up to 1 MiB of strings is read from memory, more is not.
	for _, c := range []struct {
		size int
		want string
	}{{1 << 20, "big"}, {1<<20 + 1, "published"}} {
		w := newWorld(t)
		p := w.spawn(1, nil)
		const high = 0x7f0000000000
		p.Proc.(*tasktest.Proc).Map(high, 2<<20)
		p.Argv = []string{"published"}
		p.Proc.WriteAt([]byte("big\x00"), high)
		p.ArgStart, p.ArgEnd, p.EnvEnd = high, high+4, high+uint64(c.size)
		w.k.Publish(p)
		info, _ := task.ProcSource{K: w.k}.GetProcess(context.Background(), &procpb.GetProcessRequest{Pid: 1})
		if len(info.GetCmdline()) != 1 || string(info.GetCmdline()[0]) != c.want {
			t.Errorf("%d bytes of strings: cmdline %q, want %q", c.size, info.GetCmdline(), c.want)
		}
	}
	// Memory that cannot be read, or an exited process: the published argv.
	w := newWorld(t)
	p := w.spawn(1, nil)
	p.Argv = []string{"published"}
	p.ArgStart, p.ArgEnd, p.EnvEnd = 0x1000, 0x1004, 0x1008
	w.k.Publish(p)
	info, _ := task.ProcSource{K: w.k}.GetProcess(context.Background(), &procpb.GetProcessRequest{Pid: 1})
	if len(info.GetCmdline()) != 1 || string(info.GetCmdline()[0]) != "published" {
		t.Errorf("unreadable argv: cmdline %q", info.GetCmdline())
	}
}

// TestAlarm arms, reads and disarms ITIMER_REAL, then lets a short one
// expire: its default action ends the process with SIGALRM.
func TestAlarm(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	w.k.Mu.Lock()
	defer w.k.Mu.Unlock()
	if left, iv := w.k.Alarm(p); left != 0 || iv != 0 {
		t.Errorf("unarmed alarm: %v %v", left, iv)
	}
	if left, iv := w.k.SetAlarm(p, time.Hour, 2*time.Hour); left != 0 || iv != 0 {
		t.Errorf("first SetAlarm returned %v %v", left, iv)
	}
	left, iv := w.k.Alarm(p)
	if left <= 0 || left > time.Hour || iv != 2*time.Hour {
		t.Errorf("armed alarm: %v left, interval %v", left, iv)
	}
	left, iv = w.k.SetAlarm(p, 0, 0)
	if left <= 0 || left > time.Hour || iv != 2*time.Hour {
		t.Errorf("disarming returned %v %v", left, iv)
	}
	if left, iv := w.k.Alarm(p); left != 0 || iv != 0 {
		t.Errorf("disarmed alarm: %v %v", left, iv)
	}
	w.k.SetAlarm(p, time.Millisecond, time.Hour)
	for !p.Exited {
		w.k.Cond.Wait()
	}
	if p.Status != task.SIGALRM {
		t.Errorf("status %d, want SIGALRM", p.Status)
	}
	if left, _ := w.k.Alarm(p); left != 0 {
		t.Error("an exited process keeps its timer")
	}
}

// TestAlarmInterval: a periodic timer sends SIGALRM again after each
// interval; a caught SIGALRM leaves the process running.
func TestAlarmInterval(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	th := w.k.Thread(1)
	handle(p, task.SIGALRM, 0, 0)
	w.k.Mu.Lock()
	defer w.k.Mu.Unlock()
	w.k.SetAlarm(p, time.Millisecond, time.Millisecond)
	for n := 0; n < 3; n++ {
		for p.Pending == 0 {
			w.k.Cond.Wait()
		}
		p.Pending = 0
	}
	if _, iv := w.k.Alarm(p); iv != time.Millisecond || p.Exited || th.P != p {
		t.Errorf("after three expiries: interval %v, exited %v", iv, p.Exited)
	}
	w.k.SetAlarm(p, 0, 0)
}

// TestThreadLookup: Thread finds each live thread by its id, also when
// ids share a slot of its cache of recent lookups, and no thread once it
// is removed.
func TestThreadLookup(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	a := w.k.AddThread(p, 2)
	b := w.k.AddThread(p, 2+16)
	c := w.k.AddThread(p, 2+32)
	for i := 0; i < 2; i++ {
		for _, th := range []*task.Thread{a, b, c, a} {
			if got := w.k.Thread(th.TID); got != th {
				t.Fatalf("Thread(%d) = %+v", th.TID, got)
			}
		}
	}
	w.k.Thread(b.TID)
	w.k.RemoveThread(b)
	if got := w.k.Thread(b.TID); got != nil {
		t.Errorf("Thread(%d) after RemoveThread = %+v", b.TID, got)
	}
	if got := w.k.Thread(c.TID); got != c {
		t.Errorf("Thread(%d) after removing %d = %+v", c.TID, b.TID, got)
	}
}

// TestAlarmOnce: a timer without an interval expires once; then
// getitimer shows it disarmed, as Linux does.
func TestAlarmOnce(t *testing.T) {
	w := newWorld(t)
	p := w.spawn(1, nil)
	handle(p, task.SIGALRM, 0, 0)
	w.k.Mu.Lock()
	defer w.k.Mu.Unlock()
	w.k.SetAlarm(p, time.Millisecond, 0)
	for p.Pending == 0 {
		w.k.Cond.Wait()
	}
	if left, iv := w.k.Alarm(p); left != 0 || iv != 0 {
		t.Errorf("expired one-shot alarm: %v left, interval %v", left, iv)
	}
}
