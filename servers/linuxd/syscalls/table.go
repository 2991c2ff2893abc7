// Package syscalls is linuxd's system-call layer: one table that maps each
// Linux x86-64 system call to its handler, and one file per family of
// calls (sys_file.go, sys_process.go, sys_signal.go ...), as gVisor's
// pkg/sentry/syscalls/linux is laid out. The table is the one source of
// truth for what is implemented; docs/syscalls.md is generated from it.
package syscalls

import (
	"fmt"
	"strings"
	"syscall"

	"aramid/lib/abi"
	"aramid/lib/linux/sysno"
	"aramid/servers/linuxd/task"
)

// Status says how complete a handler is.
type Status int

const (
	// Full: the call behaves as Linux's, as far as the tests know.
	Full Status = iota
	// Partial: some flags or cases are missing; the entry's Note says which.
	Partial
)

// Handler runs one system call for c.T and returns its result or an
// errno (a syscall.Errno error).
type Handler func(c *Ctx) (uint64, error)

// Entry is one row of the table.
type Entry struct {
	Fn     Handler
	Status Status
	Note   string
	// MayBlock reports whether this call could wait (a pipe read, wait4):
	// such calls run on a goroutine of their own so linuxd goes on
	// serving. nil: never.
	MayBlock func(c *Ctx) bool
	// Restart says that SA_RESTART runs the call again after a handler.
	Restart bool
	// shown: the call changes what /proc shows of the caller.
	shown bool
}

// byName is the table, keyed by the kernel's name for each call; init
// turns it into the array the dispatcher indexes. Keying by name means a
// handler can never be filed under another call's number.
var byName = map[string]Entry{}

// table holds the entries by number.
var table [512]Entry

func init() {
	for name, e := range byName {
		nr, ok := sysno.Number(name)
		if !ok {
			panic("syscalls: no system call named " + name)
		}
		table[nr] = e
	}
	for _, name := range shown {
		nr, _ := sysno.Number(name)
		table[nr].shown = true
	}
}

func always(*Ctx) bool { return true }

// Ctx is one system call in progress.
type Ctx struct {
	K *task.Kernel
	T *task.Thread
	// R holds the caller's registers: the number in RAX, the arguments
	// in RDI, RSI, RDX, R10, R8, R9.
	R abi.Regs
	// Reply, when a handler sets it, replaces the plain return of the
	// result (execve's new registers, sigreturn's restored ones, the end
	// of a thread). NoReply means the caller is gone.
	Reply   *abi.LinuxReply
	NoReply bool
}

// Arg returns argument i (0-5).
func (c *Ctx) Arg(i int) uint64 {
	return [...]uint64{c.R.RDI, c.R.RSI, c.R.RDX, c.R.R10, c.R.R8, c.R.R9}[i]
}

// P is the calling process.
func (c *Ctx) P() *task.Process { return c.T.P }

// Lookup returns the entry of call nr, or nil if there is none. The entry
// stays in the table: the dispatcher copies nothing per call.
func Lookup(nr uint64) *Entry {
	if nr >= uint64(len(table)) || table[nr].Fn == nil {
		return nil
	}
	return &table[nr]
}

// errnoOf returns what RAX holds for err: -errno.
func errnoOf(err error) uint64 {
	e, ok := err.(syscall.Errno)
	if !ok {
		e = syscall.EIO
	}
	return -uint64(e)
}

// Markdown renders the table for docs/syscalls.md.
func Markdown() string {
	var rows []string
	full, partial := 0, 0
	for nr, e := range table {
		if e.Fn == nil {
			continue
		}
		st := "full"
		if e.Status == Partial {
			st, partial = "partial", partial+1
		} else {
			full++
		}
		rows = append(rows, fmt.Sprintf("| %d | %s | %s | %s |", nr, sysno.Name(uint64(nr)), st, e.Note))
	}
	var b strings.Builder
	b.WriteString("# Linux system calls in linuxd\n\nGenerated from servers/linuxd/syscalls by `make syscalls-doc`; do not edit.\n\n")
	fmt.Fprintf(&b, "%d calls implemented (%d full, %d partial). Every other number answers ENOSYS.\n", full+partial, full, partial)
	b.WriteString("The kernel answers some calls itself without forwarding them (docs/linux.md).\n\n")
	b.WriteString("| nr | name | status | missing |\n|---|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n"))
	b.WriteString("\n")
	return b.String()
}
