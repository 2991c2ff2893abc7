package ext4

import (
	"math/rand/v2"
	"strings"
	"syscall"
	"time"
)

// maxLinks is ext4's link limit; directories beyond it use dir_nlink's
// "link count 1 means many".
const maxLinks = 65000

// isInline reports whether the inode keeps its data in the inode
// (inline_data); such inodes are read but not modified by this engine.
func isInline(in *inode) bool { return in.flags()&flagInlineData != 0 }

// touch sets the inode's atime, mtime and/or ctime to now.
func (fs *FS) touch(in *inode, a, m, c bool) {
	now := fs.opts.Now()
	if a {
		in.setTimestamp(inAtime, inAtimeExtra, now)
	}
	if m {
		in.setTimestamp(inMtime, inMtimeExtra, now)
	}
	if c {
		in.setTimestamp(inCtime, inCtimeExtra, now)
	}
}

func checkName(name string) error {
	switch {
	case len(name) > 255:
		return syscall.ENAMETOOLONG
	case name == "" || strings.ContainsAny(name, "/\x00"):
		return syscall.EINVAL
	case name == "." || name == "..":
		return syscall.EEXIST
	}
	return nil
}

// dirForCreate loads directory dir and checks that name can be added.
func (fs *FS) dirForCreate(dir uint32, name string) (*inode, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	d, err := fs.liveInode(dir)
	if err != nil {
		return nil, err
	}
	if d.links() == 0 {
		return nil, syscall.ENOENT // removed directory, still open
	}
	switch _, err := fs.find(d, name); err {
	case nil:
		return nil, syscall.EEXIST
	case syscall.ENOENT:
		return d, nil
	default:
		return nil, err
	}
}

