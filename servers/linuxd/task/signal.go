package task

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"aramid/lib/abi"
)

// NSig is the number of signals, as Linux's _NSIG.
const NSig = 64

// Signals by number (x86-64).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGSEGV   = 11
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGWINCH  = 28
	sigDfl    = 0
	sigIgn    = 1
	saSiginfo = 0x4
	saRestart = 0x10000000
	saNodefer = 0x40000000
	saReset   = 0x80000000
)

// SigAction is struct sigaction as rt_sigaction moves it.
type SigAction struct {
	Handler, Flags, Restorer, Mask uint64
}

// SigInfo is what a SA_SIGINFO handler learns of a signal besides its
// number: the fields of siginfo_t that linuxd fills. A standard signal
// keeps the information of its first sending while it is pending.
type SigInfo struct {
	Code   int32  // si_code
	PID    int32  // the sender, or the child for SIGCHLD
	Status int32  // SIGCHLD: the exit code or the signal
	Addr   uint64 // faults: the address
}

// si_code values.
const (
	SIUser     = 0
	SITkill    = -6
	SIKernel   = 0x80
	CLDExited  = 1
	CLDKilled  = 2
	CLDDumped  = 3
	SEGVMaperr = 1
	SEGVAccerr = 2
)

// childInfo is SIGCHLD's information for a child that ended with wait
// status st.
func childInfo(pid, st int) SigInfo {
	switch {
	case st&0x7f == 0:
		return SigInfo{Code: CLDExited, PID: int32(pid), Status: int32(st >> 8)}
	case st&0x80 != 0:
		return SigInfo{Code: CLDDumped, PID: int32(pid), Status: int32(st & 0x7f)}
	}
	return SigInfo{Code: CLDKilled, PID: int32(pid), Status: int32(st & 0x7f)}
}

// Post makes sig pending for thread t with info, unless it is pending
// already.
func (t *Thread) Post(sig int, info SigInfo) {
	if t.Pending&Bit(sig) == 0 {
		t.Info[sig] = info
	}
	t.Pending |= Bit(sig)
}

func (p *Process) post(sig int, info SigInfo) {
	if p.Pending&Bit(sig) == 0 {
		p.Info[sig] = info
	}
	p.Pending |= Bit(sig)
}

// Bit is sig's bit in a signal set.
func Bit(sig int) uint64 { return 1 << (sig - 1) }

// unblockable are the signals no mask holds back.
const unblockable = 1<<(SIGKILL-1) | 1<<(SIGSTOP-1)

// defaultIgnored are the signals whose default action is to do nothing
// (SIGCONT's continues a stopped process first, stop.go).
func defaultIgnored(sig int) bool {
	switch sig {
	case SIGCHLD, SIGURG, SIGWINCH, SIGCONT:
		return true
	}
	return false
}

// dumpsCore are the signals whose default action also dumps core, which
// the wait status reports (0x80).
func dumpsCore(sig int) bool {
	switch sig {
	case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV:
		return true
	}
	return false
}

// exitStatus is the wait status of a process that sig's default action
// ends.
func exitStatus(sig int) int {
	if dumpsCore(sig) {
		return sig | 0x80
	}
	return sig
}

// Signal sends sig to process p from the kernel (SI_KERNEL).
func (k *Kernel) Signal(p *Process, sig int) { k.SignalInfo(p, sig, SigInfo{Code: SIKernel}) }

// SignalInfo sends sig with info to process p. A signal with the default
// action of ending the process ends it at once; one with a handler
// becomes pending and is delivered when a thread next returns from a
// system call; an ignored one is dropped, unless every thread blocks it.
func (k *Kernel) SignalInfo(p *Process, sig int, info SigInfo) {
	if p.Exited || sig <= 0 || sig > NSig {
		return
	}
	switch sig {
	case SIGKILL:
		k.Exit(p, SIGKILL)
		return
	case SIGSTOP:
		k.stop(p, SIGSTOP)
		return
	case SIGCONT:
		k.resume(p)
	}
	switch act := p.Actions[sig]; act.Handler {
	case sigIgn:
		p.postIfBlocked(sig, info)
		return
	case sigDfl:
		if defaultIgnored(sig) {
			p.postIfBlocked(sig, info)
			return
		}
		if p.blockedEverywhere(sig) {
			p.post(sig, info)
			return
		}
		if stops(sig) {
			k.stop(p, sig)
			return
		}
		k.Exit(p, exitStatus(sig))
		return
	}
	p.post(sig, info)
	k.Cond.Broadcast()
	if t := p.taker(sig); t != nil {
		k.interrupt(t)
	}
}

