package jbd2

// Stats says what a recovery did.
type Stats struct {
	Transactions int // committed transactions found
	Blocks       int // blocks written home
	Revoked      int // logged blocks not replayed because a later revoke record names them
	Skipped      int // logged blocks not replayed: bad checksum or a home past the device
}

// record is a block logged by a committed transaction.
type record struct {
	pos uint32 // the log block holding its contents
	seq uint32
	t   tag
}

// after reports whether transaction ID a comes after b (IDs wrap).
func after(a, b uint32) bool { return int32(a-b) > 0 }

// Recover replays the committed transactions in the log onto their home
// blocks, in jbd2's three steps: scan the log to its end, collect the
// revocations of committed transactions, and write home every logged
// block that no revocation of the same or a later transaction names.
// Then it flushes and marks the log empty. A journal that needs no
// recovery is left alone.
func (j *Journal) Recover() (Stats, error) {
	var st Stats
	if j.tail == 0 {
		j.unrecovered = false
		return st, nil
	}
	recs, revoked, end, err := j.scan(&st)
	if err != nil {
		return st, err
	}
	buf := make([]byte, j.f.bs)
	for _, r := range recs {
		if rs, ok := revoked[r.t.home]; ok && !after(r.seq, rs) {
			st.Revoked++
			continue
		}
		if r.t.home >= j.limit {
			st.Skipped++
			continue
		}
		if err := j.readLog(r.pos, buf); err != nil {
			return st, err
		}
		if j.f.csum && j.f.tagCsum(r.seq, buf) != r.t.csum {
			st.Skipped++
			continue
		}
		if r.t.flags&flagEscape != 0 {
			be.PutUint32(buf, Magic)
		}
		if _, err := j.dev.WriteAt(buf, int64(r.t.home)*int64(j.f.bs)); err != nil {
			return st, err
		}
		st.Blocks++
	}
	if err := j.dev.Flush(); err != nil {
		return st, err
	}
	return st, j.reset(end)
}

// reset empties the log after a scan that ended at transaction end. Like
// jbd2, it skips end, the ID of a transaction that may be half-written in
// the log, so that its blocks can never pass for a new one's.
func (j *Journal) reset(end uint32) error {
	j.seq, j.tail, j.head, j.unrecovered = end+1, 0, j.first, false
	if err := j.writeSuper(); err != nil {
		return err
	}
	return j.dev.Flush()
}

// scan walks the log from its tail and returns the blocks of the
// committed transactions in log order, the highest committed transaction
// revoking each revoked block, and the ID of the first transaction not
// committed. The log ends at the first block that is not a journal block
// of the expected transaction, or whose checksum fails. The walk visits
// each log block at most once.
func (j *Journal) scan(st *Stats) (recs []record, revoked map[uint64]uint32, end uint32, err error) {
	pos, seq := j.tail, j.seq
	buf := make([]byte, j.f.bs)
	var pending []record
	var pendingRevoke []uint64
	revoked = map[uint64]uint32{}
	for steps := uint32(0); steps < j.logLen(); steps++ {
		if err := j.readLog(pos, buf); err != nil {
			return nil, nil, 0, err
		}
		h, ok := readHeader(buf)
		if !ok || h.seq != seq {
			break
		}
		switch h.typ {
		case typeDescriptor:
			if !j.f.blockCsumOK(buf) {
				return recs, revoked, seq, nil
			}
			for _, t := range j.f.parseTags(buf) {
				pos = j.next(pos)
				steps++
				pending = append(pending, record{pos: pos, seq: seq, t: t})
			}
		case typeRevoke:
			if !j.f.blockCsumOK(buf) {
				return recs, revoked, seq, nil
			}
			pendingRevoke = append(pendingRevoke, j.f.parseRevoke(buf)...)
		case typeCommit:
			if j.f.csum && be.Uint32(buf[commitCsumOff:]) != j.f.commitCsum(buf) {
				return recs, revoked, seq, nil
			}
			recs = append(recs, pending...)
			for _, b := range pendingRevoke {
				if old, ok := revoked[b]; !ok || after(seq, old) {
					revoked[b] = seq
				}
			}
			pending, pendingRevoke = nil, nil
			st.Transactions++
			seq++
		default:
			return recs, revoked, seq, nil
		}
		pos = j.next(pos)
	}
	return recs, revoked, seq, nil
}

// Discard empties a log that holds transactions without replaying them,
// as Linux does when the filesystem is not marked needs_recovery. Like
// Recover, it moves the sequence past the last transaction found.
func (j *Journal) Discard() error {
	if j.tail == 0 {
		return nil
	}
	var st Stats
	_, _, end, err := j.scan(&st)
	if err != nil {
		return err
	}
	return j.reset(end)
}