// newInode allocates and initialises an inode of the given mode.
func (fs *FS) newInode(parent uint32, mode uint16, uid, gid uint32) (*inode, error) {
	ino, err := fs.allocInode(parent, mode&sIFMT == sIFDIR)
	if err != nil {
		return nil, err
	}
	in := &inode{ino: ino, b: make([]byte, fs.sb.inodeSize)}
	if fs.sb.inodeSize > 128 {
		extra := min(32, fs.sb.inodeSize-128)
		if w := int(fs.sb.u16(sbWantExtraIsize)); w > extra && w <= fs.sb.inodeSize-128 {
			extra = w
		}
		in.put16(inExtraIsize, uint16(extra))
	}
	in.put16(inMode, mode)
	in.setOwner(uid, gid)
	in.put16(inLinks, 1)
	in.put32(inGeneration, rand.Uint32())
	now := fs.opts.Now()
	for _, f := range [][2]int{{inAtime, inAtimeExtra}, {inMtime, inMtimeExtra}, {inCtime, inCtimeExtra}, {inCrtime, inCrtimeExtra}} {
		if f[0] < 128 || in.hasField(f[0]) {
			in.setTimestamp(f[0], f[1], now)
		}
	}
	if f := mode & sIFMT; (f == sIFREG || f == sIFDIR) && fs.sb.hasExtents() {
		if err := fs.setExtents(in, nil, nil); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// link adds the new inode to directory d, undoing the allocation on
// failure.
func (fs *FS) link(d, in *inode, name string) error {
	if err := fs.writeInode(in); err != nil {
		return err
	}
	if err := fs.addEntry(d, name, in.ino, ftypeOf(in.mode())); err != nil {
		fs.releaseInode(in)
		return err
	}
	return nil
}

// Create makes a regular file and returns its inode number.
func (fs *FS) Create(dir uint32, name string, perm uint32, uid, gid uint32) (uint32, error) {
	return fs.Mknod(dir, name, sIFREG|perm&07777, 0, uid, gid)
}

// Mknod makes a regular file, fifo, socket or character or block device
// node; mode carries the type bits.
func (fs *FS) Mknod(dir uint32, name string, mode uint32, rdev uint64, uid, gid uint32) (uint32, error) {
	switch mode & sIFMT {
	case sIFREG, sIFIFO, sIFSOCK, sIFCHR, sIFBLK:
	default:
		return 0, syscall.EINVAL
	}
	if err := fs.wlock(); err != nil {
		return 0, err
	}
	defer fs.mu.Unlock()
	d, err := fs.dirForCreate(dir, name)
	if err != nil {
		return 0, err
	}
	in, err := fs.newInode(dir, uint16(mode), uid, gid)
	if err != nil {
		return 0, err
	}
	if f := mode & sIFMT; f == sIFCHR || f == sIFBLK {
		encodeDev(in, rdev)
	}
	return in.ino, fs.link(d, in, name)
}

// Mkdir makes a directory.
func (fs *FS) Mkdir(dir uint32, name string, perm uint32, uid, gid uint32) (uint32, error) {
	if err := fs.wlock(); err != nil {
		return 0, err
	}
	defer fs.mu.Unlock()
	d, err := fs.dirForCreate(dir, name)
	if err != nil {
		return 0, err
	}
	if d.links() >= maxLinks && fs.sb.roCompat&roCompatDirNlink == 0 {
		return 0, syscall.EMLINK
	}
	in, err := fs.newInode(dir, uint16(sIFDIR|perm&07777), uid, gid)
	if err != nil {
		return 0, err
	}
	in.put16(inLinks, 2)
	b := fs.emptyDirBlock()
	span := fs.recLen(le.Uint16(b[4:]))
	fs.putEntry(b, in.ino, 12, ".", 2)
	fs.putEntry(b[12:], dir, span-12, "..", 2)
	dg := (dir - 1) / fs.sb.ipg
	goal, _ := fs.sb.groupRange(dg)
	if err := fs.appendDirBlock(in, goal, b); err != nil {
		fs.releaseInode(in)
		return 0, err
	}
	if err := fs.link(d, in, name); err != nil {
		return 0, err
	}
	fs.incLinks(d)
	return in.ino, fs.writeInode(d)
}

func (fs *FS) incLinks(d *inode) {
	switch n := d.links(); {
	case n == 1 && d.isDir():
	case n+1 >= maxLinks && d.isDir():
		d.put16(inLinks, 1)
	default:
		d.put16(inLinks, n+1)
	}
}

func (fs *FS) decLinks(d *inode) {
	if n := d.links(); n > 2 || n > 0 && !d.isDir() {
		d.put16(inLinks, n-1)
	}
}

// Symlink makes a symbolic link to target.
func (fs *FS) Symlink(dir uint32, name, target string, uid, gid uint32) (uint32, error) {
	if len(target) == 0 {
		return 0, syscall.ENOENT
	}
	if len(target) >= 4096 { // PATH_MAX, checked before anything else
		return 0, syscall.ENAMETOOLONG
	}
	if err := fs.wlock(); err != nil {
		return 0, err
	}
	defer fs.mu.Unlock()
	d, err := fs.dirForCreate(dir, name)
	if err != nil {
		return 0, err
	}
	// Like ext4_symlink, the block size limit applies after the name
	// was found free.
	if len(target) >= int(fs.sb.blockSize) {
		return 0, syscall.ENAMETOOLONG
	}
	in, err := fs.newInode(dir, sIFLNK|0777, uid, gid)
	if err != nil {
		return 0, err
	}
	in.setSize(uint64(len(target)))
	if len(target) < inBlockLen {
		copy(in.b[inBlock:], target)
	} else if err := fs.writeData(in, []byte(target), 0); err != nil {
		fs.releaseInode(in)
		return 0, err
	}
	return in.ino, fs.link(d, in, name)
}

// Link adds a hard link named name in dir to inode ino.
func (fs *FS) Link(ino, dir uint32, name string) error {
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return err
	}
	if in.isDir() {
		return syscall.EPERM
	}
	if in.links() >= maxLinks {
		return syscall.EMLINK
	}
	if in.links() == 0 {
		return syscall.ENOENT
	}
	d, err := fs.dirForCreate(dir, name)
	if err != nil {
		return err
	}
	if err := fs.addEntry(d, name, ino, ftypeOf(in.mode())); err != nil {
		return err
	}
	in.put16(inLinks, in.links()+1)
	fs.touch(in, false, false, true)
	return fs.writeInode(in)
}

// Unlink removes a non-directory entry.
func (fs *FS) Unlink(dir uint32, name string) error {
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	d, err := fs.liveInode(dir)
	if err != nil {
		return err
	}
	e, err := fs.find(d, name)
	if err != nil {
		return err
	}
	in, err := fs.liveInode(e.ino)
	if err != nil {
		return err
	}
	if in.isDir() {
		return syscall.EISDIR
	}
	if _, err := fs.removeEntry(d, name); err != nil {
		return err
	}
	return fs.dropLink(in)
}

// dropLink decrements in's link count, freeing it if no link or reference
// remains.
func (fs *FS) dropLink(in *inode) error {
	fs.decLinks(in)
	if in.isDir() {
		in.put16(inLinks, 0)
	}
	fs.touch(in, false, false, true)
	if err := fs.writeInode(in); err != nil {
		return err
	}
	return fs.maybeFree(in.ino)
}

// Rmdir removes an empty directory.
func (fs *FS) Rmdir(dir uint32, name string) error {
	if name == "." {
		return syscall.EINVAL
	}
	if name == ".." {
		return syscall.ENOTEMPTY
	}
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	d, err := fs.liveInode(dir)
	if err != nil {
		return err
	}
	e, err := fs.find(d, name)
	if err != nil {
		return err
	}
	in, err := fs.liveInode(e.ino)
	if err != nil {
		return err
	}
	if !in.isDir() {
		return syscall.ENOTDIR
	}
	if empty, err := fs.isEmptyDir(in); err != nil || !empty {
		if err == nil {
			err = syscall.ENOTEMPTY
		}
		return err
	}
	if _, err := fs.removeEntry(d, name); err != nil {
		return err
	}
	fs.decLinks(d)
	if err := fs.writeInode(d); err != nil {
		return err
	}
	return fs.dropLink(in)
}

// Acquire notes that inode ino is open, so that unlinking its last name
// defers freeing it until Release.
func (fs *FS) Acquire(ino uint32) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.refs[ino]++
}

