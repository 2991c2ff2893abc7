package ext4

import (
	"sort"
	"syscall"
)

// dxFrame is one index block on the path from the root to a leaf.
type dxFrame struct {
	pblk uint64
	b    []byte
	off  int // offset of the count/limit header
	at   int // entry followed
}

func (f *dxFrame) count() int { return int(le.Uint16(f.b[f.off+2:])) }
func (f *dxFrame) limit() int { return int(le.Uint16(f.b[f.off:])) }

// dxAdd inserts an entry into an indexed directory, keeping the index: it
// finds the leaf by hash, and if the leaf is full splits it by hash into a
// new block and adds an index entry for it, growing the index (a second
// level, then splitting second-level nodes) as needed. It returns false,
// having changed nothing, when the index cannot take the entry (both
// levels full, or an index it does not understand); the caller then makes
// the directory linear.
func (fs *FS) dxAdd(d *inode, name string, ino uint32, ftype uint8) (bool, error) {
	bs := uint64(fs.sb.blockSize)
	lookup := func(l uint64) (uint64, []byte) {
		if l >= d.size()/bs {
			return 0, nil
		}
		exts, err := fs.mapRange(d, l, l+1)
		if err != nil || len(exts) != 1 || exts[0].uninit {
			return 0, nil
		}
		p := exts[0].pblk + l - uint64(exts[0].lblk)
		b, err := fs.blockCopy(p)
		if err != nil {
			return 0, nil
		}
		return p, b
	}
	rootP, root := lookup(0)
	if root == nil || root[24+5] != 8 || root[24+6] > 1 {
		return false, nil
	}
	hash, ok := fs.dirHash([]byte(name), root[24+4])
	if !ok {
		return false, nil
	}
	frames := []*dxFrame{{pblk: rootP, b: root, off: 32}}
	for levels := int(root[24+6]); ; levels-- {
		f := frames[len(frames)-1]
		count := f.count()
		if count == 0 || count > f.limit() || f.off+8*f.limit() > len(f.b) || !fs.dxCsumOK(d, f.b, f.off) {
			return false, nil
		}
		for k := 1; k < count && le.Uint32(f.b[f.off+8*k:]) <= hash; k++ {
			f.at = k
		}
		if levels == 0 {
			break
		}
		p, b := lookup(f.child(f.at))
		if b == nil {
			return false, nil
		}
		frames = append(frames, &dxFrame{pblk: p, b: b, off: 8})
	}
	leafL := frames[len(frames)-1].child(frames[len(frames)-1].at)
	leafP, leaf := lookup(leafL)
	if leaf == nil || !fs.dirBlockOK(d, leaf) {
		return false, nil
	}
	if fs.insertInBlock(leaf, name, ino, ftype) {
		return true, fs.storeDirBlock(d, leafP, leaf)
	}
	f, err := fs.dxMakeRoom(d, frames)
	if f == nil || err != nil {
		return false, err
	}
	return true, fs.dxSplit(d, dxSplitArgs{f.pblk, f.b, f.off, f.at, leafP, leaf, hash, name, ino, ftype})
}

func (f *dxFrame) child(k int) uint64 { return uint64(le.Uint32(f.b[f.off+8*k+4:]) & 0x0FFFFFFF) }

// dxNodeLimit is how many entries an index block holds when its entries
// start at off (a checksum tail takes one entry's room).
func (fs *FS) dxNodeLimit(off int) int {
	n := (int(fs.sb.blockSize) - off) / 8
	if fs.sb.metaCsum() {
		n--
	}
	return n
}

// dxNewNode returns an empty second-level index block holding entries.
func (fs *FS) dxNewNode(entries []byte) []byte {
	b := make([]byte, fs.sb.blockSize)
	fs.putRecLen(b[4:], int(fs.sb.blockSize))
	le.PutUint16(b[8:], uint16(fs.dxNodeLimit(8)))
	le.PutUint16(b[10:], uint16(len(entries)/8))
	copy(b[12:], entries[4:]) // entry 0's hash slot is the count/limit header
	return b
}

