// Package ext4 reads and writes ext4 filesystem images.
//
// It is vfsd's own engine: third-party Go ext4 code was measured wrong on
// ordinary mke2fs images (see docs/ext4.md). The API is inode-number based;
// vfsd layers path resolution, open files and permission checks on top.
// Every exported method is safe for concurrent use: reads share a read lock
// and a block cache, writes are serialized. Errors are syscall.Errno values
// (EIO for on-disk corruption), never panics.
package ext4

import (
	"errors"
	"io"
	"sync"
	"syscall"
	"time"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/jbd2"
)

// RootIno is the inode number of the root directory.
const RootIno = 2

// Options control Open.
type Options struct {
	// ReadOnly mounts without write access; every write returns EROFS.
	ReadOnly bool
	// Now supplies timestamps for writes; time.Now if nil.
	Now func() time.Time
	// CacheBlocks bounds the metadata block cache (default 4096 blocks).
	CacheBlocks int
	// CommitInterval bounds how long a journaled change nobody synced
	// stays in memory (default 5 s, jbd2's default commit interval).
	CommitInterval time.Duration
}

// FS is a mounted ext4 filesystem.
type FS struct {
	dev   blockdev.Device
	opts  Options
	mu    sync.RWMutex // held for reading by lookups and reads, for writing by writes
	sb    *superblock
	gt    *groups
	cache *blockCache
	// dirsOK and extentsOK remember the cached directory and extent
	// tree blocks that verified.
	dirsOK, extentsOK checked
	// data caches file data blocks that reads and writes touched one
	// block at a time (dataBlock), written through: the small file a web
	// server sends on every request, the last block of a log it appends
	// to. Every write of file data updates or drops its entries.
	data *blockCache
	// roReason is why the image is read-only ("" if writable).
	roReason string
	// refs counts Acquire calls per inode; an inode whose last link is
	// removed while referenced is freed on the last Release.
	refs   map[uint32]int
	closed bool
	// jn journals metadata writes; nil for images without a journal,
	// which are written in place.
	jn       *journal
	replayed jbd2.Stats
}

// Open mounts the filesystem on dev. An image marked needs_recovery (by a
// crash, ours or Linux's) has its journal replayed first: onto the disk,
// or, when it is mounted read-only, into memory (the disk is never
// written then). A writable image with a journal journals every write
// (docs/ext4.md).
func Open(dev blockdev.Device, opts Options) (*FS, error) {
	fs, err := mount(dev, opts)
	if err != nil {
		return nil, err
	}
	if fs.sb.incompat&incompatRecover != 0 {
		if fs.roReason != "" {
			dev = blockdev.NewOverlay(dev, int(fs.sb.blockSize))
			fs.dev = dev
		}
		st, err := fs.replayJournal()
		if err != nil {
			return nil, err
		}
		if fs, err = mount(dev, opts); err != nil {
			return nil, err
		}
		fs.replayed = st
	}
	if fs.roReason == "" && fs.sb.compat&compatHasJournal != 0 {
		if err := fs.startJournal(); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// mount reads the superblock and group descriptors and checks the root.
func mount(dev blockdev.Device, opts Options) (*FS, error) {
	raw := make([]byte, sbSize)
	if err := readFull(dev, raw, 1024); err != nil {
		return nil, mountErr(syscall.EIO, "reading superblock: %v", err)
	}
	sb, err := parseSuper(raw)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheBlocks <= 0 {
		opts.CacheBlocks = 4096
	}
	if opts.CommitInterval <= 0 {
		opts.CommitInterval = 5 * time.Second
	}
	fs := &FS{dev: dev, opts: opts, sb: sb, refs: map[uint32]int{}}
	fs.cache = newBlockCache(opts.CacheBlocks)
	fs.data = newBlockCache(dataCacheBlocks)
	gt := &groups{sb: sb, raw: make([]byte, 0, int(sb.groups)*sb.descSize)}
	per := uint64(sb.blockSize) / uint64(sb.descSize)
	for i := uint64(0); i < sb.gdtBlocks(); i++ {
		blk := make([]byte, sb.blockSize)
		if err := readFull(dev, blk, int64(gt.gdtBlock(i))*sb.blockSize); err != nil {
			return nil, mountErr(syscall.EIO, "reading group descriptors: %v", err)
		}
		n := per
		if left := uint64(sb.groups) - i*per; left < n {
			n = left
		}
		gt.raw = append(gt.raw, blk[:n*uint64(sb.descSize)]...)
	}
	if err := gt.validate(); err != nil {
		return nil, err
	}
	fs.gt = gt
	fs.roReason = sb.notWritable()
	if opts.ReadOnly {
		fs.roReason = "mounted read-only"
	}
	root, err := fs.inode(RootIno)
	if err != nil {
		return nil, mountErr(syscall.EIO, "reading root inode: %v", err)
	}
	if !root.isDir() {
		return nil, mountErr(syscall.EIO, "root inode is not a directory")
	}
	return fs, nil
}

// ReadOnlyReason says why writes fail with EROFS, or "" if they do not.
func (fs *FS) ReadOnlyReason() string { return fs.roReason }

// Root returns the root directory's inode number.
func (fs *FS) Root() uint32 { return RootIno }

// BlockSize returns the filesystem block size in bytes.
func (fs *FS) BlockSize() int { return int(fs.sb.blockSize) }

// Sync makes every completed write durable.
func (fs *FS) Sync() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return syscall.EBADF
	}
	if fs.jn != nil && fs.roReason == "" {
		return fs.commit()
	}
	return fs.flush()
}

