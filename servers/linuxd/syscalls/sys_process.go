package syscalls

import (
	"crypto/rand"
	"fmt"
	"path"
	"syscall"

	"golang.org/x/sys/unix"

	"aramid/lib/abi"
	"aramid/lib/linux"
	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/lib/linux/sysno"
	"aramid/servers/linuxd/exec"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"getpid":          {Fn: func(c *Ctx) (uint64, error) { return uint64(c.P().PID), nil }},
		"gettid":          {Fn: func(c *Ctx) (uint64, error) { return uint64(c.T.TID), nil }},
		"getppid":         {Fn: getppid},
		"set_tid_address": {Fn: setTidAddress},
		"set_robust_list": {Fn: zero, Status: Partial, Note: "accepted; robust futexes are not cleaned up at exit"},
		"rseq":            {Fn: noSys, Status: Partial, Note: "ENOSYS, which glibc and musl accept"},
		"exit":            {Fn: exitThread},
		"exit_group":      {Fn: exitGroup},
		"clone":           {Fn: clone, Status: Partial, Note: "CLONE_VM without CLONE_THREAD (vfork) copies the memory instead of sharing it; no namespaces"},
		"fork":            {Fn: func(c *Ctx) (uint64, error) { return fork(c, 0, 0, 0, 0, 0) }},
		"vfork":           {Fn: func(c *Ctx) (uint64, error) { return fork(c, 0, 0, 0, 0, 0) }, Status: Partial, Note: "the parent does not wait for the child's exec or exit"},
		"execve":          {Fn: execve, Status: Partial, Note: "no setuid bits; no vDSO"},
		"wait4":           {Fn: wait4, MayBlock: always, Restart: true, Status: Partial, Note: "no rusage"},
		"getpgid":         {Fn: getpgid},
		"getpgrp":         {Fn: func(c *Ctx) (uint64, error) { return uint64(c.P().PGID), nil }},
		"setpgid":         {Fn: setpgid},
		"getsid":          {Fn: getsid},
		"setsid":          {Fn: setsid},
		"uname":           {Fn: uname},
		"getrandom":       {Fn: getrandom},
		"umask":           {Fn: umask},
		"reboot":          {Fn: reboot, Status: Partial, Note: "halt, power off and restart all power off"},
	} {
		byName[name] = e
	}
}

func zero(*Ctx) (uint64, error)  { return 0, nil }
func noSys(*Ctx) (uint64, error) { return 0, syscall.ENOSYS }

var reported = map[uint64]bool{}

// errNoSys reports, once per number, a call that linuxd does not
// implement, so a program that fails for want of one says why.
func errNoSys(c *Ctx) error {
	if nr := c.R.RAX; !reported[nr] {
		reported[nr] = true
		fmt.Printf("linuxd: %s (pid %d) called unimplemented system call %d (%s): ENOSYS\n",
			c.P().Comm, c.P().PID, nr, sysnoName(nr))
	}
	return syscall.ENOSYS
}

func sysnoName(nr uint64) string { return sysno.Name(nr) }

func errnoName(e int64) string { return unix.ErrnoName(syscall.Errno(e)) }

// initPID is the parent a process without one reports: linuxd plays
// init's part for the first process and for orphans.
const initPID = 1

func getppid(c *Ctx) (uint64, error) {
	if p := c.P().Parent; p != nil {
		return uint64(p.PID), nil
	}
	return initPID, nil
}

func setTidAddress(c *Ctx) (uint64, error) {
	c.T.ClearTID = c.Arg(0)
	return uint64(c.T.TID), nil
}

// exitThread ends the calling thread; the last one ends the process.
func exitThread(c *Ctx) (uint64, error) {
	t := c.T
	clearChildTID(c.K, t)
	if len(t.P.Threads) == 1 {
		c.K.Exit(t.P, int(c.Arg(0)&0xff)<<8)
		c.NoReply = true
		return 0, nil
	}
	c.K.RemoveThread(t)
	c.Reply = &abi.LinuxReply{Action: abi.ReplyExit}
	return 0, nil
}

// clearChildTID does CLONE_CHILD_CLEARTID's work at a thread's exit: zero
// the word and wake a futex waiter there (pthread_join).
func clearChildTID(k *task.Kernel, t *task.Thread) {
	if t.ClearTID == 0 {
		return
	}
	if usermem.PutU32(t.Mem(), t.ClearTID, 0) == nil {
		t.P.Proc.FutexWake(t.ClearTID, 1)
	}
}

