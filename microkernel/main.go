// Command microkernel is Aramid's kernel. It is an ordinary GOOS=linux Go
// program whose Linux is the kernel itself: boot enters it from QEMU,
// hosting/ answers its runtime's system calls in ring 0, and main prints the
// banner, runs the self-test, and then serves the console.
//
// Kernel command line (QEMU -append), passed as arguments:
//
//	aramid.selftest   run the self-test of the hosted runtime before init
//	aramid.exit       stop the machine when init (or the self-test) ends (tests use this)
//	aramid.crashtest  fault deliberately instead of running the self-test
//	aramid.strace     print every system call the runtime makes
//	aramid.stages     time the stages of forwarded Linux calls (docs/performance.md)
//	aramid.calls      count every process's calls and switches for the
//	                  monitor's "calls" command (docs/performance.md)
//	aramid.tty        give the console to user space raw; Ctrl-] then a
//	                  line runs a monitor command (mem, ps, kill netd, ...)
//	aramid.bench=ipc  measure IPC round trips (echo and pinger) and print a BENCH line
//	aramid.bench=ipc-xcpu  the same with echo on CPU 1 and pinger on CPU 0 (with aramid.smp)
//	aramid.smp        start the other CPUs (docs/smp.md): the kernel checks
//	                  them parked, measures round trips, then runs threads
//	                  on every CPU
//	aramid.spin=N     a CPU whose thread blocks in a call or reply wait spins
//	                  N µs for its wake-up before it runs other work or
//	                  halts (default DefaultSpin; 0: never; docs/smp.md)
//
// Every other word is passed to init, the first user process, which the
// kernel starts from the boot bundle (QEMU -initrd) when there is one.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/boot"
	"aramid/microkernel/clock"
	"aramid/microkernel/crash"
	"aramid/microkernel/dev"
	"aramid/microkernel/hosting"
	"aramid/microkernel/mm"
	"aramid/microkernel/pci"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
	"aramid/microkernel/selftest"
	"aramid/microkernel/smp"
	"aramid/microkernel/trap"
)

// version is set by the Makefile from git.
var version = "dev"

// procs is the runtime's least GOMAXPROCS: one P a CPU, but at least two,
// because a second P lets the kernel preempt a thread that spins without
// yielding even on one CPU.
const procs = 2

func main() {
	runtime.GOMAXPROCS(procs)
	crash.StartReporter()
	bootMs := clock.Uptime().Milliseconds()
	st := mm.Stats()
	fmt.Printf("Aramid microkernel %s: %d MiB RAM, booted in %d ms (TSC %d MHz, %s)\n",
		version, st.TotalBytes>>20, bootMs, clock.TSCPerMs()/1000, runtime.Version())
	flags := map[string]bool{}
	for _, a := range os.Args[1:] {
		flags[a] = true
	}
	hosting.Trace = flags["aramid.strace"]
	hosting.RawConsole = flags["aramid.tty"]
	trap.Stages.On, sched.TimeSwitches = flags["aramid.stages"], flags["aramid.stages"]
	if trap.Stages.On {
		printInstructionCosts()
	}
	sched.HoldCycles = spinMicros() * clock.TSCPerMs() / 1000
	if flags["aramid.calls"] {
		trap.Profile = newProfile()
	}
	if flags["aramid.crashtest"] {
		crashTest()
	}
	ok := true
	bench := ""
	switch {
	case flags["aramid.bench=ipc"]:
		bench = "init echo pinger,20000!"
	case flags["aramid.bench=ipc-xcpu"]:
		bench = "init echo@cpu1 pinger,20000@cpu0!"
	}
	if smp.Online() > 1 {
		ok = checkSMP() && runOnAll()
	}
	if flags["aramid.selftest"] {
		ok = runSelfTest() && ok
		printSwitches()
	}
	if bundle := boot.Bundle(); bundle != nil {
		args := initArgs()
		if bench != "" {
			args = bench
		}
		if !flags["aramid.exit"] {
			go runInit(bundle, args)
			if hosting.RawConsole {
				escapes() // the console belongs to linuxd's terminal
			}
			monitor()
		}
		if hosting.RawConsole {
			go escapes()
		}
		status := runInit(bundle, args)
		if ok && status > 0 && status <= 0xff && flags["aramid.exit"] {
			// init passes on its main task's exit code (make run).
			fmt.Printf("kernel: powering off with init's exit status %d\n", status)
			dev.QEMUExit(uint8(status))
		}
		ok = ok && status == 0
	}
	if flags["aramid.exit"] {
		if !ok {
			os.Exit(1)
		}
		os.Exit(0)
	}
	monitor()
}

