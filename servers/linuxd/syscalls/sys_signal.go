package syscalls

import (
	"syscall"

	"aramid/lib/abi"
	"aramid/lib/linux/dac"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"rt_sigaction":   {Fn: rtSigaction},
		"rt_sigprocmask": {Fn: rtSigprocmask},
		"rt_sigreturn":   {Fn: rtSigreturn, Status: Partial, Note: "the FPU state is not saved in the frame"},
		"sigaltstack":    {Fn: sigaltstack, Status: Partial, Note: "recorded; handlers run on the current stack"},
		"kill":           {Fn: kill},
		"tkill":          {Fn: func(c *Ctx) (uint64, error) { return tgkill(c, 0, int(int32(c.Arg(0))), int(c.Arg(1))) }},
		"tgkill": {Fn: func(c *Ctx) (uint64, error) {
			return tgkill(c, int(int32(c.Arg(0))), int(int32(c.Arg(1))), int(c.Arg(2)))
		}},
		"rt_sigpending": {Fn: rtSigpending},
		"rt_sigsuspend": {Fn: rtSigsuspend, MayBlock: always},
		"pause":         {Fn: pause, MayBlock: always},
	} {
		byName[name] = e
	}
}

func rtSigaction(c *Ctx) (uint64, error) {
	sig, act, old := int(c.Arg(0)), c.Arg(1), c.Arg(2)
	if sig < 1 || sig > task.NSig || c.Arg(3) != 8 {
		return 0, syscall.EINVAL
	}
	p := c.P()
	m := c.T.Mem()
	if old != 0 {
		if err := usermem.Write(m, old, p.Actions[sig]); err != nil {
			return 0, err
		}
	}
	if act != 0 {
		if sig == task.SIGKILL || sig == task.SIGSTOP {
			return 0, syscall.EINVAL
		}
		var a task.SigAction
		if err := usermem.Read(m, act, &a); err != nil {
			return 0, err
		}
		p.Actions[sig] = a
		if a.Handler == 1 { // SIG_IGN discards what is pending
			p.Pending &^= task.Bit(sig)
			for _, t := range p.Threads {
				t.Pending &^= task.Bit(sig)
			}
		}
	}
	return 0, nil
}

const (
	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2
	unblocked  = 1<<(task.SIGKILL-1) | 1<<(task.SIGSTOP-1)
)

func rtSigprocmask(c *Ctx) (uint64, error) {
	how, set, old := c.Arg(0), c.Arg(1), c.Arg(2)
	if c.Arg(3) != 8 {
		return 0, syscall.EINVAL
	}
	m := c.T.Mem()
	if old != 0 {
		if err := usermem.PutU64(m, old, c.T.Mask); err != nil {
			return 0, err
		}
	}
	if set == 0 {
		return 0, nil
	}
	s, err := usermem.U64(m, set)
	if err != nil {
		return 0, err
	}
	switch how {
	case sigBlock:
		c.T.Mask |= s
	case sigUnblock:
		c.T.Mask &^= s
	case sigSetmask:
		c.T.Mask = s
	default:
		return 0, syscall.EINVAL
	}
	c.T.Mask &^= unblocked
	return 0, nil
}

func rtSigreturn(c *Ctx) (uint64, error) {
	regs := c.R
	if err := c.K.Sigreturn(c.T, &regs); err != nil {
		c.K.Exit(c.P(), task.SIGSEGV|0x80)
		c.NoReply = true
		return 0, nil
	}
	c.K.Deliver(c.T, &regs, regs.RAX, false)
	c.Reply = &abi.LinuxReply{Action: abi.ReplyRegs, Regs: regs}
	return 0, nil
}

func sigaltstack(c *Ctx) (uint64, error) {
	ss, old := c.Arg(0), c.Arg(1)
	m := c.T.Mem()
	if old != 0 {
		st := c.T.AltStack
		if st[2] == 0 {
			st[1] = 2 // SS_DISABLE
		}
		if err := usermem.Write(m, old, st); err != nil {
			return 0, err
		}
	}
	if ss != 0 {
		var st [3]uint64
		if err := usermem.Read(m, ss, &st); err != nil {
			return 0, err
		}
		c.T.AltStack = st
	}
	return 0, nil
}

