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
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"aramid/lib/ipc"
)

const maxRestarts = 3

// supervise runs one program, restarting it after a failure if it is a
// server.
// It returns the program's last exit status (-1 if it could not run).
func supervise(r *registry, cmd string, task bool) int {
	cmd, dev := splitDevice(cmd)
	for restarts := 0; ; restarts++ {
		mine, theirs, err := ipc.Channel()
		if err != nil {
			fmt.Printf("init: %s: %v\n", cmd, err)
			return -1
		}
		p, err := ipc.Spawn(cmd, theirs)
		if err != nil {
			fmt.Printf("init: cannot start %s: %v\n", cmd, err)
			ipc.Close(mine)
			return -1
		}
		go r.serve(cmd, dev, mine)
		st, err := ipc.Wait(p)
		ipc.Close(p)
		if err != nil {
			fmt.Printf("init: waiting for %s: %v\n", cmd, err)
			return -1
		}
		fmt.Printf("init: %s: %s\n", cmd, ipc.StatusString(st))
		if task || st == 0 {
			return st
		}
		if restarts == maxRestarts {
			fmt.Printf("init: %s failed %d times; giving up\n", cmd, restarts+1)
			return st
		}
		fmt.Printf("init: restarting %s (%d of %d)\n", cmd, restarts+1, maxRestarts)
	}
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
		cmd := strings.ReplaceAll(strings.TrimRight(a, "!"), ",", " ")
		if task {
			ntasks++
			tasks.Add(1)
			go func() {
				defer tasks.Done()
				st := supervise(r, cmd, true)
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
			go supervise(r, cmd, false)
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
