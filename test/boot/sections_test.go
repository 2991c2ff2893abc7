package boot_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestCriticalSections reads the built kernel's machine code and checks
// what goroutine code may do while it holds the kernel lock (between
// sched.Lock and sched.Unlock, docs/smp.md): the lock belongs to the CPU,
// so a section that allocates, blocks or grows its stack can wait on a
// runtime lock, be switched away, and leave the lock held while its CPU
// runs other threads. Every function a section calls, followed through
// direct calls, must have no stack check and must not reach the runtime's
// allocator, locks, scheduler or write barriers; so must everything the
// trap path (trap.Handle) calls. Calls through function values are not
// followed; panics are allowed (they stop the kernel). It would have
// caught runInit's conversion of init's command line, which hung CI's
// TestSMPStress/smp4.
func TestCriticalSections(t *testing.T) {
	out, err := exec.Command("go", "tool", "objdump", kernel(t)).Output()
	if err != nil {
		t.Fatalf("go tool objdump: %v", err)
	}
	code := parseObjdump(out)
	sections := 0
	for name, fn := range code {
		for _, callee := range fn.inSection {
			sections++
			if path := forbiddenPath(code, callee); path != nil {
				t.Errorf("%s calls, holding the kernel lock: %s", name, strings.Join(path, " -> "))
			}
		}
	}
	if sections == 0 {
		t.Fatal("found no call inside a critical section; the disassembly's format changed?")
	}
	// The trap path holds the lock throughout (docs/runtime-hosting.md).
	if path := forbiddenPath(code, trapHandle); path != nil {
		t.Errorf("the trap path calls %s", strings.Join(path, " -> "))
	}
}

// function is what the test needs of one function's machine code.
type function struct {
	calls     []string // direct call targets
	split     bool     // it has a stack check (calls runtime.morestack)
	inSection []string // direct calls made between sched.Lock and sched.Unlock
}

var callRE = regexp.MustCompile(`\tCALL (\S+)\(SB\)`)

const (
	lockFn     = "aramid/microkernel/sched.Lock"
	unlockFn   = "aramid/microkernel/sched.Unlock"
	trapHandle = "aramid/microkernel/trap.Handle"
)

// parseObjdump reads go tool objdump's output: a TEXT line per function,
// then its instructions in address order. A section is taken to run from
// a call of sched.Lock to the next call of sched.Unlock in that order.
func parseObjdump(out []byte) map[string]*function {
	code := map[string]*function{}
	var cur *function
	locked := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "TEXT "); ok {
			name, _, _ = strings.Cut(name, "(SB)")
			cur, locked = &function{}, false
			code[name] = cur
			continue
		}
		m := callRE.FindStringSubmatch(line)
		if cur == nil || m == nil {
			continue
		}
		switch target := m[1]; {
		case strings.HasPrefix(target, "runtime.morestack"):
			cur.split = true
		case target == lockFn:
			locked = true
		case target == unlockFn:
			locked = false
		default:
			cur.calls = append(cur.calls, target)
			if locked {
				cur.inSection = append(cur.inSection, target)
			}
		}
	}
	return code
}

// forbidden are the runtime functions a section must never reach.
var forbidden = regexp.MustCompile(`^runtime\.(mallocgc|newobject|makeslice|growslice|makemap|mapassign|chansend|chanrecv|selectgo|gopark|lock2|wbBufFlush|gcWriteBarrier|concatstring|slicebytetostring$|stringtoslicebyte|convT|deferproc|newstack)`)

// forbiddenPath returns a chain of direct calls from fn to a function
// that has a stack check or is forbidden, or nil.
func forbiddenPath(code map[string]*function, fn string) []string {
	seen := map[string]bool{}
	var walk func(name string, path []string) []string
	walk = func(name string, path []string) []string {
		if seen[name] || strings.HasPrefix(name, "runtime.panic") || strings.HasPrefix(name, "runtime.goPanic") {
			return nil
		}
		seen[name] = true
		path = append(path, name)
		f := code[name]
		if forbidden.MatchString(name) || f != nil && f.split {
			return path
		}
		if f == nil {
			return nil
		}
		for _, c := range f.calls {
			if p := walk(c, path); p != nil {
				return p
			}
		}
		return nil
	}
	return walk(fn, nil)
}