func exitGroup(c *Ctx) (uint64, error) {
	c.K.Exit(c.P(), int(c.Arg(0)&0xff)<<8)
	c.NoReply = true
	return 0, nil
}

// Clone flags.
const (
	cloneVM            = 0x100
	cloneSighand       = 0x800
	cloneThread        = 0x10000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000
)

func clone(c *Ctx) (uint64, error) {
	flags, stack, ptid, ctid, tls := c.Arg(0), c.Arg(1), c.Arg(2), c.Arg(3), c.Arg(4)
	if flags&cloneThread == 0 {
		return fork(c, flags, stack, tls, ptid, ctid)
	}
	if flags&(cloneVM|cloneSighand) != cloneVM|cloneSighand {
		return 0, syscall.EINVAL
	}
	regs := childRegs(c, flags, stack, tls)
	tid, err := c.P().Proc.StartThread(&regs, c.T.TID)
	if err != nil {
		return 0, err
	}
	nt := c.K.AddThread(c.P(), tid)
	nt.Mask = c.T.Mask
	if flags&cloneChildCleartid != 0 {
		nt.ClearTID = ctid
	}
	m := c.T.Mem()
	if flags&cloneParentSettid != 0 {
		usermem.PutU32(m, ptid, uint32(tid))
	}
	if flags&cloneChildSettid != 0 {
		usermem.PutU32(m, ctid, uint32(tid))
	}
	return uint64(tid), nil
}

// childRegs are the registers a new thread or process starts with: the
// caller's, returning 0, on stack (if not 0) with tls (with CLONE_SETTLS).
func childRegs(c *Ctx, flags, stack, tls uint64) abi.Regs {
	regs := c.R
	regs.RAX = 0
	if stack != 0 {
		regs.RSP = stack
	}
	if flags&cloneSettls != 0 {
		regs.FSBase = tls
	}
	return regs
}

// fork copies the calling process (fork, vfork, clone without
// CLONE_THREAD). The child returns 0 on stack (if not 0) with tls (with
// CLONE_SETTLS).
func fork(c *Ctx, flags, stack, tls, ptid, ctid uint64) (uint64, error) {
	p := c.P()
	kp, tid, err := c.K.Host.Fork(p.Proc, c.T.TID, 0)
	if err != nil {
		return 0, err
	}
	child := c.K.NewProcess(kp, tid, p, p.FDs.Fork())
	ct := child.Threads[tid]
	ct.Mask = c.T.Mask
	regs := childRegs(c, flags, stack, tls)
	if flags&cloneParentSettid != 0 {
		usermem.PutU32(c.T.Mem(), ptid, uint32(tid))
	}
	if flags&cloneChildSettid != 0 {
		usermem.PutU32(kp, ctid, uint32(tid))
	}
	if flags&cloneChildCleartid != 0 {
		ct.ClearTID = ctid
	}
	if err := c.K.Host.Reply(&abi.LinuxReply{TID: uint32(tid), Action: abi.ReplyRegs, Regs: regs}); err != nil {
		c.K.Exit(child, task.SIGKILL)
		return 0, err
	}
	return uint64(tid), nil
}

// maxArgs bounds argv and envp, as Linux's MAX_ARG_STRINGS does.
const maxArgs = 0x7fffffff / 8

func execve(c *Ctx) (uint64, error) {
	m := c.T.Mem()
	file, err := usermem.Path(m, c.Arg(0))
	if err != nil {
		return 0, err
	}
	argv, err := usermem.Strings(m, c.Arg(1), maxArgs)
	if err != nil {
		return 0, err
	}
	envp, err := usermem.Strings(m, c.Arg(2), maxArgs)
	if err != nil {
		return 0, err
	}
	regs, err := Exec(c.K, c.P(), c.T.TID, file, argv, envp)
	if err != nil {
		return 0, err
	}
	c.Reply = &abi.LinuxReply{Action: abi.ReplyExec, Regs: regs}
	return 0, nil
}

