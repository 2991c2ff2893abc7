package linux

// SIGURG is the signal Go's runtime sends itself to preempt a goroutine.
const SIGURG = 23

// SignalSet is a signal mask (the kernel's sigset_t): bit n-1 for signal n.
type SignalSet uint64

// SigAction is struct sigaction as rt_sigaction(2) takes it.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     SignalSet
}

// SignalStack is stack_t, the argument of sigaltstack(2).
type SignalStack struct {
	Addr  uint64
	Flags uint32
	_     uint32
	Size  uint64
}

// SS_DISABLE in SignalStack.Flags means no alternate stack is set.
const SS_DISABLE = 2