func runSelfTest() bool {
	fmt.Println("self-test: starting")
	ok := selftest.Run(selftest.Checks(1), 120*time.Second, func(r selftest.Result) {
		if r.Err != nil {
			fmt.Printf("self-test: %-12s FAIL %v\n", r.Name, r.Err)
			return
		}
		fmt.Printf("self-test: %-12s ok   %s (%v)\n", r.Name, r.Figures, r.Elapsed.Round(time.Millisecond))
	})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("self-test: %d GC cycles in all, heap now %.1f MiB, %d goroutines\n", ms.NumGC, float64(ms.HeapAlloc)/(1<<20), runtime.NumGoroutine())
	if ok {
		fmt.Println("SELFTEST PASS")
	} else {
		fmt.Println("SELFTEST FAIL")
	}
	return ok
}

// checkSMP probes every parked CPU: its timer still interrupts, and it
// answers a round trip both while polling and when woken from HLT by an IPI.
func checkSMP() bool {
	ok := true
	for i := 1; i < smp.Online(); i++ {
		f, err := smp.Probe(i, 1000)
		if err != nil {
			fmt.Printf("smp: cpu %d FAIL %v\n", i, err)
			ok = false
			continue
		}
		fmt.Printf("smp: cpu %d ok   timer %.0f Hz (%d Hz set); round trip from cpu 0, median (fastest): polling %v (%v), halted and woken by IPI %v (%v), %d IPIs\n",
			i, f.TimerHz, smp.ParkHz, f.Spin, f.SpinMin, f.Halted, f.HaltedMin, f.Wakes)
	}
	if ok {
		fmt.Printf("SMP PASS: %d CPUs online\n", smp.Online())
	} else {
		fmt.Println("SMP FAIL")
	}
	return ok
}

// runOnAll moves the parked CPUs into the scheduler and gives the runtime
// a P for each CPU.
func runOnAll() bool {
	if err := smp.Release(sched.StartCPU); err != nil {
		fmt.Printf("SMP FAIL: %v\n", err)
		return false
	}
	runtime.GOMAXPROCS(max(procs, smp.Running()))
	fmt.Printf("smp: %d CPUs run threads; GOMAXPROCS %d\n", smp.Running(), runtime.GOMAXPROCS(0))
	return true
}

// printSwitches prints each CPU's context switches and device interrupts
// since boot when more than one runs threads: the proof that they all ran
// threads, and where the devices' interrupts went.
func printSwitches() {
	if n := smp.Running(); n > 1 {
		// Each line is one write, not torn by other CPUs' output.
		switches, irqs := "kernel: context switches per CPU:", "kernel: device interrupts per CPU:"
		for i := 0; i < n; i++ {
			switches += fmt.Sprintf(" cpu%d=%d", i, sched.SwitchesOn(i))
			irqs += fmt.Sprintf(" cpu%d=%d", i, trap.DeviceIRQs[i])
		}
		fmt.Println(switches)
		fmt.Println(irqs)
	}
}

// DefaultSpin is how many µs a CPU spins for a blocked thread's wake-up
// unless aramid.spin says otherwise: chosen from the measured curve of a
// forwarded getppid on two CPUs (docs/smp.md).
const DefaultSpin = 50

// spinMicros is aramid.spin's value, or DefaultSpin.
func spinMicros() uint64 {
	for _, a := range os.Args[1:] {
		if v, ok := strings.CutPrefix(a, "aramid.spin="); ok {
			if n, err := strconv.ParseUint(v, 10, 32); err == nil {
				return n
			}
			fmt.Printf("kernel: aramid.spin=%s is not a number of µs; spinning %d µs\n", v, DefaultSpin)
		}
	}
	return DefaultSpin
}

// initArgs is init's command line: "init" and every kernel argument that is
// not the kernel's own (aramid.*).
func initArgs() string {
	args := "init"
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "aramid.") {
			args += " " + a
		}
	}
	return args
}

// runInit starts the first user process from the boot bundle and waits for
// it to exit.
func runInit(bundle []byte, cmdline string) int64 {
	proc.Bundle = bundle
	proc.Random = hosting.Random
	crash.StartUserReporter()
	line := []byte(cmdline) // allocated before the lock (sched.Lock)
	fl := sched.Lock()
	pci.Scan()
	i, errno := proc.Spawn(line, proc.ResourceHandle())
	sched.Unlock(fl)
	printPCI()
	if errno != 0 {
		fmt.Printf("kernel: cannot start %q: %v\n", cmdline, errno)
		return -1
	}
	fmt.Printf("kernel: started %s (pid %d)\n", cmdline, proc.Procs[i].PID)
	for atomic.LoadUint32(&proc.Procs[i].ExitWord) == 0 {
		hosting.WaitWord(proc.ExitWordAddr(i), 0)
	}
	st := proc.Procs[i].Status
	fmt.Printf("kernel: init exited with status %#x\n", st)
	c := trap.Counts
	fmt.Printf("kernel: %d Linux calls, %d native calls, %d faults, %d ticks, %d IRQs, %d context switches\n",
		c.Syscalls, c.Native, c.Faults, c.Ticks, c.IRQs, sched.Switches())
	if s := &trap.Stages; s.Calls > 0 {
		n := s.Calls
		fmt.Printf("kernel: stages of %d forwarded calls, cycles each (TSC %d MHz): forward %d (CR3 %d), linuxd %d, reply %d (CR3 %d), process %d; %d extra port_waits\n",
			n, clock.TSCPerMs()/1000, s.Forward/n, s.ForwardSwitch/n, s.Linuxd/n, s.Reply/n, s.ReplySwitch/n, s.Process/n, s.Rewaits)
	}
	if h := &sched.HoldCounts; h.Resumed+h.Expired > 0 {
		us := func(cycles uint64) uint64 { return cycles * 1000 / clock.TSCPerMs() }
		fmt.Printf("kernel: holds: %d resumed after %d µs of spinning in all, %d expired after %d µs\n",
			h.Resumed, us(h.ResumedCycles), h.Expired, us(h.ExpiredCycles))
	}
	printSwitches()
	return st
}

