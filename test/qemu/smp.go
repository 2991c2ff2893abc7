package qemu

import (
	"regexp"
	"strconv"
)

var cpuSwitches = regexp.MustCompile(`cpu(\d+)=(\d+)`)

// BusyCPUs reads the last "kernel: context switches per CPU:" line of a
// console and returns how many CPUs switched threads at all, and the line.
// The kernel prints it when threads run on more than one CPU (aramid.smp).
func BusyCPUs(console string) (int, string) {
	lines := regexp.MustCompile(`(?m)^kernel: context switches per CPU:.*$`).FindAllString(console, -1)
	if len(lines) == 0 {
		return 0, ""
	}
	line, busy := lines[len(lines)-1], 0
	for _, m := range cpuSwitches.FindAllStringSubmatch(line, -1) {
		if n, _ := strconv.Atoi(m[2]); n > 0 {
			busy++
		}
	}
	return busy, line
}