// kill sends sig to a process, a process group (pid 0 or below -1) or
// every process but init and the caller (pid -1), each one the caller's
// credential may signal (mayKill). As Linux does, a group call succeeds if
// one process could be signalled, and kill(-1) if any process was tried.
func kill(c *Ctx) (uint64, error) {
	pid, sig := int(int32(c.Arg(0))), int(c.Arg(1))
	if sig < 0 || sig > task.NSig {
		return 0, syscall.EINVAL
	}
	var targets []*task.Process
	c.K.Processes(func(p *task.Process) {
		if p.Exited {
			return
		}
		switch {
		case pid > 0 && p.PID == pid,
			pid == 0 && p.PGID == c.P().PGID,
			pid == -1 && p.PID != 1 && p != c.P(),
			pid < -1 && p.PGID == -pid:
			targets = append(targets, p)
		}
	})
	if len(targets) == 0 && pid == 1 && initRequest(sig) && c.K.PowerOff != nil {
		if !c.P().Cred.Capable(dac.CapKill) {
			return 0, syscall.EPERM
		}
		c.K.PowerOff() // halt, poweroff and reboot signal init, whose part linuxd plays
		return 0, nil
	}
	if len(targets) == 0 {
		return 0, syscall.ESRCH
	}
	sent := false
	for _, p := range targets {
		if !mayKill(c.P(), p, sig) {
			continue
		}
		sent = true
		if sig != 0 {
			c.K.SignalInfo(p, sig, task.SigInfo{Code: task.SIUser, PID: int32(c.P().PID)})
		}
	}
	if !sent && pid != -1 {
		return 0, syscall.EPERM
	}
	return 0, nil
}

// mayKill reports whether process from may send sig to process to: its
// credential allows it, or sig is SIGCONT within one session (Linux's
// check_kill_permission).
func mayKill(from, to *task.Process, sig int) bool {
	return from.Cred.MaySignal(to.Cred) || sig == task.SIGCONT && from.SID == to.SID
}

// initRequest reports whether sig sent to init asks it to stop the system:
// SIGUSR1 (halt), SIGUSR2 (power off), SIGTERM (reboot), as busybox's
// init reads them.
func initRequest(sig int) bool { return sig == 10 || sig == 12 || sig == task.SIGTERM }

func tgkill(c *Ctx, tgid, tid, sig int) (uint64, error) {
	if sig < 0 || sig > task.NSig || tid <= 0 {
		return 0, syscall.EINVAL
	}
	t := c.K.Thread(tid)
	if t == nil || tgid > 0 && t.P.PID != tgid {
		return 0, syscall.ESRCH
	}
	if !mayKill(c.P(), t.P, sig) {
		return 0, syscall.EPERM
	}
	if sig == 0 {
		return 0, nil
	}
	info := task.SigInfo{Code: task.SITkill, PID: int32(c.P().PID)}
	if h := t.P.Actions[sig].Handler; h > 1 {
		c.K.PostThread(t, sig, info)
		return 0, nil
	}
	c.K.SignalInfo(t.P, sig, info)
	return 0, nil
}

// rtSigsuspend waits for a signal with a temporary mask; it always ends
// with EINTR, and the handler runs with the old mask restored after it.
func rtSigsuspend(c *Ctx) (uint64, error) {
	s, err := usermem.U64(c.T.Mem(), c.Arg(0))
	if err != nil {
		return 0, err
	}
	old := c.T.Mask
	c.T.Mask = s &^ unblocked
	for !c.T.Interrupted() {
		c.K.Cond.Wait()
	}
	regs := c.R
	if c.K.Deliver(c.T, &regs, errnoOf(syscall.EINTR), false) {
		// The frame saved the temporary mask; sigreturn must restore the old one.
		usermem.PutU64(c.T.Mem(), regs.RDX+ucSigmaskOffset, old)
		c.Reply = &abi.LinuxReply{Action: abi.ReplyRegs, Regs: regs}
		return 0, nil
	}
	c.T.Mask = old
	return 0, syscall.EINTR
}

// ucSigmaskOffset is uc_sigmask's offset in struct ucontext.
const ucSigmaskOffset = 40 + 256

// rtSigpending reports the signals pending for the thread or its process
// that its mask holds back.
func rtSigpending(c *Ctx) (uint64, error) {
	if c.Arg(1) > 8 {
		return 0, syscall.EINVAL
	}
	return 0, usermem.PutU64(c.T.Mem(), c.Arg(0), (c.T.Pending|c.P().Pending)&c.T.Mask)
}

func pause(c *Ctx) (uint64, error) {
	for !c.T.Interrupted() {
		c.K.Cond.Wait()
	}
	return 0, syscall.EINTR
}