// printInstructionCosts prints what the trap path's instructions cost
// (docs/performance.md).
func printInstructionCosts() {
	fmt.Printf("kernel: trap-path instructions, cycles (TSC %d MHz):", clock.TSCPerMs()/1000)
	for k, c := range amd64.InstructionCosts(2000) {
		fmt.Printf(" %s %d;", amd64.CostNames[k], c)
	}
	fmt.Println()
}

// printPCI lists the PCI functions init may grant to drivers.
func printPCI() {
	for _, f := range pci.Functions[:pci.Count] {
		fmt.Printf("pci: %02x:%02x.%d %04x:%04x class %06x irq %d\n", f.Bus, f.Dev, f.Fn, f.Vendor, f.Device, f.Class, int8(f.IRQ))
	}
}

// crashTest dereferences an address nothing maps, to show the crash report.
func crashTest() {
	fmt.Println("crash test: touching an unmapped kernel address")
	p := (*int)(mm.Ptr(0xffff_f000_0000_0000))
	*p = 42
}

// monitor is the kernel console until user space exists: it echoes what is
// typed and answers a few commands.
func monitor() {
	fmt.Println("kernel monitor: type 'help'")
	in := bufio.NewScanner(os.Stdin)
	for fmt.Print("aramid> "); in.Scan(); fmt.Print("aramid> ") {
		command(in.Text())
	}
}

// escapes answers the monitor commands typed after Ctrl-] on a console
// that belongs to linuxd's terminal (hosting.NextEscape).
func escapes() {
	for {
		line := hosting.NextEscape()
		fmt.Printf("\naramid> %s\n", line)
		command(line)
	}
}

// command runs one monitor command line.
func command(line string) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return
	}
	switch words[0] {
	case "help":
		fmt.Println("commands: calls, samples, events N, mem, ps, regions, threads, uptime, kill PID|NAME, halt (on linuxd's console: Ctrl-] then a command)")
	case "mem":
		st := mm.Stats()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		used := st.TotalBytes - st.FreeBytes
		fmt.Printf("RAM %d MiB, free %d MiB; in use %d KiB; Go heap %.1f MiB, %d GC cycles\n",
			st.TotalBytes>>20, st.FreeBytes>>20, used>>10, float64(ms.HeapAlloc)/(1<<20), ms.NumGC)
	case "ps":
		fmt.Printf("%5s  %-12s %-8s %s\n", "PID", "NAME", "STATE", "MEMORY")
		for _, p := range proc.List() {
			state := "running"
			if p.Zombie {
				state = fmt.Sprintf("exit %#x", p.Status)
			}
			fmt.Printf("%5d  %-12s %-8s %d KiB\n", p.PID, p.Name, state, p.Pages*4)
		}
	case "regions":
		var r mm.Regions
		for _, p := range proc.List() {
			proc.Regions(p.PID, &r)
			fmt.Printf("%5d %-10s", p.PID, p.Name)
			for i := range r.N {
				fmt.Printf(" %#x:%d", r.Base[i], r.Pages[i]*4)
			}
			fmt.Println()
		}
	case "kill":
		for _, target := range words[1:] {
			kill(target)
		}
	case "threads":
		sched.Dump()
	case "calls":
		printCalls()
	case "samples":
		printSamples()
	case "events":
		n, _ := strconv.Atoi(strings.Join(words[1:], ""))
		printEvents(uint64(max(n, 100)))
	case "uptime":
		fmt.Println(clock.Uptime().Round(time.Millisecond))
	case "halt":
		os.Exit(0)
	default:
		fmt.Printf("unknown command %q\n", line)
	}
}

// kill ends a server as if it had crashed (killed by SIGKILL), so that
// init restarts it: how the restart tests take netd, vfsd and authd away
// under load.
func kill(target string) {
	pid, errno := proc.KillServer(target, proc.StatusSignal|int64(syscall.SIGKILL))
	switch errno {
	case 0:
		fmt.Printf("kernel: killed %s (pid %d) at %v\n", target, pid, clock.Uptime().Round(time.Millisecond))
	case syscall.EPERM:
		fmt.Printf("kill %s: pid %d is init or a Linux process, not a server\n", target, pid)
	default:
		fmt.Printf("kill %s: no such process\n", target)
	}
}
