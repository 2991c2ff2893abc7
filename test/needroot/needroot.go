// Package needroot is for tests that compare with the host kernel and
// need root to do it (to take on other credentials, chroot, or unshare).
// Without root they skip, and `go test ./...` shows nothing of a skip in
// a package that passes; so each records what it skipped in the file
// named by $ARAMID_ROOT_SKIPS, and `make test-unit` prints one line
// naming them all. CI runs as root and skips none of them.
package needroot

import (
	"os"
	"testing"
)

// Root reports whether the tests run as root.
func Root() bool { return os.Geteuid() == 0 }

// Require skips t unless it runs as root; what names the comparison
// skipped, as "lib/linux/dac: DAC against the host".
func Require(t testing.TB, what string) {
	t.Helper()
	if !Root() {
		Skip(t, what)
	}
}

// Skip records what and skips t.
func Skip(t testing.TB, what string) {
	t.Helper()
	Record(what)
	t.Skip(what + ": needs root; skipped")
}

// Record notes in $ARAMID_ROOT_SKIPS that what was skipped or narrowed
// for want of root. The environment variable is read only here, so a
// run as root stays in go test's cache.
func Record(what string) {
	name := os.Getenv("ARAMID_ROOT_SKIPS")
	if name == "" {
		return
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(what + "\n") // one short write: appends from parallel packages do not mix
}
