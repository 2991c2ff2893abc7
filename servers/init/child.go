package main

import (
	"fmt"
	"sync"

	"aramid/lib/ipc"
)

// child is one process init started, with its bootstrap channel served
// by the name service.
type child struct {
	cmd, dev string
	cpus     uint64 // the CPUs it is placed on (0: any)
	p        ipc.Handle
	up       chan struct{} // closed at its first Register
	upOnce   sync.Once
	// gate is a spare's: its Device call waits for a verdict, true when
	// the spare replaces a server that died, false when it is not needed.
	// nil for every other child.
	gate chan bool
}

// start spawns cmd (with device spec dev, placed on cpus) and serves its
// bootstrap channel. A spare waits in its Device call until promote or
// cancel.
func start(r *registry, cmd, dev string, cpus uint64, spare bool) (*child, error) {
	mine, theirs, err := ipc.Channel()
	if err != nil {
		return nil, err
	}
	p, err := spawn(cmd, theirs, cpus)
	if err != nil {
		ipc.Close(mine)
		return nil, fmt.Errorf("cannot start %s: %w", cmd, err)
	}
	c := &child{cmd: cmd, dev: dev, cpus: cpus, p: p, up: make(chan struct{})}
	if spare {
		c.gate = make(chan bool, 1)
	}
	go r.serve(c, mine)
	return c, nil
}

// registered notes the child's first registration: it is serving.
func (c *child) registered() { c.upOnce.Do(func() { close(c.up) }) }

// promote lets a spare take its device and become the server.
func (c *child) promote() { c.gate <- true }

// cancel tells a spare it is not needed: its Device call fails with
// ECANCELED, on which lib/names ends the process.
func (c *child) cancel() {
	c.gate <- false
	ipc.Close(c.p)
}

// exited waits for the child in a goroutine and delivers its status (-1
// if the wait failed).
func (c *child) exited() <-chan int {
	done := make(chan int, 1)
	go func() {
		st, err := ipc.Wait(c.p)
		if err != nil {
			fmt.Printf("init: waiting for %s: %v\n", c.cmd, err)
			st = -1
		}
		done <- st
	}()
	return done
}
