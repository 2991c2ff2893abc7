package qemu

import (
	"fmt"
	"strings"
)

// ExitStatus is QEMU's exit status when the kernel, booted with
// aramid.exit, powers off with init's exit code code: the number of
// tasks that failed, or the main task's code (servers/init).
func ExitStatus(code int) int { return code<<1 | 1 }

// TaskStatus returns what init last reported about the program cmd (its
// command line with spaces, as "evil kernel"): "exit status 0", "killed by
// CPU exception 14" and so on, or "" if init reported nothing.
func TaskStatus(out, cmd string) string {
	prefix := "init: " + cmd + ": "
	st := ""
	for _, l := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), prefix)
		if ok && (strings.HasPrefix(rest, "exit status ") || strings.HasPrefix(rest, "killed ")) {
			st = rest
		}
	}
	return st
}

// TasksSucceeded checks that init reported exit status 0 for each of
// cmds.
func TasksSucceeded(out string, cmds ...string) error {
	var bad []string
	for _, c := range cmds {
		if st := TaskStatus(out, c); st != "exit status 0" {
			if st == "" {
				st = "no status"
			}
			bad = append(bad, c+": "+st)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("tasks did not succeed: %s", strings.Join(bad, "; "))
	}
	return nil
}
