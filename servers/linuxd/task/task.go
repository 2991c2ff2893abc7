// Package task is linuxd's process tree: Linux processes and their
// threads, pids, process groups and sessions, exit and wait, and signals.
//
// One lock (Kernel.Mu) guards all of it. System calls that wait (a pipe
// read, wait4, a sleep) run on their own goroutine and wait on Kernel.Cond,
// which releases the lock; anything that could end a wait broadcasts.
package task

import (
	"sync"
	"time"

	"aramid/lib/abi"
	"aramid/lib/linux/cred"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/usermem"
)

// Host is the microkernel as linuxd uses it: Linux processes it creates,
// forks and answers. The real one is lib/ipc; tests use a fake.
type Host interface {
	Create(name string, cookie uint64) (Proc, error)
	Fork(parent Proc, tid int, cookie uint64) (Proc, int, error)
	Reply(r *abi.LinuxReply) error
}

// Proc is the kernel's side of one Linux process.
type Proc interface {
	usermem.Memory
	VM(op int, addr, length uint64, prot int) (uint64, error)
	// StartThread starts a thread with regs and the CPU mask of thread
	// like (0: the process's).
	StartThread(regs *abi.Regs, like int) (int, error)
	// Affinity returns the CPU mask of thread tid among the CPUs that run
	// threads, after setting it to mask if mask is not 0 (EINVAL if that
	// leaves no such CPU).
	Affinity(tid int, mask uint64) (uint64, error)
	Kill(status int) error
	FutexWake(addr uint64, n int) error
	// Interrupt makes thread tid come to linuxd (abi.MsgInterrupt)
	// before it runs user code again, ending a futex wait it is in.
	Interrupt(tid int) error
	Close() error
}

// Kernel is linuxd's whole state.
type Kernel struct {
	Mu   sync.Mutex
	Cond *sync.Cond
	Host Host
	VFS  *file.VFS
	TTY  *file.TTY
	// Net is netd, if the system has one (nil: sockets are EAFNOSUPPORT).
	Net *file.Net

	procs   map[int]*Process
	threads map[int]*Thread
	// recent holds threads by id modulo its length, in front of threads:
	// the dispatcher looks up the caller of every call, and a map lookup
	// touches the map code, its directory and a group, a page each that
	// the address-space switch delivering the call has made cold.
	recent  [16]*Thread
	started time.Time // for /proc's start times

	// info is what /proc shows of each process (procsource.go), under a
	// lock of its own.
	infoMu sync.Mutex
	info   map[int]*shownProcess
	// PowerOff ends the system (reboot(2), or busybox's poweroff asking
	// init); linuxd itself plays init's part there.
	PowerOff func()
}

// New returns an empty kernel over host.
func New(host Host, vfs *file.VFS) *Kernel {
	k := &Kernel{Host: host, VFS: vfs, procs: map[int]*Process{}, threads: map[int]*Thread{}, started: time.Now(), info: map[int]*shownProcess{}}
	k.Cond = sync.NewCond(&k.Mu)
	return k
}

// Process is one Linux process.
type Process struct {
	K              *Kernel
	PID, PGID, SID int
	Parent         *Process
	Children       map[int]*Process
	Proc           Proc
	FDs            *fd.Table
	Cwd            *file.Node
	CwdPath        string
	Umask          uint32
	BrkStart, Brk  uint64
	Threads        map[int]*Thread
	Comm           string
	Exe            string
	// Argv and Envp are what the running program was started with
	// (/proc/<pid>/cmdline and environ); Start is when the process began.
	// Cred is the process's credential, which vfsd and netd check.
	Cred       *cred.Cred
	Argv, Envp []string
	Start      time.Time
	// ArgStart, ArgEnd and EnvEnd are where argv's and envp's strings
	// lie in the process's memory, which /proc/<pid>/cmdline reads.
	ArgStart, ArgEnd, EnvEnd uint64

	// Exited is set once the process has ended; Status is its wait
	// status. A zombie stays in its parent's Children until reaped.
	Exited bool
	Status int

	// stopped is set while a signal has the process stopped; stopSig
	// (the stopping signal) and continued are what wait4 has yet to
	// report of a stop and of the continue that ended it (stop.go).
	stopped   bool
	stopSig   int
	continued bool

	Actions [NSig + 1]SigAction
	alarm   *alarmTimer // ITIMER_REAL, kept across execve as in Linux
	Pending uint64      // signals sent to the process as a whole
	Info    [NSig + 1]SigInfo
}

