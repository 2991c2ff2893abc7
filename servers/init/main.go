// Command init is Aramid's first user process. It starts the programs named
// on its command line from the boot bundle, gives each a bootstrap channel,
// serves the name service (proto/namepb) on those channels, and restarts a server that dies,
// at most three times. An argument ending in "!" is a task: init waits for
// every task to finish and then exits; with no tasks it runs for ever.
// init's exit code says how the tasks went: the number of tasks that did
// not exit with status 0 (killed, failed, or never started), at most 255.
// A task ending in "!!" is the main task: if it fails, init exits with its
// exit code instead (make run passes on the command's). Commas in an
// argument separate the program's own arguments ("evil,priv!" runs "evil
// priv" as a task).
//
// "@device" at the end of an argument grants the program a PCI device
// (devices.go); the kernel gives init its resource handle at abi.Resource.
// "+" at the start of a server's argument keeps a spare of it started
// ahead, to replace it quickly ("+netd@virtio-net"; see supervise).
// "@cpuN" after that places the program on CPU N (placement.go).
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"aramid/lib/ipc"
)

const maxRestarts = 3

// supervise runs one program, restarting it after a failure if it is a
// server. With spare, init keeps a second instance started ahead, once
// the server is up, which waits for the device in its Device call and
// replaces the server when it dies: the restart then skips spawning the
// program and starting Go's runtime, most of its time.
// It returns the program's last exit status (-1 if it could not run).
func supervise(r *registry, cmd string, task, spare bool) int {
	cmd, cpus, err := splitCPUs(cmd)
	if err != nil {
		fmt.Printf("init: %v\n", err)
		return -1
	}
	cmd, dev := splitDevice(cmd)
	if spare && dev == "" {
		fmt.Printf("init: %s: a spare needs a device to wait for; starting none\n", cmd)
		spare = false
	}
	var next *child // the spare, if one is waiting
	for restarts := 0; ; restarts++ {
		c := next
		if c != nil {
			c.promote()
		} else if c, err = start(r, cmd, dev, cpus, false); err != nil {
			fmt.Printf("init: %v\n", err)
			return -1
		}
		var st int
		st, next = run(r, c, spare && restarts < maxRestarts)
		ipc.Close(c.p)
		if st >= 0 {
			fmt.Printf("init: %s: %s\n", cmd, ipc.StatusString(st))
		}
		if task || st <= 0 || restarts == maxRestarts {
			if next != nil {
				next.cancel()
			}
			if !task && st > 0 {
				fmt.Printf("init: %s failed %d times; giving up\n", cmd, restarts+1)
			}
			return st
		}
		how := ""
		if next != nil {
			how = " from its spare"
		}
		fmt.Printf("init: restarting %s (%d of %d)%s\n", cmd, restarts+1, maxRestarts, how)
	}
}

// spareDelay is how long after a server is up init starts its spare, so
// that the spare's start (spawning the program, starting Go's runtime)
// does not compete for the CPU with the server's clients reconnecting.
const spareDelay = 3 * time.Second

// run waits for c to exit and returns its status. With spare, it starts
// a spare of c once c is up (registered) and spareDelay has passed, and
// returns it too.
func run(r *registry, c *child, spare bool) (st int, next *child) {
	done := c.exited()
	select {
	case <-c.up:
	case st = <-done:
		return st, nil
	}
	if spare {
		select {
		case <-time.After(spareDelay):
			var err error
			if next, err = start(r, c.cmd, c.dev, c.cpus, true); err != nil {
				fmt.Printf("init: spare of %s: %v\n", c.cmd, err)
			}
		case st = <-done:
			return st, nil
		}
	}
	return <-done, next
}

func main() {
	fmt.Printf("init: pid %d, starting %v\n", os.Getpid(), os.Args[1:])
	r := newRegistry()
	var (
		tasks    sync.WaitGroup
		mu       sync.Mutex
		ntasks   int
		failed   int // tasks that did not exit with status 0
		mainCode int // the main task's exit code
	)
	for _, a := range os.Args[1:] {
		task := strings.HasSuffix(a, "!")
		main := strings.HasSuffix(a, "!!")
		a, spare := strings.CutPrefix(a, "+")
		cmd := strings.ReplaceAll(strings.TrimRight(a, "!"), ",", " ")
		if task {
			ntasks++
			tasks.Add(1)
			go func() {
				defer tasks.Done()
				st := supervise(r, cmd, true, false)
				mu.Lock()
				defer mu.Unlock()
				if st != 0 {
					failed++
				}
				if main {
					mainCode = exitCode(st)
				}
			}()
		} else {
			go supervise(r, cmd, false, spare)
		}
	}
	if ntasks == 0 {
		select {} // only servers: supervise them for ever
	}
	tasks.Wait()
	fmt.Printf("init: all tasks finished, %d of %d failed\n", failed, ntasks)
	os.Exit(initCode(mainCode, failed))
}

// exitCode turns the main task's status into init's exit code: its own
// exit code, or 1 if it was killed or could not run.
func exitCode(st int) int {
	if st < 0 || st > 0xff {
		return 1
	}
	return st
}

// initCode is init's exit code: the main task's if it failed, else the
// number of tasks that failed, at most 255; 0 only when all succeeded.
func initCode(mainCode, failed int) int {
	if mainCode != 0 {
		return mainCode
	}
	return min(failed, 0xff)
}
