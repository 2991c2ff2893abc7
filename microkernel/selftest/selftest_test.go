package selftest

import (
	"runtime"
	"testing"
	"time"
)

func TestChecksOnHost(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ok := Run(Checks(8), time.Minute, func(r Result) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		} else {
			t.Logf("%s: %s (%v)", r.Name, r.Figures, r.Elapsed)
		}
	})
	if !ok {
		t.Fatal("self-test failed")
	}
}
