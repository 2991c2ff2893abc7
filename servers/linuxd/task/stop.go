package task

// Job control. SIGSTOP, and SIGTSTP, SIGTTIN and SIGTTOU whose action is
// the default, stop a process; SIGCONT continues it, whatever its action.
// A stopped process's threads run no user code: each is interrupted
// (Kernel.interrupt), and the dispatcher holds back the reply of any call
// or interrupt of a stopped process until it continues or ends
// (syscalls.Dispatcher). The parent learns of both changes from SIGCHLD
// (CLD_STOPPED, CLD_CONTINUED) unless its SIGCHLD action has
// SA_NOCLDSTOP, and from wait4 with WUNTRACED or WCONTINUED, once each.

// si_code values of SIGCHLD for job control.
const (
	CLDStopped   = 5
	CLDContinued = 6
)

// saNoCldStop is SA_NOCLDSTOP: no SIGCHLD when a child stops or continues.
const saNoCldStop = 1

// stopSignals are the signals whose default action stops the process.
const stopSignals = 1<<(SIGSTOP-1) | 1<<(SIGTSTP-1) | 1<<(SIGTTIN-1) | 1<<(SIGTTOU-1)

// stops reports whether sig's default action is to stop the process.
func stops(sig int) bool { return Bit(sig)&stopSignals != 0 }

// Stopped reports whether p is stopped by a signal.
func (p *Process) Stopped() bool { return p.stopped }

// TakeStop returns the signal that stopped p if wait4 has not reported
// the stop yet (0 otherwise), and marks it reported.
func (p *Process) TakeStop() int {
	sig := p.stopSig
	p.stopSig = 0
	return sig
}

// TakeContinue reports whether p continued since wait4 last reported it,
// and marks it reported.
func (p *Process) TakeContinue() bool {
	c := p.continued
	p.continued = false
	return c
}

// stop stops p for sig. A pending SIGCONT is discarded, as on Linux.
func (k *Kernel) stop(p *Process, sig int) {
	p.discard(Bit(SIGCONT))
	if p.stopped {
		return
	}
	p.stopped, p.stopSig, p.continued = true, sig, false
	for _, t := range p.Threads {
		k.interrupt(t)
	}
	k.notifyParent(p, CLDStopped, sig)
	k.Cond.Broadcast()
}

// resume continues p if it is stopped, for SIGCONT, which also discards
// the stop signals pending for it.
func (k *Kernel) resume(p *Process) {
	p.discard(stopSignals)
	if !p.stopped {
		return
	}
	p.stopped, p.stopSig, p.continued = false, 0, true
	k.notifyParent(p, CLDContinued, SIGCONT)
	k.Cond.Broadcast()
}

// discard drops the signals of set pending for p or any of its threads.
func (p *Process) discard(set uint64) {
	p.Pending &^= set
	for _, t := range p.Threads {
		t.Pending &^= set
	}
}

// notifyParent sends p's parent SIGCHLD with code (CLD_STOPPED or
// CLD_CONTINUED) and sig, unless its action has SA_NOCLDSTOP.
func (k *Kernel) notifyParent(p *Process, code int32, sig int) {
	if par := p.Parent; par != nil && par.Actions[SIGCHLD].Flags&saNoCldStop == 0 {
		k.SignalInfo(par, SIGCHLD, SigInfo{Code: code, PID: int32(p.PID), Status: int32(sig)})
	}
}
