package ext4

import "syscall"

// setExtents replaces inode in's extent tree with one holding exts. The
// tree is rebuilt bottom-up with full nodes, so it is always as shallow
// and narrow as possible; old tree blocks (oldNodes) are reused first and
// the rest freed. i_blocks is adjusted for the change in tree blocks; the
// caller writes the inode.
func (fs *FS) setExtents(in *inode, exts []extent, oldNodes []uint64) error {
	exts = normalize(exts)
	per := int((fs.sb.blockSize - 12) / 12)
	items := make([][12]byte, len(exts))
	for k, e := range exts {
		n := e.n
		if e.uninit {
			n += extInitMax
		}
		le.PutUint32(items[k][0:], e.lblk)
		le.PutUint16(items[k][4:], uint16(n))
		le.PutUint16(items[k][6:], uint16(e.pblk>>32))
		le.PutUint32(items[k][8:], uint32(e.pblk))
	}
	// Reserve every block the new tree needs before writing any, so that
	// ENOSPC leaves the old tree intact.
	need := 0
	for n := len(items); n > 4; {
		n = (n + per - 1) / per
		need += n
	}
	pool := append([]uint64(nil), oldNodes...)
	var used []uint64
	goal := uint64(0)
	if len(exts) > 0 {
		goal = exts[0].pblk
	}
	for len(pool) < need {
		b, _, err := fs.allocBlocks(goal, 1)
		if err != nil {
			for _, b := range used {
				fs.freeBlocks(b, 1)
			}
			return err
		}
		used = append(used, b)
		pool = append(pool, b)
	}
	take := func() uint64 {
		b := pool[0]
		pool = pool[1:]
		return b
	}
	depth := 0
	for len(items) > 4 {
		var next [][12]byte
		for start := 0; start < len(items); start += per {
			chunk := items[start:min(start+per, len(items))]
			blk := take()
			b := make([]byte, fs.sb.blockSize)
			putNode(b, chunk, per, depth)
			if fs.sb.metaCsum() {
				t := 12 + 12*per
				le.PutUint32(b[t:], crc32c(fs.inodeSeed(in), b[:t]))
			}
			if err := fs.writeBlock(blk, b); err != nil {
				return err
			}
			var idx [12]byte
			copy(idx[0:4], chunk[0][0:4])
			le.PutUint32(idx[4:], uint32(blk))
			le.PutUint16(idx[8:], uint16(blk>>32))
			next = append(next, idx)
		}
		items = next
		depth++
	}
	root := in.b[inBlock : inBlock+inBlockLen]
	clear(root)
	putNode(root, items, 4, depth)
	newCount := need
	for _, b := range pool {
		if err := fs.freeBlocks(b, 1); err != nil {
			return err
		}
	}
	fs.addBlocks(in, int64(newCount-len(oldNodes)))
	in.put32(inFlags, in.flags()|flagExtents)
	return nil
}

func putNode(b []byte, entries [][12]byte, max, depth int) {
	le.PutUint16(b[0:], extMagic)
	le.PutUint16(b[2:], uint16(len(entries)))
	le.PutUint16(b[4:], uint16(max))
	le.PutUint16(b[6:], uint16(depth))
	le.PutUint32(b[8:], 0)
	for k, e := range entries {
		copy(b[12+12*k:], e[:])
	}
}

// writeData writes p at off into regular file or symlink in, allocating
// blocks for holes and initialising uninitialised extents it touches. It
// does not update the size or times; the caller writes the inode.
func (fs *FS) writeData(in *inode, p []byte, off int64) error {
	if in.flags()&flagInlineData != 0 || in.flags()&flagExtents == 0 && fs.sectors(in) != 0 {
		return syscall.EOPNOTSUPP
	}
	if in.flags()&flagExtents == 0 {
		if err := fs.setExtents(in, nil, nil); err != nil {
			return err
		}
	}
	bs := fs.sb.blockSize
	end := off + int64(len(p))
	from, to := uint64(off/bs), uint64((end+bs-1)/bs)
	if len(p) == 0 {
		return nil
	}
	if to > maxLblk {
		return syscall.EFBIG
	}
	exts, nodes, err := fs.allExtents(in)
	if err != nil {
		return err
	}
	wasInit := func(l uint64) bool {
		for _, e := range exts {
			if uint64(e.lblk) <= l && l < e.end() {
				return !e.uninit
			}
		}
		return false
	}
	final, allocated, changed, err := fs.mapForWrite(in, exts, from, to)
	if err != nil {
		return err
	}
	// Record the new mapping first: if that fails (ENOSPC for a tree
	// block) nothing has been written yet.
	if changed {
		if err := fs.setExtents(in, append([]extent(nil), final...), nodes); err != nil {
			fs.undoAlloc(in, allocated)
			return err
		}
	}
	for _, e := range final {
		lo, hi := max(int64(e.lblk)*bs, off), min(int64(e.end())*bs, end)
		if lo >= hi {
			continue
		}
		if err := fs.writeRun(e, p[lo-off:hi-off], lo, wasInit); err != nil {
			return err
		}
	}
	return nil
}

// undoAlloc frees blocks allocated for a write that failed.
func (fs *FS) undoAlloc(in *inode, allocated []extent) {
	for _, a := range allocated {
		fs.freeBlocks(a.pblk, uint64(a.n))
		fs.addBlocks(in, -int64(a.n))
	}
}

