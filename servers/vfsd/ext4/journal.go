package ext4

import (
	"errors"
	"maps"
	"slices"
	"syscall"
	"time"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/jbd2"
)

// journal is the state of ordered-mode metadata journaling (docs/ext4.md,
// "Journaling"). Every metadata block a write operation changes joins the
// running transaction (dirty) instead of going to disk; file data is
// written in place at once. A commit logs the transaction after a flush
// that makes that data durable, then writes the blocks home.
type journal struct {
	j *jbd2.Journal
	// dirty holds the newest contents of the blocks the running
	// transaction changed; reads see them before the cache.
	dirty map[uint64][]byte
	// revoked lists blocks freed by the running transaction that are in
	// the log, so that replay does not write their old contents over
	// whatever the blocks hold next.
	revoked map[uint64]bool
	// logged lists the blocks the log holds (committed since the last
	// checkpoint).
	logged map[uint64]bool
	// freed lists, per group, bitmap runs freed by the running
	// transaction. They are not reallocated before it commits: a crash
	// would give them back to their old owner with new contents.
	freed  map[uint32][]bitRun
	nfreed uint64
	timer  *time.Timer
}

type bitRun struct{ k, n int }

// openJournal opens the journal in the journal inode.
func (fs *FS) openJournal() (*jbd2.Journal, error) {
	ino := fs.sb.u32(sbJournalInum)
	if fs.sb.compat&compatHasJournal == 0 || ino == 0 {
		return nil, mountErr(syscall.EINVAL, "no internal journal")
	}
	in, err := fs.inode(ino)
	if err != nil {
		return nil, mountErr(syscall.EIO, "reading the journal inode: %v", err)
	}
	bs := uint64(fs.sb.blockSize)
	exts, err := fs.mapRange(in, 0, (in.size()+bs-1)/bs)
	if err != nil {
		return nil, mountErr(syscall.EIO, "mapping the journal: %v", err)
	}
	var jexts []jbd2.Extent
	for _, e := range exts {
		jexts = append(jexts, jbd2.Extent{Log: uint64(e.lblk), Phys: e.pblk, N: uint64(e.n)})
	}
	j, err := jbd2.Open(fs.dev, int(bs), jexts, fs.sb.blocksCount)
	if err != nil {
		return nil, mountErr(syscall.EINVAL, "journal: %v", err)
	}
	return j, nil
}

// replayJournal replays the journal of an image marked needs_recovery and
// clears the mark.
func (fs *FS) replayJournal() (jbd2.Stats, error) {
	j, err := fs.openJournal()
	if err != nil {
		return jbd2.Stats{}, mountErr(syscall.EUCLEAN, "the journal needs recovery and cannot be replayed: %v", err)
	}
	st, err := j.Recover()
	if err != nil {
		return st, mountErr(syscall.EIO, "replaying the journal: %v", err)
	}
	// The replay may have rewritten the superblock; clear the mark in
	// what is on disk now.
	raw := make([]byte, sbSize)
	if err := readFull(fs.dev, raw, 1024); err != nil {
		return st, mountErr(syscall.EIO, "reading superblock: %v", err)
	}
	sb, err := parseSuper(raw)
	if err != nil {
		return st, err
	}
	return st, sb.writeRecoverFlag(fs.dev, false)
}

// startJournal makes a writable journaled image journal our writes: it
// turns on the journal features Linux would (checksums v3 with
// metadata_csum, 64-bit block numbers with 64bit), and marks the image
// needs_recovery until Close, as Linux does while mounted. An image whose
// journal we cannot write is mounted read-only.
func (fs *FS) startJournal() error {
	j, err := fs.openJournal()
	if err != nil {
		fs.roReason = err.Error()
		return nil
	}
	if j.NeedsRecovery() {
		// Not marked needs_recovery: like Linux, drop what the log holds.
		if err := j.Discard(); err != nil {
			return mountErr(syscall.EIO, "clearing the journal: %v", err)
		}
	}
	want := uint32(jbd2.FeatureRevoke)
	if fs.sb.metaCsum() {
		want |= jbd2.FeatureCsumV3
	}
	if fs.sb.has64() {
		want |= jbd2.Feature64Bit
	}
	if err := j.Enable(want); err != nil {
		return mountErr(syscall.EINVAL, "journal: %v", err)
	}
	if err := fs.sb.writeRecoverFlag(fs.dev, true); err != nil {
		return err
	}
	fs.jn = &journal{j: j, dirty: map[uint64][]byte{}, revoked: map[uint64]bool{},
		logged: map[uint64]bool{}, freed: map[uint32][]bitRun{}}
	return nil
}

// writeRecoverFlag sets or clears needs_recovery and writes the
// superblock in place, durably. Only done while the log is empty.
func (s *superblock) writeRecoverFlag(dev blockdev.Device, on bool) error {
	if on {
		s.incompat |= incompatRecover
	} else {
		s.incompat &^= incompatRecover
	}
	le.PutUint32(s.raw[sbFeatureIncompat:], s.incompat)
	s.updateChecksum()
	if _, err := dev.WriteAt(s.raw, 1024); err != nil {
		return mountErr(syscall.EIO, "writing superblock: %v", err)
	}
	if err := dev.Flush(); err != nil {
		return mountErr(syscall.EIO, "flushing: %v", err)
	}
	return nil
}

