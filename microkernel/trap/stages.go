package trap

import (
	"aramid/lib/abi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// Stages times the stages of forwarded Linux calls with the TSC when On
// (kernel command line aramid.stages), for docs/performance.md. A
// forwarded call is a Linux thread's trap that the kernel forwards
// (forward stage), linuxd's user-space time until its next port_wait
// traps (linuxd stage), that port_wait, which replies (reply stage), and
// the Linux thread's user-space time until its next call traps (process
// stage). The two user-space stages include the trap path's assembly
// (FXRSTOR, FS base, IRETQ, then SYSCALL, FS base, FXSAVE) and the
// refilling of the TLB after the switch. Only back-to-back calls, with no
// other trap between the stages, are counted.
var Stages struct {
	On bool
	// Calls is how many calls were timed; the cycle counts are sums.
	Calls, Forward, Linuxd, Reply, Process uint64
	// ForwardSwitch and ReplySwitch are the cycles of the CR3 writes
	// within Forward and Reply; Rewaits counts port_waits that linuxd
	// made between taking a call and replying to it.
	ForwardSwitch, ReplySwitch, Rewaits uint64

	entry, exit uint64 // TSC at the current trap's entry, the last trap's exit
	kind        uint8  // the current trap's kind
	state       uint8  // the kind of the last trap in a timed sequence, or 0
}

// touchCall is the timed call whose user pages Stages counts and prints
// (proc.PrintTouched): the accessed bits are cleared when it traps and counted
// when the next one does, after the call has been through linuxd and
// back. The switches flush the TLB, so every page touched sets its bit.
const touchCall = 1000

// Kinds of trap that Stages times.
const (
	stageOther    = 0
	stageForward  = 1 // a forwarded Linux call
	stagePortWait = 2 // linuxd's port_wait
)

//go:nosplit
func stageEntry(f *amd64.Frame) {
	s := &Stages
	now := amd64.Rdtsc()
	s.kind = stageOther
	if f.CS&3 != 0 && f.Vector == amd64.SyscallVector {
		switch {
		case proc.IsLinux():
			s.kind = stageForward
		case f.RAX == abi.SysPortWait:
			s.kind = stagePortWait
		}
	}
	switch {
	case s.kind == stagePortWait && s.state == stageForward:
		s.Linuxd += now - s.exit
	case s.kind == stagePortWait && s.state == stagePortWait:
		s.Linuxd += now - s.exit
		s.Rewaits++
	case s.kind == stageForward && s.state == stagePortWait:
		s.Process += now - s.exit
		s.Calls++
		switch s.Calls {
		case touchCall:
			proc.ClearTouched()
			now = amd64.Rdtsc() // the call's stages leave the walk out
		case touchCall + 1:
			proc.PrintTouched()
			now = amd64.Rdtsc()
		}
	case s.kind == stageOther:
		s.state = 0
	}
	s.entry = now
	sched.SwitchCycles = 0
}

//go:nosplit
func stageExit() {
	s := &Stages
	now := amd64.Rdtsc()
	switch s.kind {
	case stageForward:
		s.Forward += now - s.entry
		s.ForwardSwitch += sched.SwitchCycles
		s.state = stageForward
	case stagePortWait:
		if s.state != 0 {
			s.Reply += now - s.entry
			s.ReplySwitch += sched.SwitchCycles
			s.state = stagePortWait
		}
	}
	s.exit = now
}