// mapForWrite returns the mapping after making logical blocks [from, to)
// allocated and initialised, the newly allocated runs, and whether the
// mapping changed. New blocks are added to i_blocks.
func (fs *FS) mapForWrite(in *inode, exts []extent, from, to uint64) ([]extent, []extent, bool, error) {
	final := append([]extent(nil), exts...)
	changed := false
	// Initialise uninitialised extents in range (the data written, and
	// zeros around it in partial blocks, make them real).
	for k, e := range final {
		if e.uninit && e.end() > from && uint64(e.lblk) < to {
			changed = true
			var rest, mid []extent
			rest, mid = punch([]extent{e}, from, to)
			final[k].n = 0
			for _, m := range mid {
				m.uninit = false
				final = append(final, m)
			}
			final = append(final, rest...)
		}
	}
	final = normalize(final)
	var allocated []extent
	cur := from
	for cur < to {
		// Find the extent covering cur, or the gap up to the next one.
		gapEnd, goal := to, uint64(0)
		covered := false
		for _, e := range final {
			if uint64(e.lblk) <= cur && cur < e.end() {
				cur, covered = e.end(), true
				break
			}
			if uint64(e.lblk) > cur {
				gapEnd = min(gapEnd, uint64(e.lblk))
				break
			}
			goal = e.pblk + (cur - uint64(e.lblk))
		}
		if covered {
			continue
		}
		if goal == 0 {
			g := (in.ino - 1) / fs.sb.ipg
			goal, _ = fs.sb.groupRange(g)
		}
		want := uint32(min(gapEnd-cur, extInitMax))
		blk, got, err := fs.allocBlocks(goal, want)
		if err != nil {
			fs.undoAlloc(in, allocated)
			return nil, nil, false, err
		}
		a := extent{lblk: uint32(cur), pblk: blk, n: got}
		allocated = append(allocated, a)
		final = normalize(append(final, a))
		fs.addBlocks(in, int64(got))
		cur += uint64(got)
		changed = true
	}
	return final, allocated, changed, nil
}

// writeRun writes data, which starts at file offset lo, into extent e.
// Partial blocks are merged with their old contents if they were
// initialised, or with zeros if not.
func (fs *FS) writeRun(e extent, data []byte, lo int64, wasInit func(uint64) bool) error {
	bs := fs.sb.blockSize
	disk := func(fileOff int64) int64 { return int64(e.pblk)*bs + fileOff - int64(e.lblk)*bs }
	partial := func(fileOff int64, chunk []byte) error {
		l := fileOff / bs
		pb := e.pblk + uint64(l) - uint64(e.lblk)
		buf := make([]byte, bs)
		if wasInit(uint64(l)) {
			old, err := fs.dataBlock(pb)
			if err != nil {
				return err
			}
			copy(buf, old)
		}
		copy(buf[fileOff-l*bs:], chunk)
		if _, err := fs.dev.WriteAt(buf, disk(l*bs)); err != nil {
			fs.data.drop(pb)
			return syscall.EIO
		}
		fs.data.put(pb, buf)
		return nil
	}
	hi := lo + int64(len(data))
	if lo%bs != 0 || hi-lo < bs {
		n := min(hi, (lo/bs+1)*bs) - lo
		if err := partial(lo, data[:n]); err != nil {
			return err
		}
		data, lo = data[n:], lo+n
	}
	if full := int64(len(data)) / bs * bs; full > 0 {
		fs.dropData(uint64(disk(lo)/bs), uint64(full/bs))
		if _, err := fs.dev.WriteAt(data[:full], disk(lo)); err != nil {
			return syscall.EIO
		}
		data, lo = data[full:], lo+full
	}
	if len(data) > 0 {
		return partial(lo, data)
	}
	return nil
}

// truncateBlocks frees every block at or after logical block keep.
func (fs *FS) truncateBlocks(in *inode, keep uint64) error {
	if in.flags()&flagExtents == 0 {
		if fs.sectors(in) == 0 || in.isLink() && fastSymlink(in) {
			return nil
		}
		return syscall.EOPNOTSUPP
	}
	exts, nodes, err := fs.allExtents(in)
	if err != nil {
		return err
	}
	kept, freed := punch(exts, keep, maxLblk+1)
	if len(freed) == 0 {
		return nil
	}
	for _, f := range freed {
		if err := fs.freeBlocks(f.pblk, uint64(f.n)); err != nil {
			return err
		}
		fs.addBlocks(in, -int64(f.n))
	}
	return fs.setExtents(in, kept, nodes)
}

// zeroTail clears the bytes of the block holding file offset size that lie
// beyond it, so that growing the file later exposes zeros.
func (fs *FS) zeroTail(in *inode, size uint64) error {
	bs := uint64(fs.sb.blockSize)
	if size%bs == 0 || in.flags()&flagExtents == 0 {
		return nil
	}
	exts, err := fs.mapRange(in, size/bs, size/bs+1)
	if err != nil || len(exts) == 0 || exts[0].uninit {
		return err
	}
	e := exts[0]
	pos := int64(e.pblk+(size/bs-uint64(e.lblk)))*int64(bs) + int64(size%bs)
	fs.data.drop(uint64(pos) / bs)
	if _, err := fs.dev.WriteAt(make([]byte, bs-size%bs), pos); err != nil {
		return syscall.EIO
	}
	return nil
}
