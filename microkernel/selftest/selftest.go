// Package selftest proves that the Go runtime works where the kernel hosts
// it: goroutines and channels, garbage collection under sustained
// allocation, timers, locks, and preemption of a busy thread. The kernel
// runs it at boot; go test runs the same code on the host.
package selftest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one check's outcome and the figures it measured.
type Result struct {
	Name    string
	Err     error
	Figures string
	Elapsed time.Duration
}

// Check is one self-test.
type Check struct {
	Name string
	Run  func() (figures string, err error)
}

// Checks returns the self-tests. scale divides the workloads, for quick
// runs; the boot test uses scale 1.
func Checks(scale int) []Check {
	return []Check{
		{"busy-thread", busyThread},
		{"channels", func() (string, error) { return channels(1000, 100000/scale) }},
		{"gc", func() (string, error) { return allocate(512 << 20 / scale) }},
		{"timers", timers},
		{"mutex", func() (string, error) { return mutex(100, 1000/scale) }},
	}
}

// Run runs each check with a timeout and reports as it goes.
func Run(checks []Check, timeout time.Duration, report func(Result)) bool {
	ok := true
	for _, c := range checks {
		start := time.Now()
		done := make(chan Result, 1)
		go func() {
			figures, err := c.Run()
			done <- Result{Name: c.Name, Err: err, Figures: figures}
		}()
		var r Result
		select {
		case r = <-done:
		case <-time.After(timeout):
			r = Result{Name: c.Name, Err: fmt.Errorf("timed out after %v", timeout)}
		}
		r.Elapsed = time.Since(start)
		ok = ok && r.Err == nil
		report(r)
	}
	return ok
}

// channels sends messages/goroutines tokens around a ring of goroutines;
// every hop is one channel message.
func channels(goroutines, messages int) (string, error) {
	ring := make([]chan int, goroutines+1)
	for i := range ring {
		ring[i] = make(chan int, 1)
	}
	for i := 0; i < goroutines; i++ {
		go func(in, out chan int) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(ring[i], ring[i+1])
	}
	peak := runtime.NumGoroutine()
	laps := messages / goroutines
	go func() {
		for t := 0; t < laps; t++ {
			ring[0] <- 0
		}
		close(ring[0])
	}()
	sum, n := 0, 0
	for v := range ring[goroutines] {
		sum += v
		n++
	}
	if n != laps || sum != laps*goroutines {
		return "", fmt.Errorf("%d tokens with hop sum %d, want %d and %d", n, sum, laps, laps*goroutines)
	}
	return fmt.Sprintf("%d goroutines, %d messages", peak, sum), nil
}

// allocate allocates total bytes in 64 KiB blocks while keeping at most 64
// of them alive, and checks that the garbage collector kept the heap small.
func allocate(total int) (string, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const block = 64 << 10
	window := make([][]byte, 64)
	peak := uint64(0)
	for i := 0; i < total/block; i++ {
		b := make([]byte, block)
		b[0], b[block-1] = byte(i), byte(i>>8)
		window[i%len(window)] = b
		if i%256 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak {
				peak = ms.HeapAlloc
			}
		}
	}
	runtime.ReadMemStats(&after)
	cycles := after.NumGC - before.NumGC
	allocated := after.TotalAlloc - before.TotalAlloc
	if allocated < uint64(total) {
		return "", fmt.Errorf("allocated %d bytes, want %d", allocated, total)
	}
	if cycles < 2 {
		return "", fmt.Errorf("only %d GC cycles for %d MiB", cycles, total>>20)
	}
	if peak > 64<<20 {
		return "", fmt.Errorf("peak heap %d MiB: live data not bounded", peak>>20)
	}
	return fmt.Sprintf("%d MiB allocated, %d GC cycles, peak heap %.1f MiB", allocated>>20, cycles, float64(peak)/(1<<20)), nil
}

// timers checks Sleep, that timers fire in deadline order, and select
// timeouts.
func timers() (string, error) {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start)
	if slept < 20*time.Millisecond {
		return "", fmt.Errorf("Sleep(20ms) returned after %v", slept)
	}
	// Each timer's channel carries the time it fired. Fire times must
	// follow deadlines, and no timer may fire early.
	delays := []int{50, 10, 40, 20, 30, 5, 45, 15, 35, 25}
	base := time.Now()
	ts := make([]*time.Timer, len(delays))
	for i, d := range delays {
		ts[i] = time.NewTimer(time.Duration(d) * time.Millisecond)
	}
	fired := make([]time.Time, len(delays))
	for i, t := range ts {
		fired[i] = <-t.C
		if early := base.Add(time.Duration(delays[i]) * time.Millisecond).Sub(fired[i]); early > 0 {
			return "", fmt.Errorf("timer %dms fired %v early", delays[i], early)
		}
	}
	order := make([]int, len(delays))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return fired[order[a]].Before(fired[order[b]]) })
	for k := 1; k < len(order); k++ {
		if delays[order[k]] < delays[order[k-1]] {
			return "", fmt.Errorf("timer %dms fired after timer %dms", delays[order[k-1]], delays[order[k]])
		}
	}
	never := make(chan int)
	select {
	case <-never:
		return "", fmt.Errorf("received from a channel nobody sends on")
	case <-time.After(10 * time.Millisecond):
	}
	select {
	case <-time.After(200 * time.Millisecond):
		return "", fmt.Errorf("the later timeout won a select")
	case <-time.After(5 * time.Millisecond):
	}
	return fmt.Sprintf("Sleep(20ms) took %v, %d timers fired in order, select timeouts in order", slept.Round(100*time.Microsecond), len(order)), nil
}

// mutex hammers a counter from many goroutines under a Mutex.
func mutex(goroutines, increments int) (string, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	count := 0
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < increments; j++ {
				mu.Lock()
				count++
				mu.Unlock()
				if j%100 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	if count != goroutines*increments {
		return "", fmt.Errorf("count %d, want %d", count, goroutines*increments)
	}
	return fmt.Sprintf("%d goroutines x %d locked increments", goroutines, increments), nil
}

// busyThread keeps one thread spinning in a loop with no preemption points
// while another goroutine must still tick: only preemption of threads by
// the kernel makes that possible. GC is off meanwhile, because a
// stop-the-world could not stop the spinner either.
func busyThread() (string, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if runtime.GOMAXPROCS(0) < 2 {
		return "", fmt.Errorf("GOMAXPROCS is %d; need 2", runtime.GOMAXPROCS(0))
	}
	var stop atomic.Uint32
	var spins uint64
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		close(started)
		n := uint64(0)
		for stop.Load() == 0 {
			n++
		}
		atomic.StoreUint64(&spins, n)
	}()
	<-started
	// The test counts ticks, not time: a loaded host may deschedule the
	// virtual CPU for tens of milliseconds, which stretches each tick but
	// stops none. Without preemption no tick would come at all.
	const want = 10
	ticks := 0
	deadline := time.Now().Add(10 * time.Second)
	for ticks < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		ticks++
	}
	stop.Store(1)
	for atomic.LoadUint64(&spins) == 0 {
		time.Sleep(time.Millisecond)
	}
	if ticks < want {
		return "", fmt.Errorf("only %d ticks in 10 s while a thread was busy", ticks)
	}
	return fmt.Sprintf("%d ticks beside a spinning thread (%d spins)", ticks, atomic.LoadUint64(&spins)), nil
}
