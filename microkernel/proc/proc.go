// Package proc holds the kernel objects of user space: processes (each an
// address space, a handle table and threads in ring 3), channels carrying
// bytes and handles between them, and the native system calls that reach
// them. Like the rest of the trap path it is go:nosplit and allocation-free:
// objects live in fixed tables and refer to each other by index.
package proc

import (
	"strconv"
	"syscall"

	"aramid/lib/abi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// Limits of the fixed tables.
const (
	MaxProcs     = sched.MaxProcs
	MaxHandles   = 64
	DefaultLimit = 256 << 20 // bytes of data pages a process may hold
	// LinuxReserve is the memory a Linux process leaves to the servers
	// (mm.Space.Reserve): when only this much is free, its page faults
	// fail and linuxd turns them into SIGSEGV, instead of the next server
	// to fault (linuxd itself, or vfsd) dying of it.
	LinuxReserve = 32 << 20
)

// Exit statuses, as process_wait reports them.
const (
	StatusFault  = abi.StatusFault
	StatusMemory = abi.StatusMemory
	StatusSignal = abi.StatusSignal
)

type pstate uint8

const (
	pFree pstate = iota
	pLive
	pZombie
)

// Process is one user process.
type Process struct {
	state   pstate
	PID     int32
	Gen     uint32 // bumped on every spawn into this slot
	name    [32]byte
	nameLen int
	Space   mm.Space
	Handles [MaxHandles]Handle
	Status  int64
	// ExitWord becomes 1 when the process has exited; kernel goroutines
	// futex-wait on it.
	ExitWord uint32
	refs     int32 // process handles that name this process
	// port is the syscall port a Linux process's calls are forwarded to
	// (0: a native process); cookie is linuxd's name for the process.
	port     int32
	cookie   uint64
	mappings [maxMappings]int32 // memory objects mapped (0 = free slot)
	// mask is the CPU mask its new threads get (sched.AnyCPU unless
	// placed; affinity.go).
	mask uint64
}

// Procs is the process table; slot 0 is the kernel.
var Procs [MaxProcs]Process

var nextPID int32

// Current returns the index of the running thread's process (0: kernel).
//
//go:nosplit
func Current() int32 { return sched.Current().Proc }

// Name returns a process's name.
//
//go:nosplit
func (p *Process) Name() []byte { return p.name[:p.nameLen] }

// Kill ends process i with status: its threads stop, its handles close, its
// memory is freed, and waiters are woken. If the running thread was one of
// its threads, the caller must switch away (sched.Reschedule).
//
//go:nosplit
func Kill(i int32, status int64) {
	p := &Procs[i]
	if p.state != pLive {
		return
	}
	sched.KillProc(i)
	for h := range p.Handles {
		closeHandle(&p.Handles[h])
	}
	if amd64.ReadCR3() == p.Space.Root {
		amd64.SetSpace(mm.Kernel.Root)
	}
	p.Space.Destroy()
	for k, v := range p.mappings {
		if v != 0 {
			dropVMO(v)
			p.mappings[k] = 0
		}
	}
	p.state = pZombie
	p.Status = status
	p.ExitWord = 1
	sched.Wake(sched.WaitFutex, uint64(exitWordAddr(i)), sched.MaxThreads)
	sched.Wake(sched.WaitEvent, procKey(i), sched.MaxThreads)
	wakeManyWaiters()
	if p.refs == 0 {
		p.state = pFree
	}
}

//go:nosplit
func procKey(i int32) uint64 { return 3<<32 | uint64(i) }

// Report prints "process NAME (pid N)" for messages about a process.
//
//go:nosplit
func Report(i int32) {
	p := &Procs[i]
	console.Print("process ")
	console.Write(p.Name())
	console.Print(" (pid ")
	console.Dec(uint64(p.PID))
	console.Print(")")
}

// FutexKey makes a futex address unique across address spaces: user
// addresses are below 2^47, so the process index fits above them.
//
//go:nosplit
func FutexKey(addr uint64) uint64 { return futexKeyOf(Current(), addr) }

//go:nosplit
func futexKeyOf(p int32, addr uint64) uint64 { return addr | uint64(p)<<48 }

// Info is a snapshot of one process, for the kernel monitor.
type Info struct {
	PID    int32
	Name   string
	Zombie bool
	Status int64
	Pages  uint64
}

// ClearTouched clears the accessed bits of every live process's pages.
//
//go:nosplit
func ClearTouched() {
	for i := 1; i < MaxProcs; i++ {
		if Procs[i].state == pLive && Procs[i].Space.Root != 0 {
			Procs[i].Space.ClearAccessed()
		}
	}
}

// PrintTouched prints how many user pages of each live process were
// touched since ClearTouched, and their addresses, for those that touched
// any: trap.Stages counts one forwarded call's.
//
//go:nosplit
func PrintTouched() {
	console.Print("kernel: user pages touched by one forwarded call:")
	for i := 1; i < MaxProcs; i++ {
		if Procs[i].state != pLive || Procs[i].Space.Root == 0 {
			continue
		}
		if n := Procs[i].Space.CountAccessed(); n > 0 {
			console.Print(" ")
			console.Write(Procs[i].Name())
			console.Print(" ")
			console.Dec(n)
			for j := 0; j < int(min(n, 64)); j++ {
				console.Print(" ")
				console.Hex(mm.Touched(j))
			}
		}
	}
	console.Print("\n")
}

// Regions counts the present pages of process pid per 16 MiB region into
// r (mm.Space.Count), for the kernel monitor.
func Regions(pid int32, r *mm.Regions) {
	*r = mm.Regions{}
	fl := sched.Lock()
	for i := 1; i < MaxProcs; i++ {
		if Procs[i].state != pFree && Procs[i].PID == pid && Procs[i].Space.Root != 0 {
			Procs[i].Space.Count(r)
			break
		}
	}
	sched.Unlock(fl)
}

// List returns a snapshot of the process table. It runs in a goroutine, so
// it holds the kernel lock while it copies.
func List() []Info {
	var raw [MaxProcs]Process
	fl := sched.Lock()
	n := 0
	for i := 1; i < MaxProcs; i++ {
		if Procs[i].state != pFree {
			raw[n] = Procs[i]
			n++
		}
	}
	sched.Unlock(fl)
	out := make([]Info, n)
	for i := range out {
		p := &raw[i]
		out[i] = Info{PID: p.PID, Name: string(p.Name()), Zombie: p.state == pZombie, Status: p.Status, Pages: p.Space.Pages}
	}
	return out
}

// KillServer ends the native process whose pid or name is target with
// status, as a crash would end it, for the monitor's kill command; the
// process that supervises it (init) sees the status and restarts it. Of
// several processes of one name it ends the oldest (a server, not the
// spare init keeps of it). It refuses Linux processes, whose deaths
// linuxd must see through its own calls, and init, whose death ends the
// machine. It runs in a goroutine, so it holds the kernel lock while it
// searches and kills, and allocates only before and after.
func KillServer(target string, status int64) (pid int32, errno syscall.Errno) {
	want, err := strconv.Atoi(target)
	if err != nil {
		want = -1
	}
	fl := sched.Lock()
	pid, errno = killServer(target, want, status)
	sched.Unlock(fl)
	return pid, errno
}

// killServer is KillServer's critical section.
//
//go:nosplit
func killServer(target string, want int, status int64) (int32, syscall.Errno) {
	found := int32(0)
	for i := int32(1); i < MaxProcs; i++ {
		p := &Procs[i]
		if p.state != pLive || (string(p.Name()) != target && int(p.PID) != want) {
			continue
		}
		if found == 0 || p.PID < Procs[found].PID {
			found = i
		}
	}
	if found == 0 {
		return 0, syscall.ESRCH
	}
	p := &Procs[found]
	if p.port != 0 || p.PID == initPID {
		return p.PID, syscall.EPERM
	}
	Kill(found, status)
	return p.PID, 0
}

// initPID is the first process's pid: the kernel spawns init first.
const initPID = 1
