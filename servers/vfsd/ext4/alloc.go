package ext4

import "syscall"

// blockBitmap returns a private copy of group g's block bitmap,
// initialising it if the group is still BLOCK_UNINIT.
func (fs *FS) blockBitmap(g uint32) ([]byte, error) {
	if fs.gt.csumEnabled() && fs.gt.flags(g)&bgBlockUninit != 0 {
		return fs.initBlockBitmap(g), nil
	}
	return fs.blockCopy(fs.gt.blockBitmap(g))
}

// initBlockBitmap computes the bitmap of a BLOCK_UNINIT group: only its
// superblock backup, descriptor blocks and any group's bitmaps and inode
// table that flex_bg placed inside it are in use, and the bits past the end
// of a partial last group are set.
func (fs *FS) initBlockBitmap(g uint32) []byte {
	s := fs.sb
	b := make([]byte, s.blockSize)
	start, n := s.groupRange(g)
	mark := func(blk, count uint64) {
		for k := uint64(0); k < count; k++ {
			if x := blk + k; x >= start && x < start+uint64(n) {
				setBit(b, int(x-start))
			}
		}
	}
	if s.groupHasSuper(g) {
		mark(start, 1+s.gdtBlocks()+uint64(s.u16(sbReservedGDT)))
	}
	itBlocks := (uint64(s.ipg)*uint64(s.inodeSize) + uint64(s.blockSize) - 1) / uint64(s.blockSize)
	for h := uint32(0); h < s.groups; h++ {
		mark(fs.gt.blockBitmap(h), 1)
		mark(fs.gt.inodeBitmap(h), 1)
		mark(fs.gt.inodeTable(h), itBlocks)
	}
	for k := int(n); k < int(s.blockSize)*8; k++ {
		setBit(b, k)
	}
	return b
}

// inodeBitmap returns a private copy of group g's inode bitmap.
func (fs *FS) inodeBitmap(g uint32) ([]byte, error) {
	if fs.gt.csumEnabled() && fs.gt.flags(g)&bgInodeUninit != 0 {
		b := make([]byte, fs.sb.blockSize)
		for k := int(fs.sb.ipg); k < len(b)*8; k++ {
			setBit(b, k)
		}
		return b, nil
	}
	return fs.blockCopy(fs.gt.inodeBitmap(g))
}

func setBit(b []byte, k int)       { b[k/8] |= 1 << (k % 8) }
func clearBit(b []byte, k int)     { b[k/8] &^= 1 << (k % 8) }
func testBit(b []byte, k int) bool { return b[k/8]&(1<<(k%8)) != 0 }

// storeBlockBitmap writes group g's block bitmap and descriptor.
func (fs *FS) storeBlockBitmap(g uint32, b []byte) error {
	if err := fs.writeBlock(fs.gt.blockBitmap(g), b); err != nil {
		return err
	}
	fs.gt.setFlags(g, fs.gt.flags(g)&^bgBlockUninit)
	fs.gt.setBitmapCsum(g, gdBlockCsumLo, gdBlockCsumHi, b[:fs.sb.bpg/8])
	return fs.storeDesc(g)
}

func (fs *FS) storeInodeBitmap(g uint32, b []byte) error {
	if err := fs.writeBlock(fs.gt.inodeBitmap(g), b); err != nil {
		return err
	}
	fs.gt.setFlags(g, fs.gt.flags(g)&^bgInodeUninit)
	fs.gt.setBitmapCsum(g, gdInodeCsumLo, gdInodeCsumHi, b[:fs.sb.ipg/8])
	return fs.storeDesc(g)
}

// storeDesc checksums group g's descriptor and writes its descriptor block.
func (fs *FS) storeDesc(g uint32) error {
	fs.gt.updateChecksum(g)
	per := uint32(fs.sb.blockSize) / uint32(fs.sb.descSize)
	i := g / per
	blk := make([]byte, fs.sb.blockSize)
	d := fs.sb.descSize
	copy(blk, fs.gt.raw[int(i*per)*d:min(int((i+1)*per)*d, len(fs.gt.raw))])
	if int(per)*d > len(fs.gt.raw)-int(i*per)*d {
		// The tail of the last descriptor block is not ours; keep it.
		old, err := fs.readBlock(fs.gt.gdtBlock(uint64(i)))
		if err != nil {
			return err
		}
		n := len(fs.gt.raw) - int(i*per)*d
		copy(blk[n:], old[n:])
	}
	return fs.writeBlock(fs.gt.gdtBlock(uint64(i)), blk)
}

// storeSuper writes the superblock with fresh counters and checksum.
func (fs *FS) storeSuper() error {
	var freeB uint64
	var freeI uint32
	for g := uint32(0); g < fs.sb.groups; g++ {
		freeB += uint64(fs.gt.freeBlocks(g))
		freeI += fs.gt.freeInodes(g)
	}
	fs.sb.setFreeBlocks(freeB)
	le.PutUint32(fs.sb.raw[sbFreeInodes:], freeI)
	le.PutUint32(fs.sb.raw[sbWtime:], uint32(fs.opts.Now().Unix()))
	fs.sb.updateChecksum()
	if fs.jn == nil {
		if _, err := fs.dev.WriteAt(fs.sb.raw, 1024); err != nil {
			return syscall.EIO
		}
		return nil
	}
	// Journaled, the superblock is logged as the block that holds it.
	n := uint64(1024 / fs.sb.blockSize)
	b, err := fs.blockCopy(n)
	if err != nil {
		return err
	}
	copy(b[1024%fs.sb.blockSize:], fs.sb.raw)
	return fs.writeBlock(n, b)
}