// dxMakeRoom returns the index block (with .at set) that will receive the
// index entry for a new leaf, after splitting or deepening the index if
// the current one is full; nil if the index is at its limit.
func (fs *FS) dxMakeRoom(d *inode, frames []*dxFrame) (*dxFrame, error) {
	last := frames[len(frames)-1]
	if last.count() < last.limit() {
		return last, nil
	}
	root := frames[0]
	bs := uint64(fs.sb.blockSize)
	if len(frames) == 1 {
		// Deepen: the root's entries move to a new node, the root keeps
		// one entry pointing at it.
		n := root.count()
		node := fs.dxNewNode(root.b[root.off : root.off+8*n])
		newL := d.size() / bs
		fs.setDxCsum(d, node, 8)
		if err := fs.appendDirBlock(d, root.pblk+1, node); err != nil {
			return nil, err
		}
		le.PutUint16(root.b[root.off+2:], 1)
		le.PutUint32(root.b[root.off+4:], uint32(newL))
		root.b[24+6] = 1
		fs.setDxCsum(d, root.b, root.off)
		if err := fs.writeBlock(root.pblk, root.b); err != nil {
			return nil, err
		}
		p, _, err := fs.lookupDirBlock(d, newL)
		if err != nil {
			return nil, err
		}
		return &dxFrame{pblk: p, b: node, off: 8, at: root.at}, nil
	}
	if root.count() >= root.limit() {
		return nil, nil
	}
	// Split the full second-level node: its upper half moves to a new
	// node, indexed in the root by the hash of its first entry.
	half := last.count() / 2
	moved := append([]byte(nil), last.b[last.off+8*half:last.off+8*last.count()]...)
	firstHash := le.Uint32(moved)
	upper := fs.dxNewNode(moved)
	newL := d.size() / bs
	fs.setDxCsum(d, upper, 8)
	if err := fs.appendDirBlock(d, last.pblk+1, upper); err != nil {
		return nil, err
	}
	le.PutUint16(last.b[last.off+2:], uint16(half))
	fs.setDxCsum(d, last.b, last.off)
	if err := fs.writeBlock(last.pblk, last.b); err != nil {
		return nil, err
	}
	if err := fs.dxInsert(d, root, root.at+1, firstHash, newL); err != nil {
		return nil, err
	}
	if last.at < half {
		return last, nil
	}
	p, _, err := fs.lookupDirBlock(d, newL)
	if err != nil {
		return nil, err
	}
	return &dxFrame{pblk: p, b: upper, off: 8, at: last.at - half}, nil
}

// dxInsert inserts the index entry (hash, lblk) at position p of frame f
// and writes the block.
func (fs *FS) dxInsert(d *inode, f *dxFrame, p int, hash uint32, lblk uint64) error {
	n, off, count := f.b, f.off, f.count()
	copy(n[off+8*(p+1):off+8*(count+1)], n[off+8*p:off+8*count])
	le.PutUint32(n[off+8*p:], hash)
	le.PutUint32(n[off+8*p+4:], uint32(lblk))
	le.PutUint16(n[off+2:], uint16(count+1))
	fs.setDxCsum(d, n, off)
	return fs.writeBlock(f.pblk, n)
}

// lookupDirBlock maps logical block l of directory d.
func (fs *FS) lookupDirBlock(d *inode, l uint64) (uint64, []byte, error) {
	exts, err := fs.mapRange(d, l, l+1)
	if err != nil || len(exts) != 1 {
		return 0, nil, syscall.EIO
	}
	p := exts[0].pblk + l - uint64(exts[0].lblk)
	b, err := fs.readBlock(p)
	return p, b, err
}

// dxSplitArgs carries a leaf split: the index block that gets the new
// entry (and the entry followed in it), the full leaf, and the entry to add.
type dxSplitArgs struct {
	nodeP   uint64
	node    []byte
	off, at int
	leafP   uint64
	leaf    []byte
	hash    uint32
	name    string
	ino     uint32
	ftype   uint8
}

