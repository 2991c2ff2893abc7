package file

import (
	"encoding/binary"
	"sync"
	"syscall"
)

// EventFD is an eventfd(2) counter. Reads wait on the caller's condition
// variable (linuxd's lock).
type EventFD struct {
	cond      *sync.Cond
	count     uint64
	semaphore bool
	gen       uint64
}

// NewEventFD returns a counter starting at initval; with semaphore, each
// read takes 1 instead of everything (EFD_SEMAPHORE).
func NewEventFD(cond *sync.Cond, initval uint64, semaphore bool) *EventFD {
	return &EventFD{cond: cond, count: initval, semaphore: semaphore}
}

const eventMax = 1<<64 - 2

// ReadWait implements Waiter: an 8-byte read of the count.
func (e *EventFD) ReadWait(b []byte, w Wait) (int, error) {
	if len(b) < 8 {
		return 0, syscall.EINVAL
	}
	for e.count == 0 {
		if err := w.block(e.cond); err != nil {
			return 0, err
		}
	}
	v := e.count
	if e.semaphore {
		v = 1
	}
	e.count -= v
	binary.LittleEndian.PutUint64(b, v)
	e.changed()
	return 8, nil
}

// WriteWait implements Waiter: an 8-byte add to the count.
func (e *EventFD) WriteWait(b []byte, w Wait) (int, error) {
	if len(b) < 8 {
		return 0, syscall.EINVAL
	}
	v := binary.LittleEndian.Uint64(b)
	if v == 1<<64-1 {
		return 0, syscall.EINVAL
	}
	for eventMax-e.count < v {
		if err := w.block(e.cond); err != nil {
			return 0, err
		}
	}
	e.count += v
	e.changed()
	return 8, nil
}

func (e *EventFD) changed() {
	e.gen++
	e.cond.Broadcast()
}

// Read implements fd.File.
func (e *EventFD) Read(b []byte) (int, error) { return e.ReadWait(b, Wait{}) }

// Write implements fd.File.
func (e *EventFD) Write(b []byte) (int, error) { return e.WriteWait(b, Wait{}) }

// Readable implements Waiter.
func (e *EventFD) Readable() bool { return e.count > 0 }

// Writable implements Waiter.
func (e *EventFD) Writable() bool { return e.count < eventMax }

// Poll implements Pollable.
func (e *EventFD) Poll() (uint32, uint64) { return readiness(e), e.gen }

// Close implements fd.File.
func (e *EventFD) Close() error { return nil }