// Exec replaces p's image with the program at file, keeping only thread
// keep, which the caller then starts with the registers Exec returns.
// Errors found before the old image is gone are returned; later ones end
// the process.
func Exec(k *task.Kernel, p *task.Process, keep int, file string, argv, envp []string) (abi.Regs, error) {
	dir, err := cwdID(k, p)
	if err != nil && !path.IsAbs(file) {
		return abi.Regs{}, err // a lost cwd does not stop an absolute exec
	}
	caller := callerOf(p, dir)
	prog, err := exec.Prepare(func(name string) ([]byte, error) { return k.VFS.ReadFile(caller, name) }, file, argv, envp)
	if err != nil {
		return abi.Regs{}, err
	}
	st, err := k.VFS.Stat(caller, prog.Path, 0)
	if err != nil {
		return abi.Regs{}, err
	}
	f := dac.File{Mode: st.GetMode(), UID: st.GetUid(), GID: st.GetGid()}
	if err := dac.Check(p.Cred.DAC(), f, dac.MayExec); err != nil {
		return abi.Regs{}, err
	}
	if _, err := p.Proc.VM(abi.VMReset, uint64(keep), 0, 0); err != nil {
		return abi.Regs{}, err
	}
	for tid, other := range p.Threads {
		if tid != keep {
			k.RemoveThread(other)
		}
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	img, err := exec.Load(space{p.Proc}, prog, exec.Creds{}, rnd, 0)
	if err != nil {
		fmt.Printf("linuxd: exec %s (pid %d): %v\n", file, p.PID, err)
		k.Exit(p, task.SIGSEGV)
		return abi.Regs{}, err
	}
	p.Cred = p.Cred.Exec(cred.ExecFile{Mode: f.Mode, UID: f.UID, GID: f.GID})
	p.FDs.Exec()
	for i := range p.Actions {
		if p.Actions[i].Handler > 1 {
			p.Actions[i] = task.SigAction{}
		}
	}
	p.BrkStart, p.Brk = img.Brk, img.Brk
	p.Comm, p.Exe = path.Base(prog.Path), prog.Path
	p.Argv, p.Envp = prog.Argv, prog.Envp
	p.ArgStart, p.ArgEnd, p.EnvEnd = img.ArgStart, img.ArgEnd, img.EnvEnd
	if t := p.Threads[keep]; t != nil {
		t.AltStack = [3]uint64{}
	}
	return abi.Regs{RIP: img.Entry, RSP: img.SP}, nil
}

// space is a Linux process's memory as the ELF loader uses it.
type space struct{ task.Proc }

func (s space) Map(addr, length uint64, prot int) error {
	_, err := s.VM(abi.VMMap, addr, length, prot)
	return err
}

func (s space) Protect(addr, length uint64, prot int) error {
	_, err := s.VM(abi.VMProtect, addr, length, prot)
	return err
}

// wait4 options.
const (
	wNoHang    = 1
	wUntraced  = 2
	wContinued = 8
)

// wait4's options: WNOHANG, WUNTRACED, WCONTINUED, __WNOTHREAD, __WALL
// and __WCLONE.
const wait4Options = 1 | 2 | 8 | 0x20000000 | 0x40000000 | 0x80000000

func wait4(c *Ctx) (uint64, error) {
	pid, status, options := int(int32(c.Arg(0))), c.Arg(1), c.Arg(2)
	if options&^wait4Options != 0 {
		return 0, syscall.EINVAL
	}
	p := c.P()
	for {
		found := false
		for _, ch := range p.Children {
			if !matches(p, ch, pid) {
				continue
			}
			found = true
			st, ok := waitStatus(c.K, p, ch, options)
			if !ok {
				continue
			}
			if status != 0 {
				if err := usermem.PutU32(c.T.Mem(), status, uint32(st)); err != nil {
					return 0, err
				}
			}
			return uint64(ch.PID), nil
		}
		if !found {
			return 0, syscall.ECHILD
		}
		if options&wNoHang != 0 {
			return 0, nil
		}
		if c.T.Interrupted() {
			return 0, syscall.EINTR
		}
		c.K.Cond.Wait()
	}
}

// waitStatus is the wait status child ch of p has to report to a wait4
// with options, if it has one: a zombie's, which reaps it; with
// WUNTRACED, a stop not yet reported ((sig << 8) | 0x7f); with
// WCONTINUED, a continue not yet reported (0xffff).
func waitStatus(k *task.Kernel, p, ch *task.Process, options uint64) (int, bool) {
	switch {
	case ch.Exited:
		return k.Reap(p, ch), true
	case options&wUntraced != 0 && ch.Stopped():
		if sig := ch.TakeStop(); sig != 0 {
			return sig<<8 | 0x7f, true
		}
	case options&wContinued != 0 && ch.TakeContinue():
		return 0xffff, true
	}
	return 0, false
}

// matches reports whether child ch of p is one wait4's pid selects.
func matches(p, ch *task.Process, pid int) bool {
	switch {
	case pid > 0:
		return ch.PID == pid
	case pid == -1:
		return true
	case pid == 0:
		return ch.PGID == p.PGID
	}
	return ch.PGID == -pid
}

func getpgid(c *Ctx) (uint64, error) {
	p, err := target(c, int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	return uint64(p.PGID), nil
}

func getsid(c *Ctx) (uint64, error) {
	p, err := target(c, int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	return uint64(p.SID), nil
}

// target is the process a pid argument names: 0 is the caller.
func target(c *Ctx, pid int) (*task.Process, error) {
	if pid == 0 {
		return c.P(), nil
	}
	p := c.K.Process(pid)
	if p == nil || p.Exited {
		return nil, syscall.ESRCH
	}
	return p, nil
}

func setpgid(c *Ctx) (uint64, error) {
	pid, pgid := int(int32(c.Arg(0))), int(int32(c.Arg(1)))
	if pgid < 0 {
		return 0, syscall.EINVAL
	}
	p, err := target(c, pid)
	if err != nil {
		return 0, err
	}
	if p != c.P() && p.Parent != c.P() {
		return 0, syscall.ESRCH
	}
	if p.SID != c.P().SID || p.PID == p.SID {
		return 0, syscall.EPERM
	}
	if pgid == 0 {
		pgid = p.PID
	}
	if pgid != p.PID {
		ok := false
		c.K.Processes(func(q *task.Process) { ok = ok || q.PGID == pgid && q.SID == p.SID && !q.Exited })
		if !ok {
			return 0, syscall.EPERM
		}
	}
	p.PGID = pgid
	return 0, nil
}

func setsid(c *Ctx) (uint64, error) {
	p := c.P()
	taken := false
	c.K.Processes(func(q *task.Process) { taken = taken || q.PGID == p.PID && !q.Exited && q != p })
	if p.PGID == p.PID || taken {
		return 0, syscall.EPERM
	}
	p.SID, p.PGID = p.PID, p.PID
	return uint64(p.PID), nil
}

// uname reports Aramid's one Linux identity (lib/linux).
func uname(c *Ctx) (uint64, error) {
	var u linux.UtsName
	u.Fill()
	return 0, usermem.Write(c.T.Mem(), c.Arg(0), &u)
}

// getrandom's flags: GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE, the
// last two exclusive.
const grndNonblock, grndRandom, grndInsecure = 1, 2, 4

func getrandom(c *Ctx) (uint64, error) {
	if f := c.Arg(2); f&^(grndNonblock|grndRandom|grndInsecure) != 0 || f&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return 0, syscall.EINVAL
	}
	n := min(c.Arg(1), 1<<20)
	b := make([]byte, n)
	rand.Read(b)
	return n, c.T.Mem().WriteAt(b, c.Arg(0))
}

func umask(c *Ctx) (uint64, error) {
	old := c.P().Umask
	c.P().Umask = uint32(c.Arg(0)) & 0o777
	return uint64(old), nil
}

// reboot(2)'s magic numbers and commands.
const (
	rebootMagic1   = 0xfee1dead
	rebootMagic2   = 672274793
	rebootCADOn    = 0x89abcdef
	rebootCADOff   = 0
	rebootRestart  = 0x01234567
	rebootHalt     = 0xcdef0123
	rebootPowerOff = 0x4321fedc
)

func reboot(c *Ctx) (uint64, error) {
	if !c.P().Cred.Capable(dac.CapSysBoot) {
		return 0, syscall.EPERM
	}
	if c.Arg(0) != rebootMagic1 || c.Arg(1) != rebootMagic2 {
		return 0, syscall.EINVAL
	}
	switch c.Arg(2) {
	case rebootCADOn, rebootCADOff:
		return 0, nil
	case rebootRestart, rebootHalt, rebootPowerOff:
		if c.K.PowerOff != nil {
			c.K.PowerOff()
		}
		return 0, nil
	}
	return 0, syscall.EINVAL
}