func (fs *FS) flush() error {
	if fs.roReason != "" {
		return nil
	}
	if err := fs.dev.Flush(); err != nil {
		return syscall.EIO
	}
	return nil
}

// Close frees inodes that were unlinked while referenced, flushes, and
// makes the FS unusable.
func (fs *FS) Close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return syscall.EBADF
	}
	var first error
	for ino := range fs.refs {
		delete(fs.refs, ino)
		if err := fs.maybeFree(ino); err != nil && first == nil {
			first = err
		}
	}
	if fs.jn != nil && fs.roReason == "" {
		if err := fs.closeJournal(); err != nil && first == nil {
			first = err
		}
	}
	if err := fs.flush(); err != nil && first == nil {
		first = err
	}
	fs.closed = true
	return first
}

// rlock takes the read lock, failing if the FS is closed.
func (fs *FS) rlock() error {
	fs.mu.RLock()
	if fs.closed {
		fs.mu.RUnlock()
		return syscall.EBADF
	}
	return nil
}

// wlock takes the write lock, failing if the FS is closed or read-only.
func (fs *FS) wlock() error {
	fs.mu.Lock()
	if fs.closed {
		fs.mu.Unlock()
		return syscall.EBADF
	}
	if fs.roReason != "" {
		fs.mu.Unlock()
		return syscall.EROFS
	}
	if err := fs.beginOp(); err != nil {
		fs.mu.Unlock()
		return err
	}
	return nil
}

func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readBlock returns block n, shared with the cache: callers must not modify
// it (use blockCopy).
func (fs *FS) readBlock(n uint64) ([]byte, error) {
	if n >= fs.sb.blocksCount {
		return nil, syscall.EIO
	}
	if fs.jn != nil {
		if b, ok := fs.jn.dirty[n]; ok {
			return b, nil
		}
	}
	return fs.cachedRead(fs.cache, n)
}

// cachedRead returns block n from cache c, or reads it from the device
// and caches it there. Callers must not modify it.
func (fs *FS) cachedRead(c *blockCache, n uint64) ([]byte, error) {
	if b := c.get(n); b != nil {
		return b, nil
	}
	b := make([]byte, fs.sb.blockSize)
	if err := readFull(fs.dev, b, int64(n)*fs.sb.blockSize); err != nil {
		return nil, syscall.EIO
	}
	c.put(n, b)
	return b, nil
}

// dataCacheBlocks bounds the data block cache (4 MiB of 4 KiB blocks).
const dataCacheBlocks = 1024

// dataBlock returns file data block n, from the data cache or read from
// the device and cached. Callers must not modify it.
func (fs *FS) dataBlock(n uint64) ([]byte, error) { return fs.cachedRead(fs.data, n) }

// dropData forgets the cached data of blocks [start, start+n), which are
// written or freed.
func (fs *FS) dropData(start, n uint64) {
	fs.data.dropRange(start, n)
}

// blockCopy returns a private, modifiable copy of block n.
func (fs *FS) blockCopy(n uint64) ([]byte, error) {
	b, err := fs.readBlock(n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// writeBlock writes b as block n and caches it; b must not be modified
// afterwards.
func (fs *FS) writeBlock(n uint64, b []byte) error {
	if n >= fs.sb.blocksCount || n < fs.sb.firstData {
		return syscall.EIO
	}
	if fs.jn != nil {
		fs.logBlock(n, b)
	} else if _, err := fs.dev.WriteAt(b, int64(n)*fs.sb.blockSize); err != nil {
		return syscall.EIO
	}
	fs.cache.put(n, b)
	fs.data.drop(n)
	return nil
}

// blockCache is a bounded cache of blocks (metadata, or file data). Entries are immutable;
// writers replace them. When full, an arbitrary entry is evicted (Go's map
// iteration order is random), which is cheap and good enough for metadata.
type blockCache struct {
	mu  sync.Mutex
	max int
	m   map[uint64][]byte
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, m: make(map[uint64][]byte)}
}

func (c *blockCache) get(n uint64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[n]
}

func (c *blockCache) put(n uint64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[n]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[n] = b
}

// dropRange drops blocks [start, start+n), looking at whichever is
// fewer: the blocks, or the entries.
func (c *blockCache) dropRange(start, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n <= uint64(len(c.m)) {
		for i := start; i < start+n; i++ {
			delete(c.m, i)
		}
		return
	}
	for k := range c.m {
		if k >= start && k-start < n {
			delete(c.m, k)
		}
	}
}

func (c *blockCache) drop(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, n)
}
