// Command init is Aramid's first user process. It starts the programs named
// on its command line from the boot bundle, gives each a bootstrap channel,
// runs the name service on those channels, and restarts a server that dies,
// at most three times. An argument ending in "!" is a task: init waits for
// every task to finish and then exits; with no tasks it runs for ever. Commas in an argument separate the
// program's own arguments ("evil,priv!" runs "evil priv" as a task), and
// "@device" at its end grants the program a PCI device (devices.go).
// The kernel gives init its resource handle at abi.Resource.
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

// registry maps service names to the channels their servers accept
// connections on.
type registry struct {
	mu       sync.Mutex
	services map[string]ipc.Handle
	changed  *sync.Cond
}

func newRegistry() *registry {
	r := &registry{services: map[string]ipc.Handle{}}
	r.changed = sync.NewCond(&r.mu)
	return r
}

func (r *registry) register(name string, h ipc.Handle) {
	r.mu.Lock()
	if old, ok := r.services[name]; ok {
		ipc.Close(old)
	}
	r.services[name] = h
	r.mu.Unlock()
	r.changed.Broadcast()
}

// connect makes a new channel to service name, waiting up to ten seconds
// for the service to register.
func (r *registry) connect(name string) (ipc.Handle, error) {
	deadline := time.Now().Add(10 * time.Second)
	go func() { time.Sleep(10 * time.Second); r.changed.Broadcast() }()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if svc, ok := r.services[name]; ok {
			client, server, err := ipc.Channel()
			if err != nil {
				return 0, err
			}
			if err := ipc.Write(svc, []byte("connect"), []ipc.Handle{server}); err == nil {
				return client, nil
			}
			ipc.Close(client)
			ipc.Close(server)
			delete(r.services, name) // the server is gone; wait for its successor
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no service %q", name)
		}
		r.changed.Wait()
	}
}

// serve answers one child's requests on its bootstrap channel until the
// child goes away. dev is the child's device spec, if it has one.
func (r *registry) serve(who, dev string, boot ipc.Handle) {
	buf := make([]byte, 256)
	for {
		hs := make([]ipc.Handle, 1)
		n, nh, err := ipc.Read(boot, buf, hs)
		if err != nil {
			ipc.Close(boot)
			return
		}
		verb, name, _ := strings.Cut(string(buf[:n]), " ")
		switch {
		case verb == "register" && nh == 1:
			r.register(name, hs[0])
			fmt.Printf("init: %s registered %q\n", who, name)
		case verb == "lookup":
			c, err := r.connect(name)
			if err != nil {
				ipc.Write(boot, []byte(err.Error()), nil)
				continue
			}
			ipc.Write(boot, []byte("ok"), []ipc.Handle{c})
		case verb == "device":
			h, err := mintDevice(dev)
			if err != nil {
				ipc.Write(boot, []byte(err.Error()), nil)
				continue
			}
			fmt.Printf("init: %s gets device %s\n", who, dev)
			ipc.Write(boot, []byte("ok"), []ipc.Handle{h})
		default:
			ipc.Write(boot, []byte("error: unknown request"), nil)
		}
	}
}

// supervise runs one program, restarting it after a failure if it is a
// server.
func supervise(r *registry, cmd, dev string, task bool) {
	for restarts := 0; ; restarts++ {
		mine, theirs, err := ipc.Channel()
		if err != nil {
			fmt.Printf("init: %s: %v\n", cmd, err)
			return
		}
		p, err := ipc.Spawn(cmd, theirs)
		if err != nil {
			fmt.Printf("init: cannot start %s: %v\n", cmd, err)
			ipc.Close(mine)
			return
		}
		go r.serve(cmd, dev, mine)
		st, err := ipc.Wait(p)
		ipc.Close(p)
		if err != nil {
			fmt.Printf("init: waiting for %s: %v\n", cmd, err)
			return
		}
		fmt.Printf("init: %s: %s\n", cmd, ipc.StatusString(st))
		if task || st == 0 {
			return
		}
		if restarts == maxRestarts {
			fmt.Printf("init: %s failed %d times; giving up\n", cmd, restarts+1)
			return
		}
		fmt.Printf("init: restarting %s (%d of %d)\n", cmd, restarts+1, maxRestarts)
	}
}

func main() {
	fmt.Printf("init: pid %d, starting %v\n", os.Getpid(), os.Args[1:])
	r := newRegistry()
	var tasks sync.WaitGroup
	ntasks := 0
	for _, a := range os.Args[1:] {
		task := strings.HasSuffix(a, "!")
		prog, dev := splitDevice(strings.TrimSuffix(a, "!"))
		cmd := strings.ReplaceAll(prog, ",", " ")
		if task {
			ntasks++
			tasks.Add(1)
			go func() { defer tasks.Done(); supervise(r, cmd, dev, true) }()
		} else {
			go supervise(r, cmd, dev, false)
		}
	}
	if ntasks == 0 {
		select {} // only servers: supervise them for ever
	}
	tasks.Wait()
	fmt.Println("init: all tasks finished")
}