// logBlock adds block n with contents b to the running transaction.
func (fs *FS) logBlock(n uint64, b []byte) {
	jn := fs.jn
	if jn.timer == nil {
		jn.timer = time.AfterFunc(fs.opts.CommitInterval, fs.timedCommit)
	}
	jn.dirty[n] = b
	delete(jn.revoked, n)
}

// forgetBlock drops a freed block from the running transaction, revoking
// it if the log holds an older copy.
func (fs *FS) forgetBlock(n uint64) {
	fs.cache.drop(n)
	if jn := fs.jn; jn != nil {
		delete(jn.dirty, n)
		if jn.logged[n] {
			jn.revoked[n] = true
		}
	}
}

// noteFreed records that bits [k, k+n) of group g's block bitmap were
// freed by the running transaction.
func (jn *journal) noteFreed(g uint32, k, n int) {
	if jn != nil && n > 0 {
		jn.freed[g] = append(jn.freed[g], bitRun{k, n})
		jn.nfreed += uint64(n)
	}
}

// busy returns the bitmap allocation must respect in group g: bm with the
// blocks freed by the running transaction still marked used.
func (jn *journal) busy(g uint32, bm []byte) []byte {
	if jn == nil || len(jn.freed[g]) == 0 {
		return bm
	}
	b := slices.Clone(bm)
	for _, r := range jn.freed[g] {
		for k := r.k; k < r.k+r.n; k++ {
			setBit(b, k)
		}
	}
	return b
}

// beginOp commits the running transaction before a write operation when
// it has grown to a quarter of the log (so that one operation always
// fits), or when, the blocks it freed aside, less than a sixteenth of
// the disk is free (they become allocatable once it commits).
func (fs *FS) beginOp() error {
	jn := fs.jn
	if jn == nil {
		return nil
	}
	big := jn.j.Needed(len(jn.dirty), len(jn.revoked)) > jn.j.Capacity()/4
	tight := jn.nfreed > 0 && fs.sb.freeBlocks() < jn.nfreed+fs.sb.blocksCount/16
	if big || tight {
		return fs.commit()
	}
	return nil
}

func (fs *FS) timedCommit() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.closed && fs.jn != nil && fs.roReason == "" {
		fs.commit()
	}
}

// commit makes the running transaction durable and writes its blocks
// home. A transaction larger than the whole log (one operation changing
// more metadata than a quarter of the log, see beginOp) is written in
// place without the journal. After an I/O error the image is treated as
// read-only, as Linux aborts the journal.
func (fs *FS) commit() error {
	jn := fs.jn
	if jn.timer != nil {
		jn.timer.Stop()
		jn.timer = nil
	}
	if len(jn.dirty) == 0 && len(jn.revoked) == 0 {
		return fs.flush()
	}
	homes := slices.Sorted(maps.Keys(jn.dirty))
	blocks := make([]jbd2.Block, len(homes))
	for i, h := range homes {
		blocks[i] = jbd2.Block{Home: h, Data: jn.dirty[h]}
	}
	revoked := slices.Sorted(maps.Keys(jn.revoked))
	err := jn.j.Commit(blocks, revoked)
	if errors.Is(err, jbd2.ErrFull) {
		if err = fs.checkpoint(); err == nil {
			err = jn.j.Commit(blocks, revoked)
		}
	}
	through := errors.Is(err, jbd2.ErrFull)
	if err != nil && !through {
		return fs.abort()
	}
	for _, b := range blocks {
		if _, err := fs.dev.WriteAt(b.Data, int64(b.Home)*fs.sb.blockSize); err != nil {
			return fs.abort()
		}
		if !through {
			jn.logged[b.Home] = true
		}
	}
	clear(jn.dirty)
	clear(jn.revoked)
	clear(jn.freed)
	jn.nfreed = 0
	if through {
		return fs.flush()
	}
	return nil
}

// checkpoint makes the home copies of every committed block durable and
// empties the log.
func (fs *FS) checkpoint() error {
	if err := fs.dev.Flush(); err != nil {
		return err
	}
	if err := fs.jn.j.Checkpoint(); err != nil {
		return err
	}
	clear(fs.jn.logged)
	return nil
}

func (fs *FS) abort() error {
	fs.roReason = "the journal failed to commit"
	return syscall.EIO
}

// closeJournal commits, checkpoints and clears needs_recovery.
func (fs *FS) closeJournal() error {
	if err := fs.commit(); err != nil {
		return err
	}
	if err := fs.checkpoint(); err != nil {
		return syscall.EIO
	}
	if err := fs.sb.writeRecoverFlag(fs.dev, false); err != nil {
		return syscall.EIO
	}
	return nil
}

// Replayed says what replaying the journal at mount did (zero if the
// image needed no recovery).
func (fs *FS) Replayed() jbd2.Stats { return fs.replayed }
