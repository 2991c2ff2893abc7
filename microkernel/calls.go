package main

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"aramid/lib/abi"
	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/mm"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
	"aramid/microkernel/trap"
)

// nativeNames names the native calls in the call profile.
var nativeNames = map[uint64]string{
	abi.SysHandleClose: "handle_close", abi.SysHandleDup: "handle_dup",
	abi.SysChannelCreate: "channel_create", abi.SysChannelWrite: "channel_write",
	abi.SysChannelRead: "channel_read", abi.SysChannelCall: "channel_call",
	abi.SysWaitMany: "wait_many", abi.SysVmoCreate: "vmo_create", abi.SysVmoMap: "vmo_map",
	abi.SysPortWait: "port_wait", abi.SysPortReply: "port_reply",
	abi.SysProcessRead: "process_read", abi.SysProcessWrite: "process_write",
	abi.SysProcessVM: "process_vm", abi.SysThreadStart: "thread_start",
	abi.SysLinuxFork: "linux_fork", abi.SysProcessFutex: "process_futex",
	abi.SysInterruptAck: "interrupt_ack",
}

// printCalls prints the call profile counted since the last one
// (aramid.calls): per process, its ticks, its switches in, its Linux and native
// calls, and the most frequent of each; then it starts a new count.
func printCalls() {
	p := trap.Profile
	if p == nil {
		fmt.Println("calls: boot with aramid.calls to count them")
		return
	}
	fmt.Printf("calls: idle: %d ticks, switches in %d; IRQs by line %v\n", p.IdleTicks, sched.IntoIdle, p.IRQs)
	for i := 0; i < proc.MaxProcs; i++ {
		lx, nat := top(p.Linux[i][:], 0), top(p.Native[i][:], abi.NativeBase)
		if len(lx)+len(nat) == 0 && sched.Into[i] == 0 && p.Ticks[i] == 0 {
			continue
		}
		name := "kernel"
		if i > 0 {
			name = string(proc.Procs[i].Name())
		}
		fmt.Printf("calls: %2d %-12s %d ticks, switches in %d; Linux %d:%s; native %d:%s\n",
			i, name, p.Ticks[i], sched.Into[i], sum(p.Linux[i][:]), names(lx, sysno.Name), sum(p.Native[i][:]), names(nat, func(n uint64) string {
				if s, ok := nativeNames[n]; ok {
					return s
				}
				return fmt.Sprintf("%#x", n)
			}))
	}
	trap.ResetProfile()
}

// newProfile allocates the call profile with every page touched: the
// heap is demand-paged, and the trap path that counts into it must not
// fault.
func newProfile() *trap.CallProfile {
	p := new(trap.CallProfile)
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
	for i := 0; i < len(b); i += mm.PageSize {
		b[i] = 0
	}
	p.On = true
	return p
}

// counted is a call number and its count.
type counted struct {
	nr uint64
	n  uint32
}

// top returns the non-zero counts of c, largest first, at most 12, each
// numbered from base.
func top(c []uint32, base uint64) []counted {
	var out []counted
	for nr, n := range c {
		if n > 0 {
			out = append(out, counted{base + uint64(nr), n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n > out[j].n })
	return out[:min(len(out), 12)]
}

func sum(c []uint32) (n uint64) {
	for _, v := range c {
		n += uint64(v)
	}
	return n
}

func names(c []counted, name func(uint64) string) string {
	var b strings.Builder
	for _, e := range c {
		fmt.Fprintf(&b, " %s=%d", name(e.nr), e.n)
	}
	return b.String()
}

// printSamples prints, per process, the user-mode addresses the ticks
// counted since the last "calls" found it at most often (aramid.calls),
// for go tool addr2line on an unstripped build of the same program,
// after how many samples it has and at how many addresses.
func printSamples() {
	p := trap.Profile
	if p == nil {
		return
	}
	n := min(p.NSamples, trap.ProfileSamples)
	byProc := map[int32]map[uint64]uint32{}
	for _, s := range p.Samples[:n] {
		if byProc[s.Proc] == nil {
			byProc[s.Proc] = map[uint64]uint32{}
		}
		byProc[s.Proc][s.RIP]++
	}
	for pr, rips := range byProc {
		var c []counted
		var all uint32
		for rip, k := range rips {
			c = append(c, counted{rip, k})
			all += k
		}
		sort.Slice(c, func(i, j int) bool { return c[i].n > c[j].n })
		var b strings.Builder
		for _, e := range c[:min(len(c), 40)] {
			fmt.Fprintf(&b, " %#x=%d", e.nr, e.n)
		}
		fmt.Printf("samples: %2d %-12s %d at %d addresses:%s\n", pr, proc.Procs[pr].Name(), all, len(c), b.String())
	}
}

// printEvents prints the last n traps counted (aramid.calls), oldest
// first: microseconds since the first, thread, process, and the call or
// vector. Counting stops while it prints.
func printEvents(n uint64) {
	p := trap.Profile
	if p == nil {
		return
	}
	n = min(n, p.NEvents, trap.ProfileEvents)
	if n == 0 {
		return
	}
	p.On = false // printing traps too: keep the timeline still
	defer func() { p.On = true }()
	first := p.NEvents - n
	t0 := p.Events[first%trap.ProfileEvents].TSC
	perUS := max(clock.TSCPerMs()/1000, 1)
	for i := first; i < p.NEvents; i++ {
		e := p.Events[i%trap.ProfileEvents]
		what := fmt.Sprintf("vector %d", e.Vector)
		switch {
		case e.Vector == amd64.SyscallVector && uint64(e.Nr) >= abi.NativeBase:
			what = nativeNames[uint64(e.Nr)]
			if what == "" {
				what = fmt.Sprintf("native %#x", e.Nr)
			}
		case e.Vector == amd64.SyscallVector:
			what = sysno.Name(uint64(e.Nr))
		}
		name := "kernel"
		if e.Proc > 0 {
			name = string(proc.Procs[e.Proc].Name())
		}
		fmt.Printf("event: %9d %4d %-8s %s\n", (e.TSC-t0)/perUS, e.TID, name, what)
	}
}