// dxSplit moves the upper half (by hash) of a full leaf into a new block,
// indexes it, and inserts the new entry where lookups will find it.
func (fs *FS) dxSplit(d *inode, a dxSplitArgs) error {
	type ent struct {
		hash  uint32
		ino   uint32
		ftype uint8
		name  string
	}
	var ents []ent
	hashVer := uint8(0)
	if root, err := fs.dirRoot(d); err == nil {
		hashVer = root[24+4]
	}
	err := fs.entries(a.leaf, 0, func(e rawEntry) bool {
		if e.ino != 0 {
			h, _ := fs.dirHash(e.name, hashVer)
			ents = append(ents, ent{h, e.ino, e.ftype, string(e.name)})
		}
		return true
	})
	if err != nil {
		return err
	}
	if len(ents) < 2 {
		return syscall.EIO
	}
	sort.SliceStable(ents, func(i, j int) bool { return ents[i].hash < ents[j].hash })
	split := len(ents) / 2
	hash2 := ents[split].hash
	if hash2 == ents[split-1].hash {
		hash2 |= 1 // the hash continues in the new block
	}
	pack := func(es []ent) []byte {
		b := fs.emptyDirBlock()
		for _, e := range es {
			fs.insertInBlock(b, e.name, e.ino, e.ftype)
		}
		return b
	}
	lower, upper := pack(ents[:split]), pack(ents[split:])
	target := lower
	if a.hash >= hash2 {
		target = upper
	}
	if !fs.insertInBlock(target, a.name, a.ino, a.ftype) {
		return syscall.ENOSPC // a name never outgrows half a block
	}
	bs := uint64(fs.sb.blockSize)
	newL := d.size() / bs
	if err := fs.appendDirBlock(d, a.leafP+1, upper); err != nil {
		return err
	}
	if err := fs.storeDirBlock(d, a.leafP, lower); err != nil {
		return err
	}
	return fs.dxInsert(d, &dxFrame{pblk: a.nodeP, b: a.node, off: a.off}, a.at+1, hash2, newL)
}

// dirRoot returns block 0 of directory d.
func (fs *FS) dirRoot(d *inode) ([]byte, error) {
	exts, err := fs.mapRange(d, 0, 1)
	if err != nil || len(exts) == 0 || exts[0].lblk != 0 {
		return nil, syscall.EIO
	}
	return fs.readBlock(exts[0].pblk)
}

// insertInBlock puts an entry into free space of directory block b, as
// addEntry does; false if it does not fit.
func (fs *FS) insertInBlock(b []byte, name string, ino uint32, ftype uint8) bool {
	need := entrySize(len(name))
	var at rawEntry
	found := false
	fs.entries(b, 0, func(e rawEntry) bool {
		used := 0
		if e.ino != 0 {
			used = entrySize(len(e.name))
		}
		if e.recLen-used >= need {
			at, found = e, true
		}
		return !found
	})
	if !found {
		return false
	}
	if at.ino == 0 {
		fs.putEntry(b[at.off:], ino, at.recLen, name, ftype)
		return true
	}
	used := entrySize(len(at.name))
	fs.putRecLen(b[at.off+4:], used)
	fs.putEntry(b[at.off+used:], ino, at.recLen-used, name, ftype)
	return true
}

// dxTail returns the offset of an index block's checksum tail: after
// limit entries counted from off (the count/limit header).
func dxTail(b []byte, off int) int { return off + 8*int(le.Uint16(b[off:])) }

func (fs *FS) dxCsum(d *inode, b []byte, off int) uint32 {
	count := int(le.Uint16(b[off+2:]))
	t := dxTail(b, off)
	c := crc32c(fs.inodeSeed(d), b[:off+8*count])
	c = crc32c(c, b[t:t+4])
	return crc32c(c, []byte{0, 0, 0, 0})
}

// dxCsumOK verifies an index block's checksum (metadata_csum only).
func (fs *FS) dxCsumOK(d *inode, b []byte, off int) bool {
	if !fs.sb.metaCsum() {
		return true
	}
	t := dxTail(b, off)
	return t+8 <= len(b) && off+8*int(le.Uint16(b[off+2:])) <= t && fs.dxCsum(d, b, off) == le.Uint32(b[t+4:])
}

func (fs *FS) setDxCsum(d *inode, b []byte, off int) {
	if !fs.sb.metaCsum() || off+4 > len(b) {
		return
	}
	t := dxTail(b, off)
	if t+8 > len(b) || off+8*int(le.Uint16(b[off+2:])) > t {
		return // not an index block we could have written
	}
	le.PutUint32(b[t+4:], fs.dxCsum(d, b, off))
}