// taker is the thread of p that a signal sent to p interrupts: the main
// thread unless it blocks sig, else another that does not.
func (p *Process) taker(sig int) *Thread {
	if t := p.Threads[p.PID]; t != nil && t.Mask&Bit(sig) == 0 {
		return t
	}
	for _, t := range p.Threads {
		if t.Mask&Bit(sig) == 0 {
			return t
		}
	}
	return nil
}

// PostThread sends sig with info to thread t, whose process has a
// handler for it.
func (k *Kernel) PostThread(t *Thread, sig int, info SigInfo) {
	t.Post(sig, info)
	k.Cond.Broadcast()
	if t.Mask&Bit(sig) == 0 {
		k.interrupt(t)
	}
}

// interrupt makes t take its pending signals soon. A thread in one of
// linuxd's waits is woken by the broadcast and takes them as its call
// returns; one that runs user code, or waits on a futex in the kernel,
// would not come to linuxd by itself, so the kernel interrupts it. The
// kernel interrupts a thread that waits for linuxd too, which then comes
// back once more with nothing left to take; a signal is rare enough for
// that not to matter. A thread that is gone meanwhile is no error.
func (k *Kernel) interrupt(t *Thread) {
	if err := t.P.Proc.Interrupt(t.TID); err != nil && err != syscall.ESRCH {
		fmt.Printf("linuxd: interrupting thread %d for a signal: %v\n", t.TID, err)
	}
}

// postIfBlocked makes an ignored signal pending if every thread blocks
// it, else drops it: as Linux's sig_ignored, a blocked signal is never
// ignored, since its handler may change before it is unblocked. If it
// has not, delivery discards it then.
func (p *Process) postIfBlocked(sig int, info SigInfo) {
	if p.blockedEverywhere(sig) {
		p.post(sig, info)
	}
}

// SignalGroup sends sig to every process of process group pgrp.
func (k *Kernel) SignalGroup(pgrp, sig int) {
	for _, p := range k.procs {
		if p.PGID == pgrp && !p.Exited {
			k.Signal(p, sig)
		}
	}
}

func (p *Process) blockedEverywhere(sig int) bool {
	for _, t := range p.Threads {
		if t.Mask&Bit(sig) == 0 {
			return false
		}
	}
	return len(p.Threads) > 0
}

// deliverable returns the signals t could take now.
func (t *Thread) deliverable() uint64 {
	return (t.Pending | t.P.Pending) &^ (t.Mask &^ unblockable)
}

// Deliverable reports whether a signal waits for t.
func (t *Thread) Deliverable() bool { return t.deliverable() != 0 }

// Interrupted reports whether a wait of t must end: its process is gone,
// or a signal is ready for it.
func (t *Thread) Interrupted() bool { return t.P.Exited || t.deliverable() != 0 }

// Frame layout of x86-64 signal delivery (arch/x86/include/uapi/asm).
const (
	ucMcontext  = 40                // offset of uc_mcontext in struct ucontext
	ucSigmask   = ucMcontext + 256  // struct sigcontext is 256 bytes
	ucSize      = ucSigmask + 8 + 8 // and a padded sigset
	siginfoSize = 128
	frameSize   = 8 + ucSize + siginfoSize
	redZone     = 128
)

// sigcontext register order.
func mcontext(r *abi.Regs) []uint64 {
	return []uint64{r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15, r.RDI, r.RSI, r.RBP,
		r.RBX, r.RDX, r.RAX, r.RCX, r.RSP, r.RIP, r.RFLAGS}
}

