package blockdev

import "sync"

// maxBehind bounds the bytes a WriteBehind holds queued; a write beyond
// it waits for the queue to shrink.
const maxBehind = 4 << 20

// WriteBehind is a Device whose writes return once queued: a goroutine
// writes them to the device underneath, in the order they came. Reads and
// Flush first wait until the queue is empty, so a read sees every write
// before it and Flush keeps Device's promise; a write that fails fails
// the next WriteAt or Flush. This is what a disk's volatile write cache
// offers a filesystem, and what the page cache offers write(2): the
// caller does not wait for the device, whose completions under QEMU can
// take milliseconds (docs/performance.md). Crash safety rests on Flush,
// as it must with any disk.
type WriteBehind struct {
	dev Device

	mu      sync.Mutex
	changed *sync.Cond // the queue shrank, or the writer stopped
	queue   []pending
	bytes   int
	writing bool // the writer goroutine runs
	err     error
}

type pending struct {
	p   []byte
	off int64
}

// NewWriteBehind returns dev with its writes queued.
func NewWriteBehind(dev Device) *WriteBehind {
	w := &WriteBehind{dev: dev}
	w.changed = sync.NewCond(&w.mu)
	return w
}

// WriteAt implements io.WriterAt: it queues a copy of p.
func (w *WriteBehind) WriteAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.bytes > 0 && w.bytes+len(p) > maxBehind && w.err == nil {
		w.changed.Wait()
	}
	if err := w.takeErr(); err != nil {
		return 0, err
	}
	w.queue = append(w.queue, pending{append([]byte(nil), p...), off})
	w.bytes += len(p)
	if !w.writing {
		w.writing = true
		go w.write()
	}
	return len(p), nil
}

// write writes the queue out, then ends.
func (w *WriteBehind) write() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 {
		q := w.queue[0]
		w.mu.Unlock()
		_, err := w.dev.WriteAt(q.p, q.off)
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.queue[0] = pending{}
		w.queue = w.queue[1:]
		w.bytes -= len(q.p)
		w.changed.Broadcast()
	}
	w.queue = nil
	w.writing = false
	w.changed.Broadcast()
}

// drain waits, with w.mu held, until every queued write is done.
func (w *WriteBehind) drain() {
	for w.writing {
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