// Thread is one thread of a Linux process. Its id is the kernel's thread
// id, and the process's pid is its first thread's id, so linuxd needs no
// table to translate ids.
type Thread struct {
	TID      int
	P        *Process
	Mask     uint64
	Pending  uint64
	Info     [NSig + 1]SigInfo
	ClearTID uint64
	// AltStack is sigaltstack's stack.
	AltStack [3]uint64 // sp, flags, size
}

// Mem is the thread's address space.
func (t *Thread) Mem() usermem.Memory { return t.P.Proc }

// Thread returns the live thread with id tid.
func (k *Kernel) Thread(tid int) *Thread {
	r := &k.recent[uint(tid)%uint(len(k.recent))]
	if t := *r; t != nil && t.TID == tid {
		return t
	}
	t := k.threads[tid]
	if t != nil {
		*r = t
	}
	return t
}

// forget removes thread tid from the threads that Thread finds.
func (k *Kernel) forget(tid int) {
	delete(k.threads, tid)
	if r := &k.recent[uint(tid)%uint(len(k.recent))]; *r != nil && (*r).TID == tid {
		*r = nil
	}
}

// Process returns the live or zombie process pid.
func (k *Kernel) Process(pid int) *Process { return k.procs[pid] }

// Processes calls fn for every process.
func (k *Kernel) Processes(fn func(*Process)) {
	for _, p := range k.procs {
		fn(p)
	}
}

// NewProcess creates a process with one thread id tid over kernel process
// kp, child of parent (nil for the first).
func (k *Kernel) NewProcess(kp Proc, tid int, parent *Process, fds *fd.Table) *Process {
	p := &Process{K: k, PID: tid, Proc: kp, FDs: fds, Children: map[int]*Process{}, Threads: map[int]*Thread{}, Umask: 0o022, Start: time.Now(), Cred: cred.Root()}
	if parent != nil {
		p.Parent, p.PGID, p.SID = parent, parent.PGID, parent.SID
		p.CwdPath, p.Cwd, p.Umask, p.Comm, p.Exe = parent.CwdPath, parent.Cwd, parent.Umask, parent.Comm, parent.Exe
		p.Argv, p.Envp, p.Cred = parent.Argv, parent.Envp, parent.Cred.Fork()
		p.ArgStart, p.ArgEnd, p.EnvEnd = parent.ArgStart, parent.ArgEnd, parent.EnvEnd
		p.BrkStart, p.Brk, p.Actions = parent.BrkStart, parent.Brk, parent.Actions
		parent.Children[p.PID] = p
	} else {
		p.PGID, p.SID, p.CwdPath = tid, tid, "/"
	}
	k.procs[p.PID] = p
	k.AddThread(p, tid)
	k.Publish(p)
	return p
}

// AddThread records thread tid of p.
func (k *Kernel) AddThread(p *Process, tid int) *Thread {
	t := &Thread{TID: tid, P: p}
	p.Threads[tid] = t
	k.threads[tid] = t
	return t
}

// RemoveThread forgets thread t (exit of one thread).
func (k *Kernel) RemoveThread(t *Thread) {
	delete(t.P.Threads, t.TID)
	k.forget(t.TID)
}

// Exit ends process p with wait status: its threads stop, its files close,
// and its parent learns of it. linuxd plays init's part: a process
// without a parent (the first, and orphans) is reaped at once, and its
// children become such orphans.
func (k *Kernel) Exit(p *Process, status int) {
	if p.Exited {
		return
	}
	p.Exited, p.Status = true, status
	k.stopAlarm(p)
	k.Publish(p) // as a zombie, before its memory goes
	for tid := range p.Threads {
		k.forget(tid)
	}
	p.Threads = map[int]*Thread{}
	p.Proc.Kill(status)
	p.Proc.Close()
	p.FDs.CloseAll()
	for pid, c := range p.Children {
		delete(p.Children, pid)
		c.Parent = nil
		if c.Exited {
			delete(k.procs, pid) // a zombie nobody will wait for
			k.unpublish(pid)
		} else {
			k.Publish(c)
		}
	}
	switch {
	case p.Parent == nil:
		delete(k.procs, p.PID)
		k.unpublish(p.PID)
	case p.Parent.Actions[SIGCHLD].Handler == sigIgn:
		// A parent that ignores SIGCHLD has no zombies: the child is
		// reaped now, and its wait4 calls end with ECHILD.
		k.Reap(p.Parent, p)
	default:
		k.SignalInfo(p.Parent, SIGCHLD, childInfo(p.PID, status))
	}
	k.Cond.Broadcast()
}

// Reap removes zombie child c of p and returns its wait status.
func (k *Kernel) Reap(p, c *Process) int {
	delete(p.Children, c.PID)
	delete(k.procs, c.PID)
	k.unpublish(c.PID)
	return c.Status
}