// Release drops a reference taken by Acquire, freeing the inode if it has
// no links left.
func (fs *FS) Release(ino uint32) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.refs[ino] <= 1 {
		delete(fs.refs, ino)
	} else {
		fs.refs[ino]--
		return nil
	}
	if fs.closed || fs.roReason != "" {
		return nil
	}
	return fs.maybeFree(ino)
}

// maybeFree frees inode ino if it has no links and no references.
func (fs *FS) maybeFree(ino uint32) error {
	if fs.refs[ino] > 0 || fs.roReason != "" {
		return nil
	}
	in, err := fs.inode(ino)
	if err != nil {
		return err
	}
	if in.links() != 0 || in.mode() == 0 || in.u32(inDtime) != 0 {
		return nil
	}
	return fs.releaseInode(in)
}

// releaseInode frees an inode's blocks, extended attribute block and
// bitmap bit, leaving a deleted inode (dtime set) like Linux does.
func (fs *FS) releaseInode(in *inode) error {
	dir := in.isDir()
	if in.isReg() || dir || in.isLink() && !fastSymlink(in) {
		if err := fs.truncateBlocks(in, 0); err != nil {
			return err
		}
	}
	if err := fs.releaseXattrBlock(in); err != nil {
		return err
	}
	in.put16(inLinks, 0)
	in.setSize(0)
	in.put32(inDtime, uint32(fs.opts.Now().Unix()))
	if err := fs.writeInode(in); err != nil {
		return err
	}
	return fs.freeInodeBit(in.ino, dir)
}

