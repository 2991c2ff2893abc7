// Command probe runs the kernel's self-test as an ordinary Linux program, so
// that strace can show which system calls the Go runtime makes for that
// workload.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"aramid/microkernel/selftest"
)

func main() {
	runtime.GOMAXPROCS(2)
	ok := selftest.Run(selftest.Checks(16), time.Minute, func(r selftest.Result) {
		fmt.Println(r.Name, r.Figures, r.Err)
	})
	if !ok {
		os.Exit(1)
	}
}
