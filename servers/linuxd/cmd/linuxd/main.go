// Command linuxd is Aramid's Linux personality: it creates Linux
// processes, and the kernel forwards every system call they make to it
// (docs/linux.md). It starts the program its arguments name, with the
// console as its terminal, and exits with that program's exit status.
//
//	linuxd [strace|strace=NAME] PROGRAM [ARGS...]
//
// With "strace" first, every system call of every Linux process is
// traced on the console; with "strace=NAME", those of the processes
// whose name (comm) is NAME.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/linux/cred"
	"aramid/lib/server"
	"aramid/proto/kchan"
	"aramid/proto/procpb"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/syscalls"
	"aramid/servers/linuxd/task"
)

// env is the first program's environment.
var env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=vt100", "SHELL=/bin/sh", "USER=root"}

// procs is linuxd's GOMAXPROCS. The kernel reports one CPU, but
// linuxd's goroutines spend their time blocked in system calls (the serve
// loop in port_wait, raw or blocking, see serve; the readiness loop in
// channel_read, the console read, calls waiting on vfsd or netd), and a
// goroutine blocked in a system call keeps its P. A goroutine woken to
// finish a waiting call (a pipe read, wait4, epoll_wait) with every P so
// held runs only once Go's monitor takes one back, a millisecond tick or
// more later (make bench measured a pipe round trip at 4.0 ms with one P,
// 0.29 ms with two). As for the servers (lib/server.Procs), eight leave
// Ps to spare.
const procs = 8

