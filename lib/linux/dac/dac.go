// Package dac is Linux's discretionary access control as a pure function
// of a credential and a file's mode and owner: the permission check behind
// open, execve, access and directory lookup (generic_permission), and the
// ownership rules of unlink/rename in sticky directories, chmod, chown and
// utimensat.
//
// vfsd calls it in-process for every path walk; authd serves the same
// functions over the auth protocol. It knows nothing of ACLs, user
// namespaces, immutable or append-only flags, or LSMs: Aramid has none of
// them, so their checks would be dead code.
package dac

import "syscall"

// CapSet is a set of Linux capabilities, one bit per CAP_* number of
// linux/capability.h, so it is bit-compatible with capget(2) masks.
type CapSet uint64

// Capability numbers, Linux's.
const (
	CapChown          = 0
	CapDacOverride    = 1
	CapDacReadSearch  = 2
	CapFowner         = 3
	CapFsetid         = 4
	CapKill           = 5
	CapSetgid         = 6
	CapSetuid         = 7
	CapSetpcap        = 8
	CapLinuxImmutable = 9
	CapNetBindService = 10
	CapNetRaw         = 13
	CapSysPtrace      = 19
	CapSysAdmin       = 21
	CapSysBoot        = 22
	CapSysNice        = 23
	CapMknod          = 27
	CapMacOverride    = 32
	CapWakeAlarm      = 35
	CapLast           = 40 // CAP_CHECKPOINT_RESTORE, Linux 5.9 and later
)

// AllCaps is every capability Linux knows, root's usual set.
const AllCaps CapSet = 1<<(CapLast+1) - 1

// Has reports whether c is in s.
func (s CapSet) Has(c int) bool { return c >= 0 && c < 64 && s&(1<<c) != 0 }

