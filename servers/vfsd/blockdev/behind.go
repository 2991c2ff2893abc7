package blockdev

import (
	"sync"
	"time"
)

// maxBehind bounds the bytes a WriteBehind holds queued; a write beyond
// it waits for the queue to shrink.
const maxBehind = 4 << 20

// gather is how long a WriteBehind holds its first queued write before it
// starts writing, so that writes of the same blocks that follow it (a log
// appended to on every request rewrites its last block every time) go to
// the device once. Each write to a virtio disk costs a notification and
// an interrupt, which under QEMU's TCG wakes every driver on the shared
// interrupt line (docs/performance.md).
const gather = 50 * time.Millisecond

// WriteBehind is a Device whose writes return once queued: a goroutine
// writes them to the device underneath, in the order they came, starting
// gather after the first. A write that overlaps or touches the last one
// queued is merged into it, which changes nothing a reader or a crash
// could tell apart from the two landing one after the other. Reads and
// Flush start the writer at once and wait until the queue is empty, so a
// read sees every write before it and Flush keeps Device's promise; a
// write that fails fails the next WriteAt or Flush. This is what a disk's
// volatile write cache offers a filesystem, and what the page cache
// offers write(2): the caller does not wait for the device, whose
// completions under QEMU can take milliseconds (docs/performance.md).
// Crash safety rests on Flush, as it must with any disk.
type WriteBehind struct {
	dev Device

	mu      sync.Mutex
	changed *sync.Cond // the queue shrank, or the writer stopped
	queue   []pending  // not yet started
	bytes   int
	writing bool          // the writer goroutine runs
	gather  time.Duration // how long the writer waits: gather, longer in tests
	now     chan struct{} // one token: the writer should not wait out gather
	err     error
}

type pending struct {
	p   []byte
	off int64
}

// NewWriteBehind returns dev with its writes queued.
func NewWriteBehind(dev Device) *WriteBehind {
	w := &WriteBehind{dev: dev, gather: gather, now: make(chan struct{}, 1)}
	w.changed = sync.NewCond(&w.mu)
	return w
}

// WriteAt implements io.WriterAt: it queues a copy of p.
func (w *WriteBehind) WriteAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.bytes > 0 && w.bytes+len(p) > maxBehind && w.err == nil {
		w.hurry()
		w.changed.Wait()
	}
	if err := w.takeErr(); err != nil {
		return 0, err
	}
	w.enqueue(p, off)
	if !w.writing {
		w.writing = true
		go w.write()
	}
	return len(p), nil
}

// enqueue queues a copy of p at off, merged into the last write queued
// if the two touch.
func (w *WriteBehind) enqueue(p []byte, off int64) {
	if n := len(w.queue); n > 0 {
		last := &w.queue[n-1]
		before := len(last.p)
		if last.merge(p, off) {
			w.bytes += len(last.p) - before
			return
		}
	}
	w.queue = append(w.queue, pending{append([]byte(nil), p...), off})
	w.bytes += len(p)
}

// merge folds the write of p at off into q if the two ranges overlap or
// touch, p's bytes winning, and reports whether it did.
func (q *pending) merge(p []byte, off int64) bool {
	end, qend := off+int64(len(p)), q.off+int64(len(q.p))
	if off > qend || end < q.off {
		return false
	}
	lo, hi := min(off, q.off), max(end, qend)
	if lo != q.off || hi != qend {
		b := make([]byte, hi-lo)
		copy(b[q.off-lo:], q.p)
		q.p, q.off = b, lo
	}
	copy(q.p[off-q.off:], p)
	return true
}

// write waits out gather (or a hurry), writes the queue out, then ends.
func (w *WriteBehind) write() {
	select {
	case <-time.After(w.gather):
	case <-w.now:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 {
		q := w.queue[0]
		w.queue[0] = pending{}
		w.queue = w.queue[1:]
		w.mu.Unlock()
		_, err := w.dev.WriteAt(q.p, q.off)
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.bytes -= len(q.p)
		w.changed.Broadcast()
	}
	w.queue = nil
	w.writing = false
	select {
	case <-w.now: // a hurry that came after the wait ended
	default:
	}
	w.changed.Broadcast()
}

// hurry tells a writer waiting out gather to start now.
func (w *WriteBehind) hurry() {
	select {
	case w.now <- struct{}{}:
	default:
	}
}

// drain waits, with w.mu held, until every queued write is done.
func (w *WriteBehind) drain() {
	for w.writing {
		w.hurry()
		w.changed.Wait()
	}
}

// takeErr returns the error of a failed write, once.
func (w *WriteBehind) takeErr() error {
	err := w.err
	w.err = nil
	return err
}

// ReadAt implements io.ReaderAt, after the queued writes.
func (w *WriteBehind) ReadAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	w.drain()
	w.mu.Unlock()
	return w.dev.ReadAt(p, off)
}

// Flush implements Device: the queued writes, then the device's flush.
func (w *WriteBehind) Flush() error {
	w.mu.Lock()
	w.drain()
	err := w.takeErr()
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return w.dev.Flush()
}

var _ Device = (*WriteBehind)(nil)