func main() {
	runtime.GOMAXPROCS(procs)
	args := os.Args[1:]
	var traced func(*task.Process) bool
	if len(args) > 0 && strings.HasPrefix(args[0], "strace") {
		traced = func(*task.Process) bool { return true }
		if name, ok := strings.CutPrefix(args[0], "strace="); ok {
			traced = func(p *task.Process) bool { return p.Comm == name }
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fail(errors.New("usage: linuxd [strace|strace=NAME] PROGRAM [ARGS...]"))
	}
	vfs, err := connectVFS()
	if err != nil {
		fail(err)
	}
	port, err := ipc.PortCreate()
	if err != nil {
		fail(err)
	}
	k := task.New(kernelHost{port}, vfs)
	k.TTY = file.NewTTY(k.Cond, os.Stdout)
	k.TTY.Signal = k.SignalGroup
	k.PowerOff = func() {
		fmt.Println("linuxd: power off")
		vfs.Sync()
		os.Exit(0)
	}
	if err := connectNet(k, nil); err != nil {
		fmt.Println("linuxd: no network:", err)
	}
	d := &syscalls.Dispatcher{K: k}
	if traced != nil {
		d.Trace, d.Traced = os.Stdout, traced
	}
	k.Mu.Lock()
	first, err := start(k, args)
	k.Mu.Unlock()
	if err != nil {
		fail(fmt.Errorf("%s: %w", args[0], err))
	}
	go offerProcesses(k)
	fmt.Println("linuxd: started") // make run shows what follows
	go console(k)
	go func() {
		k.Mu.Lock()
		for !first.Exited {
			k.Cond.Wait()
		}
		k.Mu.Unlock()
		// The system ends with its first process: make the disk
		// durable, as a Linux init syncs before it powers off.
		vfs.Sync()
		os.Exit(exitCode(first.Status))
	}()
	serve(port, k, d)
}

func fail(err error) {
	fmt.Println("linuxd:", err)
	os.Exit(127)
}

// start creates the first Linux process running argv, with the terminal
// on its standard input, output and error, as the leader of the session
// that owns the terminal.
func start(k *task.Kernel, argv []string) (*task.Process, error) {
	kp, err := k.Host.Create(argv[0], 0)
	if err != nil {
		return nil, err
	}
	fds := fd.NewTable()
	for i := 0; i < 3; i++ {
		fds.Install(fd.NewDescription(k.TTY.Open(), syscall.O_RDWR), i, false)
	}
	// The pid is the first thread's id, known only once the thread
	// starts, and the thread starts only once exec has built the image:
	// exec runs on a stand-in for the process.
	img := &task.Process{K: k, Proc: kp, FDs: fds, CwdPath: "/", Threads: map[int]*task.Thread{}, Cred: cred.Root()}
	regs, err := syscalls.Exec(k, img, 0, argv[0], argv, env)
	if err != nil {
		return nil, err
	}
	tid, err := kp.StartThread(&regs, 0)
	if err != nil {
		return nil, err
	}
	p := k.NewProcess(kp, tid, nil, fds)
	p.BrkStart, p.Brk, p.Comm, p.Exe, p.Argv, p.Envp = img.BrkStart, img.Brk, img.Comm, img.Exe, img.Argv, img.Envp
	p.ArgStart, p.ArgEnd, p.EnvEnd, p.Cred = img.ArgStart, img.ArgEnd, img.EnvEnd, img.Cred
	k.Publish(p)
	k.TTY.SID, k.TTY.Pgrp = p.SID, p.PGID
	return p, nil
}

// offerProcesses registers linuxd as procd's source of processes, if the
// system runs procd, and with each successor init starts when procd dies:
// a new procd knows no source.
func offerProcesses(k *task.Kernel) {
	src := procpb.NewProcessSourceDispatcher(task.ProcSource{K: k})
	server.OfferSource("linuxd", procpb.SourceKind_SOURCE_PROCESSES, func(ch ipc.Handle) {
		kchan.Serve(context.Background(), ch, src)
	})
}

// console feeds what is typed at the console to the terminal.
func console(k *task.Kernel) {
	buf := make([]byte, 256)
	for {
		n, err := os.Stdin.Read(buf)
		if err != nil {
			fmt.Println("linuxd: console:", err)
			return
		}
		k.Mu.Lock()
		k.TTY.Input(buf[:n])
		k.Mu.Unlock()
	}
}

// spin is how long serve waits for the next call in a raw port_wait
// (ipc.PortWaitFor), which Go's scheduler does not see, before it waits
// in one the scheduler knows of. A busy Linux process calls again well
// within it, so every call but the first after a pause skips the
// scheduler's part of a blocking system call; and a stop of the world
// waits for the loop for no longer than this (and a kernel tick).
const spin = time.Millisecond

// serve answers forwarded calls for ever. Each reply goes with the next
// wait, so the CPU passes straight back to the thread that called.
//
// The raw wait holds the loop's P, so serve waits that way only while no
// call waits on a goroutine of its own: the handler of the next call
// could wake such a goroutine (a pipe write wakes the reader), which Go
// queues on the waker's P, and another P takes it from there only after
// a short sleep that the kernel's 1 ms tick rounds up.
func serve(port ipc.Handle, k *task.Kernel, d *syscalls.Dispatcher) {
	var msg abi.LinuxMsg
	var reply *abi.LinuxReply
	raw := true
	for {
		err := wait(port, &msg, reply, raw)
		if err != nil {
			if reply != nil && err == syscall.ESRCH {
				reply = nil // the caller died meanwhile
				continue
			}
			fail(fmt.Errorf("syscall port: %w", err))
		}
		k.Mu.Lock()
		reply = d.Handle(&msg)
		raw = d.Waiting() == 0
		k.Mu.Unlock()
	}
}

// wait sends reply (if not nil) and takes the next call into msg, in a
// raw wait if raw, then, after spin without a call, in a blocking one.
func wait(port ipc.Handle, msg *abi.LinuxMsg, reply *abi.LinuxReply, raw bool) error {
	if !raw {
		return ipc.PortWait(port, msg, reply)
	}
	err := ipc.PortWaitFor(port, msg, reply, spin)
	if err == syscall.EAGAIN {
		err = ipc.PortWait(port, msg, nil) // the reply went before the wait
	}
	return err
}

// exitCode is the status a shell would report for wait status st.
func exitCode(st int) int {
	if st&0x7f != 0 {
		return 128 + st&0x7f
	}
	return st >> 8 & 0xff
}