// releaseXattrBlock drops in's reference to its extended attribute block.
func (fs *FS) releaseXattrBlock(in *inode) error {
	blk := in.fileACL()
	if blk == 0 {
		return nil
	}
	b, err := fs.blockCopy(blk)
	if err != nil {
		return err
	}
	if le.Uint32(b) != 0xEA020000 {
		return syscall.EIO
	}
	in.put32(inFileACLLo, 0)
	in.put16(inFileACLHi, 0)
	fs.addBlocks(in, -1)
	if refs := le.Uint32(b[4:]); refs > 1 {
		le.PutUint32(b[4:], refs-1)
		if fs.sb.metaCsum() {
			le.PutUint32(b[0x10:], 0)
			c := crc32cU32(fs.sb.csumSeed, uint32(blk))
			c = crc32cU32(c, uint32(blk>>32))
			le.PutUint32(b[0x10:], crc32c(c, b))
		}
		return fs.writeBlock(blk, b)
	}
	return fs.freeBlocks(blk, 1)
}

// WriteAt writes p to regular file ino at offset off, growing it as
// needed, and returns len(p) or an error (nothing is reported written on
// error).
func (fs *FS) WriteAt(ino uint32, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if uint64(off)+uint64(len(p)) > maxLblk*uint64(fs.sb.blockSize) {
		return 0, syscall.EFBIG
	}
	if err := fs.wlock(); err != nil {
		return 0, err
	}
	defer fs.mu.Unlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return 0, err
	}
	if in.isDir() {
		return 0, syscall.EISDIR
	}
	if !in.isReg() {
		return 0, syscall.EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := uint64(off) + uint64(len(p))
	if old := in.size(); uint64(off) > old {
		if err := fs.zeroTail(in, old); err != nil {
			return 0, err
		}
	}
	if err := fs.writeData(in, p, off); err != nil {
		fs.writeInode(in) // keep i_blocks in step with what was allocated
		return 0, err
	}
	if end > in.size() {
		in.setSize(end)
	}
	fs.touch(in, false, true, true)
	return len(p), fs.writeInode(in)
}

// Truncate sets regular file ino's size, freeing blocks past it.
func (fs *FS) Truncate(ino uint32, size uint64) error {
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return err
	}
	if in.isDir() {
		return syscall.EISDIR
	}
	if !in.isReg() {
		return syscall.EINVAL
	}
	if isInline(in) {
		return syscall.EOPNOTSUPP
	}
	bs := uint64(fs.sb.blockSize)
	if size > maxLblk*bs {
		return syscall.EFBIG
	}
	old := in.size()
	if size < old {
		if err := fs.truncateBlocks(in, (size+bs-1)/bs); err != nil {
			return err
		}
		if err := fs.zeroTail(in, size); err != nil {
			return err
		}
	} else if size > old {
		if err := fs.zeroTail(in, old); err != nil {
			return err
		}
	}
	if size != old {
		in.setSize(size)
		fs.touch(in, false, true, true)
	}
	return fs.writeInode(in)
}

// SetAttrs selects the attributes SetAttr changes.
type SetAttrs struct {
	Mode         *uint32 // permission bits (07777)
	UID, GID     *uint32
	Atime, Mtime *time.Time
}

// SetAttr changes permissions, ownership and timestamps; ctime is set to
// now. Permission checks are the caller's.
func (fs *FS) SetAttr(ino uint32, s SetAttrs) error {
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return err
	}
	if s.Mode != nil {
		in.put16(inMode, in.mode()&sIFMT|uint16(*s.Mode&07777))
	}
	uid, gid := in.uid(), in.gid()
	if s.UID != nil {
		uid = *s.UID
	}
	if s.GID != nil {
		gid = *s.GID
	}
	in.setOwner(uid, gid)
	if s.Atime != nil {
		in.setTimestamp(inAtime, inAtimeExtra, *s.Atime)
	}
	if s.Mtime != nil {
		in.setTimestamp(inMtime, inMtimeExtra, *s.Mtime)
	}
	fs.touch(in, false, false, true)
	return fs.writeInode(in)
}