// allocBlocks allocates up to n contiguous blocks, preferring goal, and
// returns the first block and how many it got (at least 1).
func (fs *FS) allocBlocks(goal uint64, n uint32) (uint64, uint32, error) {
	s := fs.sb
	if goal < s.firstData || goal >= s.blocksCount {
		goal = s.firstData
	}
	g0 := uint32((goal - s.firstData) / uint64(s.bpg))
	start0, _ := s.groupRange(g0)
	from := int(goal - start0)
	// Scan the goal's group from the goal, every other group, then the
	// goal's group below the goal.
	for i := uint32(0); i <= s.groups; i++ {
		g := (g0 + i) % s.groups
		start, count := s.groupRange(g)
		lo, hi := 0, int(count)
		switch {
		case i == 0:
			lo = from
		case i == s.groups && from == 0:
			continue
		case i == s.groups:
			hi = from
		}
		if fs.gt.freeBlocks(g) == 0 {
			continue
		}
		bm, err := fs.blockBitmap(g)
		if err != nil {
			return 0, 0, err
		}
		busy := fs.jn.busy(g, bm)
		for k := lo; k < hi; k++ {
			if testBit(busy, k) {
				continue
			}
			got := uint32(0)
			for k+int(got) < int(count) && got < n && !testBit(busy, k+int(got)) {
				setBit(bm, k+int(got))
				got++
			}
			fs.gt.set16(g, gdFreeBlocksLo, gdFreeBlocksHi, fs.gt.freeBlocks(g)-got)
			if err := fs.storeBlockBitmap(g, bm); err != nil {
				return 0, 0, err
			}
			return start + uint64(k), got, fs.storeSuper()
		}
	}
	return 0, 0, syscall.ENOSPC
}

// freeBlocks returns blocks [start, start+n) to their groups' bitmaps.
func (fs *FS) freeBlocks(start uint64, n uint64) error {
	s := fs.sb
	fs.dropData(start, n)
	for n > 0 {
		if start < s.firstData || start >= s.blocksCount {
			return syscall.EIO
		}
		g := uint32((start - s.firstData) / uint64(s.bpg))
		gs, count := s.groupRange(g)
		bm, err := fs.blockBitmap(g)
		if err != nil {
			return err
		}
		k := int(start - gs)
		k0 := k
		freed := uint32(0)
		for ; n > 0 && k < int(count); k, n, start = k+1, n-1, start+1 {
			if testBit(bm, k) {
				clearBit(bm, k)
				freed++
			}
			fs.forgetBlock(start)
		}
		fs.jn.noteFreed(g, k0, k-k0)
		fs.gt.set16(g, gdFreeBlocksLo, gdFreeBlocksHi, fs.gt.freeBlocks(g)+freed)
		if err := fs.storeBlockBitmap(g, bm); err != nil {
			return err
		}
	}
	return fs.storeSuper()
}

// allocInode allocates an inode near directory parent.
func (fs *FS) allocInode(parent uint32, dir bool) (uint32, error) {
	s := fs.sb
	g0 := (parent - 1) / s.ipg
	for i := uint32(0); i < s.groups; i++ {
		g := (g0 + i) % s.groups
		if fs.gt.freeInodes(g) == 0 {
			continue
		}
		bm, err := fs.inodeBitmap(g)
		if err != nil {
			return 0, err
		}
		for k := uint32(0); k < s.ipg; k++ {
			ino := g*s.ipg + k + 1
			if testBit(bm, int(k)) || ino < s.firstIno {
				continue
			}
			if fs.gt.csumEnabled() && fs.gt.flags(g)&bgBlockUninit != 0 {
				// Linux initialises the block bitmap of a group before
				// it places inodes there; so do we.
				if err := fs.storeBlockBitmap(g, fs.initBlockBitmap(g)); err != nil {
					return 0, err
				}
			}
			setBit(bm, int(k))
			fs.gt.set16(g, gdFreeInodesLo, gdFreeInodesHi, fs.gt.freeInodes(g)-1)
			if dir {
				fs.gt.set16(g, gdUsedDirsLo, gdUsedDirsHi, fs.gt.usedDirs(g)+1)
			}
			if fs.gt.csumEnabled() {
				if unused := fs.gt.itableUnused(g); k >= s.ipg-unused {
					fs.gt.set16(g, gdItableUnusedLo, gdItableUnusedHi, s.ipg-k-1)
				}
			}
			if err := fs.storeInodeBitmap(g, bm); err != nil {
				return 0, err
			}
			return ino, fs.storeSuper()
		}
	}
	return 0, syscall.ENOSPC
}

// freeInodeBit releases inode ino in its group's bitmap.
func (fs *FS) freeInodeBit(ino uint32, dir bool) error {
	g, k := (ino-1)/fs.sb.ipg, int((ino-1)%fs.sb.ipg)
	bm, err := fs.inodeBitmap(g)
	if err != nil {
		return err
	}
	if !testBit(bm, k) {
		return syscall.EIO
	}
	clearBit(bm, k)
	fs.gt.set16(g, gdFreeInodesLo, gdFreeInodesHi, fs.gt.freeInodes(g)+1)
	if dir && fs.gt.usedDirs(g) > 0 {
		fs.gt.set16(g, gdUsedDirsLo, gdUsedDirsHi, fs.gt.usedDirs(g)-1)
	}
	if err := fs.storeInodeBitmap(g, bm); err != nil {
		return err
	}
	return fs.storeSuper()
}
