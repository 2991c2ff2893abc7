package main

import (
	"fmt"
	"strings"
)

// A Workload is one comparison: the same operation measured on Aramid and
// on Linux, each side printing BENCH lines under its own name.
type Workload struct {
	Key   string // what -w selects
	Title string // what the report prints

	// AramidAppend is the Aramid kernel command line that runs the
	// workload; AramidName is the BENCH name the kernel or its processes
	// print. Workloads that share a command line share a boot.
	AramidAppend string
	AramidName   string

	// LinuxArgs are linuxbench's arguments before n and runs; LinuxName is
	// the BENCH name linuxbench prints.
	LinuxArgs []string
	LinuxName string
}

// Workloads is every comparison make bench knows, in report order.
var Workloads = []Workload{
	{
		Key:          "ipc",
		Title:        "IPC round trip",
		AramidAppend: "aramid.bench=ipc aramid.exit",
		AramidName:   "ipc-roundtrip",
		LinuxArgs:    []string{"pipe"},
		LinuxName:    "pipe-roundtrip",
	},
	{
		Key:          "getpid",
		Title:        "getpid system call",
		AramidAppend: "aramid.bench=ipc aramid.exit",
		AramidName:   "getpid",
		LinuxArgs:    []string{"getpid"},
		LinuxName:    "getpid",
	},
}

// selectWorkloads returns the workloads named in a comma-separated list of
// keys, or all of them for "all".
func selectWorkloads(list string) ([]Workload, error) {
	if list == "all" {
		return Workloads, nil
	}
	var ws []Workload
	for _, k := range strings.Split(list, ",") {
		found := false
		for _, w := range Workloads {
			if w.Key == k {
				ws, found = append(ws, w), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown workload %q (have %s)", k, keys())
		}
	}
	return ws, nil
}

func keys() string {
	var ks []string
	for _, w := range Workloads {
		ks = append(ks, w.Key)
	}
	return strings.Join(ks, ", ")
}

// aramidBoots is the distinct Aramid command lines of ws, in order.
func aramidBoots(ws []Workload) []string {
	var cmdlines []string
	seen := map[string]bool{}
	for _, w := range ws {
		if !seen[w.AramidAppend] {
			seen[w.AramidAppend] = true
			cmdlines = append(cmdlines, w.AramidAppend)
		}
	}
	return cmdlines
}
