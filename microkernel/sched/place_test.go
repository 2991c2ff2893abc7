package sched

import (
	"testing"

	"aramid/microkernel/smp"
)

func TestLeastLoaded(t *testing.T) {
	for _, c := range []struct {
		name string
		mask uint64
		load []int
		want int
	}{
		{"any CPU, the lowest on a tie", AnyCPU, []int{1, 1}, 0},
		{"any CPU, the idle one", AnyCPU, []int{2, 0, 1}, 1},
		{"only CPU 2", 1 << 2, []int{0, 0, 5}, 2},
		{"CPUs 1 and 3", 1<<1 | 1<<3, []int{0, 4, 0, 2}, 3},
		{"a CPU past the running ones", 1 << 5, []int{0, 0}, 0},
	} {
		var load [smp.MaxCPUs]int
		copy(load[:], c.load)
		if got := leastLoaded(c.mask, &load, len(c.load)); got != c.want {
			t.Errorf("%s: leastLoaded(%#x, %v) = %d, want %d", c.name, c.mask, c.load, got, c.want)
		}
	}
}

func TestTakes(t *testing.T) {
	const busy = 1<<0 | ^uint64(3) // CPU 0 runs a thread, CPU 1 is idle, 2 and up do not run threads
	for _, c := range []struct {
		name string
		cpu  int
		q    int
		mask uint64
		want bool
	}{
		{"its own thread", 1, 1, AnyCPU, true},
		{"its own thread, not allowed any more", 1, 1, 1 << 0, false},
		{"a busy CPU's thread", 1, 0, AnyCPU, true},
		{"a busy CPU's thread pinned there", 1, 0, 1 << 0, false},
		{"an idle CPU's thread", 0, 1, AnyCPU, false},
		{"the thread of a CPU that runs no threads", 0, 3, 1<<0 | 1<<3, true},
	} {
		if got := takes(c.cpu, c.q, c.mask, busy); got != c.want {
			t.Errorf("%s: takes(%d, %d, %#x) = %v, want %v", c.name, c.cpu, c.q, c.mask, got, c.want)
		}
	}
}