// With returns s with the capabilities cs added.
func (s CapSet) With(cs ...int) CapSet {
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// Cred is the part of a credential that file access uses: the filesystem
// ids (which follow the effective ids unless setfsuid/setfsgid moved them),
// the supplementary groups and the effective capabilities.
type Cred struct {
	FSUID, FSGID uint32
	Groups       []uint32
	Caps         CapSet
}

// InGroup reports whether gid is c's filesystem gid or one of its
// supplementary groups (Linux's in_group_p).
func (c *Cred) InGroup(gid uint32) bool {
	if c.FSGID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// File is the part of an inode that access control reads.
type File struct {
	Mode     uint32 // full st_mode, file type bits included
	UID, GID uint32
}

// IsDir reports whether f is a directory.
func (f File) IsDir() bool { return f.Mode&syscall.S_IFMT == syscall.S_IFDIR }

// Access masks, Linux's MAY_* values (and access(2)'s X_OK, W_OK, R_OK).
const (
	MayExec  = 1
	MayWrite = 2
	MayRead  = 4
)

// Mode bits.
const (
	modeSetuid = syscall.S_ISUID
	modeSetgid = syscall.S_ISGID
	modeSticky = syscall.S_ISVTX
	modeXGroup = 0o010
	modeXAny   = 0o111
	modePerm   = 0o7777
)

// Check decides whether c may access f for mask (MayRead, MayWrite,
// MayExec, or'd), as Linux's generic_permission: the owner class if the
// fsuid owns the file, else the group class if the caller is in the file's
// group, else other. When those bits refuse, CAP_DAC_READ_SEARCH grants
// reading anything and searching directories, and CAP_DAC_OVERRIDE grants
// everything except executing a non-directory that has no x bit at all.
// It returns nil or syscall.EACCES.
func Check(c *Cred, f File, mask uint32) error {
	mask &= MayRead | MayWrite | MayExec
	if modeAllows(c, f, mask) {
		return nil
	}
	if f.IsDir() {
		if mask&MayWrite == 0 && c.Caps.Has(CapDacReadSearch) {
			return nil
		}
		if c.Caps.Has(CapDacOverride) {
			return nil
		}
		return syscall.EACCES
	}
	if mask == MayRead && c.Caps.Has(CapDacReadSearch) {
		return nil
	}
	if (mask&MayExec == 0 || f.Mode&modeXAny != 0) && c.Caps.Has(CapDacOverride) {
		return nil
	}
	return syscall.EACCES
}

// modeAllows is acl_permission_check without ACLs: only the one class
// that applies to c is consulted, so an owner is refused what only group
// or other would grant.
func modeAllows(c *Cred, f File, mask uint32) bool {
	mode := f.Mode
	switch {
	case c.FSUID == f.UID:
		mode >>= 6
	case c.InGroup(f.GID):
		mode >>= 3
	}
	return mask&^mode&7 == 0
}

// ownerOrCapable is Linux's inode_owner_or_capable: the fsuid owns f, or
// holds CAP_FOWNER.
func ownerOrCapable(c *Cred, f File) bool {
	return c.FSUID == f.UID || c.Caps.Has(CapFowner)
}

// inGroupOrCapable is Linux's in_group_or_capable: whether c may keep or
// set the set-group-ID bit of a file whose group is gid.
func inGroupOrCapable(c *Cred, gid uint32) bool {
	return c.InGroup(gid) || c.Caps.Has(CapFsetid)
}

// CheckDelete decides whether c may remove (unlink, rmdir, or rename away)
// victim from dir, as Linux's may_delete: write and search permission on
// dir (EACCES), and in a sticky directory the caller must own the victim
// or dir, or hold CAP_FOWNER (EPERM).
func CheckDelete(c *Cred, dir, victim File) error {
	if err := Check(c, dir, MayWrite|MayExec); err != nil {
		return err
	}
	if dir.Mode&modeSticky != 0 && c.FSUID != victim.UID && c.FSUID != dir.UID &&
		!c.Caps.Has(CapFowner) {
		return syscall.EPERM
	}
	return nil
}

// CheckChmod decides whether c may chmod f to mode, and returns the mode
// the file gets: f's type bits with mode's permission bits, less S_ISGID
// when c is neither in the file's group nor holds CAP_FSETID (Linux's
// setattr_prepare and setattr_copy). Only the owner or a CAP_FOWNER holder
// may chmod; others get EPERM.
func CheckChmod(c *Cred, f File, mode uint32) (uint32, error) {
	if !ownerOrCapable(c, f) {
		return f.Mode, syscall.EPERM
	}
	newMode := f.Mode&^modePerm | mode&modePerm
	if !inGroupOrCapable(c, f.GID) {
		newMode &^= modeSetgid
	}
	return newMode, nil
}

// CheckChown decides whether c may change f's owner to uid and group to
// gid (-1 leaves one unchanged), as chown(2) does on Linux 6.2 and later,
// and returns the mode the file gets.
//
// Changing the owner needs CAP_CHOWN, unless the new owner is the current
// owner and the caller is that owner. Changing the group needs CAP_CHOWN,
// or the caller owns the file and the new group is the current one or one
// of the caller's groups. On anything but a directory, chown clears
// S_ISUID, and clears S_ISGID when S_IXGRP is set or when the caller is not
// in the file's group and lacks CAP_FSETID; clearing a bit is a mode change
// and so needs the owner or CAP_FOWNER, else EPERM. Ids outside
// [0, 2^32-1) are EINVAL.
func CheckChown(c *Cred, f File, uid, gid int64) (uint32, error) {
	if uid < -1 || uid >= 1<<32-1 || gid < -1 || gid >= 1<<32-1 {
		return f.Mode, syscall.EINVAL
	}
	if uid != -1 && !(c.FSUID == f.UID && uint32(uid) == f.UID) && !c.Caps.Has(CapChown) {
		return f.Mode, syscall.EPERM
	}
	newGID := f.GID
	if gid != -1 {
		newGID = uint32(gid)
		ownerMay := c.FSUID == f.UID && (newGID == f.GID || c.InGroup(newGID))
		if !ownerMay && !c.Caps.Has(CapChown) {
			return f.Mode, syscall.EPERM
		}
	}
	if f.IsDir() {
		return f.Mode, nil
	}
	mode := f.Mode
	killGID := mode&modeSetgid != 0 && (mode&modeXGroup != 0 || !inGroupOrCapable(c, f.GID))
	if mode&modeSetuid == 0 && !killGID {
		return mode, nil
	}
	// notify_change turns the kill into ATTR_MODE, which setattr_prepare
	// checks like chmod, and against the new group.
	if !ownerOrCapable(c, f) {
		return f.Mode, syscall.EPERM
	}
	mode &^= modeSetuid
	if killGID || !inGroupOrCapable(c, newGID) {
		mode &^= modeSetgid
	}
	return mode, nil
}

// CheckUtimes decides whether c may set f's timestamps. Setting both to
// the current time (utimensat with a NULL times or both UTIME_NOW) needs
// ownership, CAP_FOWNER or write permission (EACCES); explicit times,
// including any UTIME_OMIT, need ownership or CAP_FOWNER (EPERM).
func CheckUtimes(c *Cred, f File, explicit bool) error {
	if ownerOrCapable(c, f) {
		return nil
	}
	if explicit {
		return syscall.EPERM
	}
	return Check(c, f, MayWrite)
}

// CheckCreate decides whether c may create an entry in dir (open with
// O_CREAT, mkdir, mknod, symlink, link, the target side of rename):
// write and search permission on dir, Linux's may_create.
func CheckCreate(c *Cred, dir File) error {
	return Check(c, dir, MayWrite|MayExec)
}

// CheckLink decides whether c may make a hard link to f, as Linux's
// may_linkat with fs.protected_hardlinks = 1 (the usual setting): the
// owner or a CAP_FOWNER holder may link anything; others only a regular
// file that is not set-user-ID, not set-group-ID with group execute, and
// that they may both read and write. Otherwise EPERM. The directory the
// link goes in is checked separately, with CheckCreate.
func CheckLink(c *Cred, f File) error {
	if ownerOrCapable(c, f) {
		return nil
	}
	safe := f.Mode&syscall.S_IFMT == syscall.S_IFREG && f.Mode&modeSetuid == 0 &&
		f.Mode&(modeSetgid|modeXGroup) != modeSetgid|modeXGroup &&
		Check(c, f, MayRead|MayWrite) == nil
	if !safe {
		return syscall.EPERM
	}
	return nil
}

// CheckRename decides whether c may rename victim from oldDir into
// newDir, replacing target (nil if the new name is free), as Linux's
// vfs_rename without flags: victim must be deletable from oldDir, target
// deletable from newDir or else newDir writable, and a directory that
// changes parent must itself be writable, because its ".." entry is
// rewritten. sameDir says whether oldDir and newDir are the same
// directory, which their modes alone cannot tell.
func CheckRename(c *Cred, oldDir, victim, newDir File, target *File, sameDir bool) error {
	if err := CheckDelete(c, oldDir, victim); err != nil {
		return err
	}
	var err error
	if target == nil {
		err = CheckCreate(c, newDir)
	} else {
		err = CheckDelete(c, newDir, *target)
	}
	if err != nil {
		return err
	}
	if !sameDir && victim.IsDir() {
		return Check(c, victim, MayWrite)
	}
	return nil
}
