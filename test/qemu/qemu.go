// Package qemu boots Aramid under QEMU for whole-system tests: it starts the
// machine, collects the serial console line by line, waits for markers with
// a timeout on every wait, and reports how the machine exited.
package qemu

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Exit statuses of QEMU's isa-debug-exit device as the kernel uses it.
const (
	StatusSuccess = 1 // the kernel wrote 0
	StatusFailure = 3 // the kernel wrote 1
)

// Flags are the machine options shared by tests, benchmarks and make qemu.
var Flags = []string{
	"-M", "pc", "-cpu", "max", "-m", "512", "-no-reboot",
	"-display", "none", "-serial", "stdio", "-monitor", "none",
	"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
	"-nic", "none", // no default e1000, nor its iPXE ROM banner
}

// VM is a running QEMU.
type VM struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	start   time.Time
	mu      sync.Mutex
	lines   []string
	stamps  []time.Duration
	changed chan struct{}
	done    chan struct{}
	status  int
	runs    int // commands typed by Run, numbering their markers
}

// Start boots kernel with the given command line.
func Start(kernel, cmdline string, extra ...string) (*VM, error) {
	args := append(append([]string{}, Flags...), "-kernel", kernel, "-append", cmdline)
	return start(exec.Command("qemu-system-x86_64", append(args, extra...)...))
}

// start runs cmd as the machine: its standard input is the console's
// keyboard, its standard output the console.
func start(cmd *exec.Cmd) (*VM, error) {
	vm := &VM{cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	vm.cmd.Stderr = os.Stderr
	out, err := vm.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if vm.stdin, err = vm.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	vm.start = time.Now()
	if err := vm.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	go vm.read(out)
	return vm, nil
}

func (vm *VM) read(out interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		vm.mu.Lock()
		vm.lines = append(vm.lines, strings.TrimRight(sc.Text(), "\r"))
		vm.stamps = append(vm.stamps, time.Since(vm.start))
		close(vm.changed)
		vm.changed = make(chan struct{})
		vm.mu.Unlock()
	}
	err := vm.cmd.Wait()
	vm.mu.Lock()
	vm.status = 0
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
			vm.status = ws.ExitStatus()
		} else {
			vm.status = -1
		}
	}
	close(vm.done)
	vm.mu.Unlock()
}

// WaitFor waits until a console line contains marker and returns that line
// and the time since QEMU started when it appeared.
func (vm *VM) WaitFor(marker string, timeout time.Duration) (string, time.Duration, error) {
	return vm.WaitSince(0, marker, timeout)
}

// WaitSince is WaitFor for lines that appeared since the time since QEMU
// started, such as the second start of a server.
func (vm *VM) WaitSince(since time.Duration, marker string, timeout time.Duration) (string, time.Duration, error) {
	deadline := time.After(timeout)
	seen := 0
	for {
		vm.mu.Lock()
		for ; seen < len(vm.lines); seen++ {
			if vm.stamps[seen] >= since && strings.Contains(vm.lines[seen], marker) {
				l, at := vm.lines[seen], vm.stamps[seen]
				vm.mu.Unlock()
				return l, at, nil
			}
		}
		changed, done := vm.changed, vm.done
		vm.mu.Unlock()
		select {
		case <-changed:
		case <-done:
			if vm.has(since, marker) {
				continue
			}
			return "", 0, fmt.Errorf("machine stopped (status %d) before %q appeared", vm.Status(), marker)
		case <-deadline:
			return "", 0, fmt.Errorf("no %q within %v", marker, timeout)
		}
	}
}

func (vm *VM) has(since time.Duration, marker string) bool {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	for i, l := range vm.lines {
		if vm.stamps[i] >= since && strings.Contains(l, marker) {
			return true
		}
	}
	return false
}

// Wait waits for the machine to stop and returns QEMU's exit status.
func (vm *VM) Wait(timeout time.Duration) (int, error) {
	select {
	case <-vm.done:
		return vm.Status(), nil
	case <-time.After(timeout):
		vm.Kill()
		return -1, fmt.Errorf("machine still running after %v", timeout)
	}
}

// Status is QEMU's exit status once it has stopped.
func (vm *VM) Status() int {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.status
}

// Type sends s to the serial console, as if typed.
func (vm *VM) Type(s string) error {
	_, err := io.WriteString(vm.stdin, s)
	return err
}

// Kill stops the machine.
func (vm *VM) Kill() {
	if vm.cmd.Process != nil {
		vm.cmd.Process.Kill()
	}
	<-vm.done
}

// Output is the console so far.
func (vm *VM) Output() string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return strings.Join(vm.lines, "\n")
}
