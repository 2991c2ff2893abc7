package syscalls

import (
	"fmt"
	"io"

	"aramid/lib/abi"
	"aramid/lib/linux/sysno"
	"aramid/servers/linuxd/task"
)

// Dispatcher turns forwarded calls and faults into handler runs and
// replies.
type Dispatcher struct {
	K *task.Kernel
	// inline and reply are reused by every call served on the caller's
	// goroutine, so the common call allocates nothing; the caller sends
	// the reply before it hands in the next message.
	inline Ctx
	reply  abi.LinuxReply
	// waiting counts the calls in progress on goroutines of their own.
	waiting int
	// Trace, when set, gets one strace-style line per call of the
	// processes Traced selects.
	Trace  io.Writer
	Traced func(p *task.Process) bool
}

// Handle serves one message with K.Mu held. It returns the reply to send,
// or nil when there is none to send now: the caller is gone, or a call
// that may wait went on to its own goroutine, which replies itself.
func (d *Dispatcher) Handle(m *abi.LinuxMsg) *abi.LinuxReply {
	t := d.K.Thread(int(m.TID))
	if t == nil {
		return nil // its process ended while the call was queued
	}
	switch m.Kind {
	case abi.MsgFault:
		return d.held(t, d.fault(t, m))
	case abi.MsgNoMemory:
		return d.noMemory(t, m)
	case abi.MsgInterrupt:
		return d.held(t, d.interrupted(t, m))
	}
	// Field by field: a composite literal would build the Ctx on the
	// stack and copy it again.
	c := &d.inline
	c.K, c.T, c.R, c.Reply, c.NoReply = d.K, t, m.Regs, nil, false
	e := Lookup(m.Regs.RAX)
	if e != nil && e.MayBlock != nil && e.MayBlock(c) {
		own := *c
		d.waiting++
		go func() {
			d.K.Mu.Lock()
			r := d.held(own.T, d.run(&own, e, new(abi.LinuxReply)))
			d.waiting--
			d.K.Mu.Unlock()
			if r != nil {
				d.K.Host.Reply(r)
			}
		}()
		return nil
	}
	return d.held(t, d.run(c, e, &d.reply))
}

// held returns r, the reply to thread t, or, while t's process is
// stopped (task/stop.go), nil after handing a copy of r to a goroutine
// that sends it once the process continues: a stopped process runs no
// user code. If the process ends meanwhile, nothing is sent.
func (d *Dispatcher) held(t *task.Thread, r *abi.LinuxReply) *abi.LinuxReply {
	if r == nil || !t.P.Stopped() {
		return r
	}
	own := *r
	d.waiting++
	go func() {
		d.K.Mu.Lock()
		for t.P.Stopped() && !t.P.Exited {
			d.K.Cond.Wait()
		}
		d.waiting--
		exited := t.P.Exited
		d.K.Mu.Unlock()
		if !exited {
			d.K.Host.Reply(&own)
		}
	}()
	return nil
}

// Waiting reports how many calls are in progress on goroutines of their
// own, with K.Mu held.
func (d *Dispatcher) Waiting() int { return d.waiting }

// run runs the handler of entry e (nil: there is none) and fills out,
// which it returns, or returns nil if no reply is due.
func (d *Dispatcher) run(c *Ctx, e *Entry, out *abi.LinuxReply) *abi.LinuxReply {
	var v uint64
	if e == nil {
		v = errnoOf(errNoSys(c))
	} else if r, err := e.Fn(c); err != nil {
		v = errnoOf(err)
	} else {
		v = r
	}
	if d.Trace != nil {
		d.trace(c, v)
	}
	if c.NoReply || c.T.P.Exited {
		return nil
	}
	if e != nil && e.shown {
		d.K.Publish(c.T.P)
	}
	if c.Reply != nil {
		c.Reply.TID = uint32(c.T.TID)
		return c.Reply
	}
	if c.T.Deliverable() {
		out.Regs = c.R
		if d.K.Deliver(c.T, &out.Regs, v, e != nil && e.Restart) {
			out.TID, out.Action = uint32(c.T.TID), abi.ReplyRegs
			return out
		}
		if c.T.P.Exited {
			return nil
		}
	}
	out.TID, out.Action, out.Value = uint32(c.T.TID), abi.ReplyReturn, v
	return out
}