// Deliver runs the next deliverable signal's handler in t: it writes a
// signal frame (siginfo, ucontext with the registers r would have
// resumed with) on t's stack and points r at the handler. result is the
// system call's result, for SA_RESTART. It reports whether it changed r.
func (k *Kernel) Deliver(t *Thread, r *abi.Regs, result uint64, restartable bool) bool {
	set := t.deliverable()
	if set == 0 {
		return false
	}
	sig := 1
	for set&Bit(sig) == 0 {
		sig++
	}
	info := t.P.Info[sig]
	if t.Pending&Bit(sig) != 0 {
		info = t.Info[sig]
	}
	t.Pending &^= Bit(sig)
	t.P.Pending &^= Bit(sig)
	act := t.P.Actions[sig]
	switch {
	case act.Handler == sigDfl && stops(sig):
		// Pending because it was blocked when it was sent: its
		// default action, stopping the process, happens now.
		k.stop(t.P, sig)
		return false
	case act.Handler == sigDfl && !defaultIgnored(sig):
		// Likewise: its default action, ending the process, now.
		k.Exit(t.P, exitStatus(sig))
		return false
	case act.Handler == sigDfl || act.Handler == sigIgn:
		return false
	}
	saved := *r
	saved.RAX = result
	if restartable && act.Flags&saRestart != 0 && int64(result) == -int64(syscall.EINTR) {
		saved.RAX, saved.RIP = r.RAX, r.RIP-2 // run the call again
	}
	sp := (r.RSP - redZone - frameSize) &^ 15
	sp -= 8 // as if the handler had been called: sp+8 is 16-aligned
	frame := make([]byte, frameSize)
	le := binary.LittleEndian
	le.PutUint64(frame[0:], act.Restorer)
	uc := frame[8:]
	for i, v := range mcontext(&saved) {
		le.PutUint64(uc[ucMcontext+8*i:], v)
	}
	le.PutUint16(uc[ucMcontext+8*18:], 0x33) // cs
	le.PutUint64(uc[ucSigmask:], t.Mask)
	si := frame[8+ucSize:]
	le.PutUint32(si[0:], uint32(sig))
	le.PutUint32(si[8:], uint32(info.Code))
	if info.Addr != 0 {
		le.PutUint64(si[16:], info.Addr)
	} else {
		le.PutUint32(si[16:], uint32(info.PID))
		le.PutUint32(si[24:], uint32(info.Status))
	}
	if err := t.Mem().WriteAt(frame, sp); err != nil {
		k.Exit(t.P, SIGSEGV|0x80)
		return false
	}
	if act.Flags&saNodefer == 0 {
		t.Mask |= Bit(sig)
	}
	t.Mask |= act.Mask &^ unblockable
	if act.Flags&saReset != 0 {
		t.P.Actions[sig] = SigAction{}
	}
	r.RSP, r.RIP = sp, act.Handler
	r.RDI, r.RSI, r.RDX, r.RAX = uint64(sig), sp+8+ucSize, sp+8, 0
	return true
}

// Sigreturn restores the registers and mask that Deliver saved; r holds
// the registers at the rt_sigreturn call, whose RSP points just past the
// frame's return address.
func (k *Kernel) Sigreturn(t *Thread, r *abi.Regs) error {
	uc := make([]byte, ucSize)
	if err := t.Mem().ReadAt(uc, r.RSP); err != nil {
		return err
	}
	le := binary.LittleEndian
	m := func(i int) uint64 { return le.Uint64(uc[ucMcontext+8*i:]) }
	*r = abi.Regs{R8: m(0), R9: m(1), R10: m(2), R11: m(3), R12: m(4), R13: m(5), R14: m(6), R15: m(7),
		RDI: m(8), RSI: m(9), RBP: m(10), RBX: m(11), RDX: m(12), RAX: m(13), RCX: m(14), RSP: m(15),
		RIP: m(16), RFLAGS: m(17), FSBase: r.FSBase}
	t.Mask = le.Uint64(uc[ucSigmask:]) &^ unblockable
	return nil
}
