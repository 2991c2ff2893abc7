package qemu

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Run types cmd at the shell on the console (busybox's ash, or any
// POSIX shell) and waits up to timeout for it to end. It returns what cmd
// printed and its exit status. cmd is one line and must not end in &.
//
// The typed line brackets cmd with markers that printf expands, so the
// shell's echo of the line itself never matches them. It ends in a
// newline, which a terminal and a shell reading a pipe both take as the
// end of the line.
func (vm *VM) Run(cmd string, timeout time.Duration) (string, int, error) {
	vm.mu.Lock()
	vm.runs++
	n := vm.runs
	vm.mu.Unlock()
	begin, end := fmt.Sprintf("@@%d<", n), fmt.Sprintf("@@%d>", n)
	line := fmt.Sprintf("printf '@@%%s<\\n' %d; %s; printf '\\n@@%%s>%%s\\n' %d $?\n", n, cmd, n)
	if err := vm.Type(line); err != nil {
		return "", 0, err
	}
	last, _, err := vm.WaitFor(end, timeout)
	if err != nil {
		return vm.since(begin), 0, fmt.Errorf("%s: %w", cmd, err)
	}
	status, err := strconv.Atoi(strings.TrimSpace(last[strings.Index(last, end)+len(end):]))
	if err != nil {
		return "", 0, fmt.Errorf("%s: bad end marker %q", cmd, last)
	}
	out := vm.since(begin)
	out = strings.TrimRight(out[:strings.LastIndex(out, end)], "\n")
	return out, status, nil
}

// since is the console after the line holding marker (all of it if the
// marker has not appeared).
func (vm *VM) since(marker string) string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	for i, l := range vm.lines {
		if strings.Contains(l, marker) {
			return strings.Join(vm.lines[i+1:], "\n")
		}
	}
	return strings.Join(vm.lines, "\n")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for QEMU's hostfwd rules (tools/freeport asks the same way).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