// trace writes the strace line of call c, which returned v, if Traced
// selects its process.
func (d *Dispatcher) trace(c *Ctx, v uint64) {
	if d.Traced == nil || !d.Traced(c.T.P) {
		return
	}
	r := &c.R
	res := fmt.Sprintf("%d", int64(v))
	if e := -int64(v); e > 0 && e < 4096 {
		res = fmt.Sprintf("-1 %s", errnoName(e))
	}
	fmt.Fprintf(d.Trace, "[pid %d] %s(%#x, %#x, %#x, %#x) = %s\n", c.T.TID, sysno.Name(r.RAX), r.RDI, r.RSI, r.RDX, r.R10, res)
}

// fault turns a CPU exception in a Linux thread into its signal: handled,
// it runs the handler; otherwise the process ends, reported on the
// console as Linux's shell would report it.
func (d *Dispatcher) fault(t *task.Thread, m *abi.LinuxMsg) *abi.LinuxReply {
	sig := task.SIGSEGV
	switch m.Vector {
	case 0, 16, 19:
		sig = task.SIGFPE
	case 6:
		sig = task.SIGILL
	case 1, 3:
		sig = task.SIGTRAP
	case 17:
		sig = task.SIGBUS
	}
	info := task.SigInfo{Code: task.SIKernel}
	if m.Vector == 14 { // page fault: bit 0 of the error code is "present"
		info = task.SigInfo{Code: task.SEGVMaperr, Addr: m.Addr}
		if m.Err&1 != 0 {
			info.Code = task.SEGVAccerr
		}
	}
	regs := m.Regs
	if t.P.Actions[sig].Handler > 1 && t.Mask&task.Bit(sig) == 0 {
		t.Post(sig, info)
		if d.K.Deliver(t, &regs, regs.RAX, false) {
			return &abi.LinuxReply{TID: uint32(t.TID), Action: abi.ReplyRegs, Regs: regs}
		}
	}
	fmt.Printf("linuxd: pid %d (%s) killed by signal %d: CPU exception %d at rip %#x, address %#x\n",
		t.P.PID, t.P.Comm, sig, m.Vector, regs.RIP, m.Addr)
	d.K.Exit(t.P, sig|0x80)
	return nil
}

// interrupted runs the handler of a signal pending for t, which the kernel
// interrupted for it (task.Kernel.interrupt) where it ran user code, or in
// a futex wait that then returns EINTR, or is run again for a handler
// with SA_RESTART, as Linux does. With nothing to deliver (the signal
// stopped the process, or was taken meanwhile at a system call's return)
// t resumes as it was, and a futex wait it left is run again, as Linux
// restarts a call that no handler interrupted.
func (d *Dispatcher) interrupted(t *task.Thread, m *abi.LinuxMsg) *abi.LinuxReply {
	regs := m.Regs
	result, restartable := regs.RAX, m.Err == 1
	if restartable {
		regs.RAX = m.Vector // the call's number, for SA_RESTART
	}
	if !d.K.Deliver(t, &regs, result, restartable) {
		if t.P.Exited {
			return nil
		}
		regs = m.Regs
		if restartable {
			regs.RAX, regs.RIP = m.Vector, m.Regs.RIP-2
		}
	}
	return &abi.LinuxReply{TID: uint32(t.TID), Action: abi.ReplyRegs, Regs: regs}
}

// noMemory ends a process whose page the kernel could not back with
// SIGKILL, whatever its signal actions, as Linux's OOM killer does.
func (d *Dispatcher) noMemory(t *task.Thread, m *abi.LinuxMsg) *abi.LinuxReply {
	why := "the machine's memory is used up"
	if m.Err != 0 {
		why = fmt.Sprintf("its memory limit of %d MiB is reached", m.Err)
	}
	fmt.Printf("linuxd: pid %d (%s) killed by signal %d: out of memory at address %#x: %s\n",
		t.P.PID, t.P.Comm, task.SIGKILL, m.Addr, why)
	d.K.Exit(t.P, task.SIGKILL)
	return nil
}

// shown names the calls that change what /proc shows of the caller, after
// which the dispatcher publishes it again (task.Kernel.Publish); their
// entries say so (Entry.shown).
var shown = []string{"execve", "setpgid", "setsid", "chdir", "fchdir", "umask", "prctl",
	"rt_sigaction", "clone", "exit"}
