package smp

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/arch/amd64/apic"
	"aramid/microkernel/clock"
)

// park is a parked CPU's loop. Interrupts are off except inside
// amd64.Halt (STI; HLT), so an IPI that arrives after the last look at the
// mailbox is pending and ends the HLT at once: no wake-up is lost.
//
//go:nosplit
func park(c *cpu) {
	for atomic.LoadUint32(&c.run) == 0 {
		serve(c)
		// Announce the halt, then look once more: a sender stores its
		// request (or run) and then loads halted, so one of the two sees
		// the other (both atomics are full barriers) and either the
		// request is served here or the sender sends the IPI.
		atomic.StoreUint32(&c.halted, 1)
		if atomic.LoadUint64(&c.request) == atomic.LoadUint64(&c.reply) && atomic.LoadUint32(&c.run) == 0 {
			amd64.Halt()
		}
		atomic.StoreUint32(&c.halted, 0)
	}
	join(c)
}

// serve answers the mailbox until no request has come for c.spin TSC
// cycles: the bounded spin that a forwarding queue's server will do.
//
//go:nosplit
func serve(c *cpu) {
	last := amd64.Rdtsc()
	for {
		if r := atomic.LoadUint64(&c.request); r != atomic.LoadUint64(&c.reply) {
			atomic.StoreUint64(&c.reply, r)
			last = amd64.Rdtsc()
		} else if amd64.Rdtsc()-last >= atomic.LoadUint64(&c.spin) {
			return
		}
	}
}

// post puts request seq in c's mailbox and wakes c with an IPI if it has
// announced a halt.
func post(c *cpu, seq uint64) error {
	atomic.StoreUint64(&c.request, seq)
	if atomic.LoadUint32(&c.halted) == 0 {
		return nil
	}
	fl := amd64.DisableInterrupts()
	ok := apic.SendIPI(c.apicID, amd64.VectorAPWake)
	amd64.RestoreInterrupts(fl)
	if !ok {
		return errors.New("local APIC did not accept the wake-up IPI")
	}
	return nil
}

// await spins until c has answered seq, for at most a second.
func await(c *cpu, seq uint64) error {
	for end := clock.Nanotime() + 1e9; atomic.LoadUint64(&c.reply) != seq; {
		if clock.Nanotime() > end {
			return fmt.Errorf("no answer to request %d within 1 s", seq)
		}
	}
	return nil
}

// Figures are what Probe measured on one parked CPU.
type Figures struct {
	TimerHz float64 // its local timer's interrupts per second
	Wakes   uint64  // wake-up IPIs it took
	// Round trips from the boot CPU, request posted to answer seen, median
	// and fastest: the AP polling its mailbox, and the AP halted and woken
	// by an IPI. The two differ by orders of magnitude when the host does
	// not give both virtual CPUs a core at once.
	Spin, SpinMin     time.Duration
	Halted, HaltedMin time.Duration
}

// Probe checks that parked CPU i still takes its timer interrupts and
// answers its mailbox, and measures n round trips of each kind. It runs on
// the boot CPU, in a goroutine.
func Probe(i, n int) (Figures, error) {
	var f Figures
	if i < 1 || i >= ncpus {
		return f, fmt.Errorf("no parked cpu %d", i)
	}
	c := &cpus[i]
	// A virtual CPU the host does not run for a while takes no ticks, so
	// the count waits up to a second for the first.
	ticks0, t0 := atomic.LoadUint64(&c.arch.Ticks), clock.Nanotime()
	ticks := uint64(0)
	for ticks == 0 && clock.Nanotime()-t0 < 1e9 {
		time.Sleep(100 * time.Millisecond)
		ticks = atomic.LoadUint64(&c.arch.Ticks) - ticks0
	}
	f.TimerHz = float64(ticks) / (float64(clock.Nanotime()-t0) / 1e9)
	if ticks == 0 {
		return f, errors.New("its local timer did not interrupt in 1 s")
	}
	wakes := atomic.LoadUint64(&c.arch.Wakes)
	seq := atomic.LoadUint64(&c.reply)
	atomic.StoreUint64(&c.spin, clock.TSCPerMs()*200)
	spin, err := roundTrips(c, &seq, n, false)
	atomic.StoreUint64(&c.spin, 0)
	if err != nil {
		return f, err
	}
	halted, err := roundTrips(c, &seq, n, true)
	if err != nil {
		return f, err
	}
	f.Spin, f.SpinMin = quantiles(spin)
	f.Halted, f.HaltedMin = quantiles(halted)
	f.Wakes = atomic.LoadUint64(&c.arch.Wakes) - wakes
	if f.Wakes == 0 {
		return f, errors.New("no wake-up IPI arrived")
	}
	return f, nil
}

// roundTrips times n requests to c. With halted, each waits until c has
// announced its halt and had 50 µs to reach HLT, so each is answered after
// an IPI; otherwise c is still polling from the previous answer.
func roundTrips(c *cpu, seq *uint64, n int, halted bool) ([]time.Duration, error) {
	var d []time.Duration
	for k := 0; k <= n; k++ {
		if halted {
			for end := clock.Nanotime() + 1e9; atomic.LoadUint32(&c.halted) == 0; {
				if clock.Nanotime() > end {
					return nil, errors.New("did not halt within 1 s")
				}
			}
			delay(50_000)
		}
		*seq++
		t0 := clock.Nanotime()
		if err := post(c, *seq); err != nil {
			return nil, err
		}
		if err := await(c, *seq); err != nil {
			return nil, err
		}
		if k > 0 { // the first only gets c polling
			d = append(d, time.Duration(clock.Nanotime()-t0))
		}
	}
	return d, nil
}

// quantiles returns the median and the minimum of d.
func quantiles(d []time.Duration) (median, min time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[0]
}
