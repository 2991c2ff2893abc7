// Package cred models a Linux process credential and the transitions the
// kernel applies to it: fork, execve of a set-user-ID or set-group-ID
// file, and the setuid family of system calls, with Linux's rules for
// which changes are allowed and how capabilities follow the uids.
//
// A *Cred is never changed after it is made: every transition returns a
// new one, as Linux's prepare_creds/commit_creds does, so a credential can
// be shared with readers that check access while its process moves on.
package cred

import (
	"slices"
	"syscall"

	"aramid/lib/linux/dac"
)

// Secure bits, Linux's SECBIT_* flags as prctl(PR_GET_SECUREBITS) reports
// them; see also caps.go.
const (
	SecureNoroot        = 1 << 0 // SECBIT_NOROOT: uid 0 gains nothing at exec
	SecureNoSetuidFixup = 1 << 2 // SECBIT_NO_SETUID_FIXUP: uid changes leave capabilities alone
	SecureKeepCaps      = 1 << 4 // SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS): keep permitted when leaving uid 0
)

// NGroupsMax is Linux's NGROUPS_MAX, the longest setgroups list.
const NGroupsMax = 65536

// NoChange is the id (uid_t)-1: "leave this id unchanged" for the
// setre*id and setres*id calls, and invalid everywhere else.
const NoChange = ^uint32(0)

// fsCaps are the capabilities that follow the filesystem uid: Linux's
// CAP_FS_SET, dropped from the effective set when the fsuid leaves 0.
var fsCaps = dac.CapSet(0).With(dac.CapChown, dac.CapDacOverride, dac.CapDacReadSearch,
	dac.CapFowner, dac.CapFsetid, dac.CapLinuxImmutable, dac.CapMknod, dac.CapMacOverride)

// Cred is a process credential: the real, effective, saved and filesystem
// uids and gids, the sorted supplementary groups, the five capability sets
// and the secure bits.
type Cred struct {
	RUID, EUID, SUID, FSUID uint32
	RGID, EGID, SGID, FSGID uint32
	Groups                  []uint32

	Effective, Permitted, Inheritable, Bounding, Ambient dac.CapSet

	Securebits uint32
}

// Root returns the credential of init on Linux: every id 0, no groups,
// every capability permitted, effective and in the bounding set.
func Root() *Cred {
	return &Cred{
		Effective: dac.AllCaps,
		Permitted: dac.AllCaps,
		Bounding:  dac.AllCaps,
	}
}

// Valid reports, as EINVAL, a credential no Linux process can hold: more
// than NGroupsMax groups, an effective or ambient capability outside the
// permitted set, an ambient one outside the inheritable set, or unknown
// secure bits. Servers check credentials that arrive in requests with it.
func (c *Cred) Valid() error {
	if len(c.Groups) > NGroupsMax || c.Effective&^c.Permitted != 0 ||
		c.Ambient&^(c.Permitted&c.Inheritable) != 0 || c.Securebits&^(secureBits|secureLocks) != 0 {
		return syscall.EINVAL
	}
	return nil
}

// clone returns a copy of c that does not share its groups.
func (c *Cred) clone() *Cred {
	n := *c
	n.Groups = slices.Clone(c.Groups)
	return &n
}

// Fork returns the credential of a child of c: the same, as clone(2)
// gives a copy of the parent's.
func (c *Cred) Fork() *Cred { return c.clone() }

// Capable reports whether c holds capability cp in its effective set.
func (c *Cred) Capable(cp int) bool { return c.Effective.Has(cp) }

// MaySignal reports whether a process with credential c may send a
// signal to one with credential t (Linux's kill_ok_by_cred): c's real or
// effective uid is t's real or saved uid, or c holds CAP_KILL.
func (c *Cred) MaySignal(t *Cred) bool {
	return c.Capable(dac.CapKill) || c.RUID == t.RUID || c.RUID == t.SUID || c.EUID == t.RUID || c.EUID == t.SUID
}

// DAC returns the part of c that file access checks use.
func (c *Cred) DAC() *dac.Cred {
	return &dac.Cred{FSUID: c.FSUID, FSGID: c.FSGID, Groups: c.Groups, Caps: c.Effective}
}

// AccessDAC returns the credential that access(2) and faccessat(2)
// without AT_EACCESS check with (Linux's access_override_creds): the real
// ids in place of the filesystem ids, and, unless SECBIT_NO_SETUID_FIXUP
// is set, the full permitted set for a real root and no capabilities for
// anyone else.
func (c *Cred) AccessDAC() *dac.Cred {
	d := &dac.Cred{FSUID: c.RUID, FSGID: c.RGID, Groups: c.Groups, Caps: c.Effective}
	if c.Securebits&SecureNoSetuidFixup == 0 {
		d.Caps = 0
		if c.RUID == 0 {
			d.Caps = c.Permitted
		}
	}
	return d
}

// hasUID reports whether id is one of c's real, effective or saved uids.
func (c *Cred) hasUID(id uint32) bool { return id == c.RUID || id == c.EUID || id == c.SUID }

// hasGID reports whether id is one of c's real, effective or saved gids.
func (c *Cred) hasGID(id uint32) bool { return id == c.RGID || id == c.EGID || id == c.SGID }

// Setuid is setuid(2): with CAP_SETUID every uid but the fs one becomes
// uid; without it only the effective (and fs) uid may move, and only to
// the real or saved uid.
func (c *Cred) Setuid(uid uint32) (*Cred, error) {
	if uid == NoChange {
		return nil, syscall.EINVAL
	}
	n := c.clone()
	switch {
	case c.Capable(dac.CapSetuid):
		n.RUID, n.SUID = uid, uid
	case uid != c.RUID && uid != c.SUID:
		return nil, syscall.EPERM
	}
	n.EUID, n.FSUID = uid, uid
	n.fixSetuid(c)
	return n, nil
}

// Setreuid is setreuid(2). An unprivileged caller may set the real uid to
// its real or effective uid and the effective uid to any of real,
// effective or saved. The saved uid becomes the new effective uid when
// the real uid is set or the effective uid is set to something other than
// the old real uid.
func (c *Cred) Setreuid(ruid, euid uint32) (*Cred, error) {
	priv := c.Capable(dac.CapSetuid)
	n := c.clone()
	if ruid != NoChange {
		if ruid != c.RUID && ruid != c.EUID && !priv {
			return nil, syscall.EPERM
		}
		n.RUID = ruid
	}
	if euid != NoChange {
		if !c.hasUID(euid) && !priv {
			return nil, syscall.EPERM
		}
		n.EUID = euid
	}
	if ruid != NoChange || (euid != NoChange && euid != c.RUID) {
		n.SUID = n.EUID
	}
	n.FSUID = n.EUID
	n.fixSetuid(c)
	return n, nil
}

// Setresuid is setresuid(2): without CAP_SETUID each id given must be
// one of the current real, effective or saved uids. The fs uid follows
// the effective uid, except that a call that would change none of the ids
// (nor move the fs uid back to the effective uid) returns early and
// leaves a setfsuid in place, as current Linux does.
func (c *Cred) Setresuid(ruid, euid, suid uint32) (*Cred, error) {
	if sameOrNoChange(ruid, c.RUID) && sameOrNoChange(euid, c.EUID) && (euid == NoChange || euid == c.FSUID) &&
		sameOrNoChange(suid, c.SUID) {
		return c, nil
	}
	if !c.Capable(dac.CapSetuid) {
		for _, id := range []uint32{ruid, euid, suid} {
			if id != NoChange && !c.hasUID(id) {
				return nil, syscall.EPERM
			}
		}
	}
	n := c.clone()
	setIf(&n.RUID, ruid)
	setIf(&n.EUID, euid)
	setIf(&n.SUID, suid)
	n.FSUID = n.EUID
	n.fixSetuid(c)
	return n, nil
}

// Setfsuid is setfsuid(2): it returns the old fs uid whether or not the
// change, which needs uid to be one of real, effective, saved or fs uid
// or else CAP_SETUID, was allowed; Linux reports no error.
func (c *Cred) Setfsuid(uid uint32) (*Cred, uint32) {
	old := c.FSUID
	if uid == NoChange || uid == c.FSUID || !(c.hasUID(uid) || c.Capable(dac.CapSetuid)) {
		return c, old
	}
	n := c.clone()
	n.FSUID = uid
	if c.Securebits&SecureNoSetuidFixup == 0 {
		switch {
		case old == 0 && uid != 0:
			n.Effective &^= fsCaps
		case old != 0 && uid == 0:
			n.Effective |= n.Permitted & fsCaps
		}
	}
	return n, old
}

// fixSetuid is Linux's cap_emulate_setxuid, run after a change of the
// real, effective or saved uid from old to n: leaving uid 0 in all three
// clears the permitted and effective sets (unless SECBIT_KEEP_CAPS) and
// the ambient set; leaving effective uid 0 clears the effective set, and
// gaining it raises the effective set to the permitted one.
func (n *Cred) fixSetuid(old *Cred) {
	if old.Securebits&SecureNoSetuidFixup != 0 {
		return
	}
	if old.hasUID(0) && !n.hasUID(0) {
		if old.Securebits&SecureKeepCaps == 0 {
			n.Permitted, n.Effective = 0, 0
		}
		n.Ambient = 0
	}
	if old.EUID == 0 && n.EUID != 0 {
		n.Effective = 0
	}
	if old.EUID != 0 && n.EUID == 0 {
		n.Effective = n.Permitted
	}
}

// Setgid is setgid(2): with CAP_SETGID every gid becomes gid; without it
// the effective (and fs) gid may move to the real or saved gid.
func (c *Cred) Setgid(gid uint32) (*Cred, error) {
	if gid == NoChange {
		return nil, syscall.EINVAL
	}
	n := c.clone()
	switch {
	case c.Capable(dac.CapSetgid):
		n.RGID, n.SGID = gid, gid
	case gid != c.RGID && gid != c.SGID:
		return nil, syscall.EPERM
	}
	n.EGID, n.FSGID = gid, gid
	return n, nil
}

// Setregid is setregid(2), with the rules of Setreuid for gids and
// CAP_SETGID. No capability changes with a gid.
func (c *Cred) Setregid(rgid, egid uint32) (*Cred, error) {
	priv := c.Capable(dac.CapSetgid)
	n := c.clone()
	if rgid != NoChange {
		if rgid != c.RGID && rgid != c.EGID && !priv {
			return nil, syscall.EPERM
		}
		n.RGID = rgid
	}
	if egid != NoChange {
		if !c.hasGID(egid) && !priv {
			return nil, syscall.EPERM
		}
		n.EGID = egid
	}
	if rgid != NoChange || (egid != NoChange && egid != c.RGID) {
		n.SGID = n.EGID
	}
	n.FSGID = n.EGID
	return n, nil
}

// Setresgid is setresgid(2), with the rules of Setresuid for gids and
// CAP_SETGID, its early return for no change included.
func (c *Cred) Setresgid(rgid, egid, sgid uint32) (*Cred, error) {
	if sameOrNoChange(rgid, c.RGID) && sameOrNoChange(egid, c.EGID) && (egid == NoChange || egid == c.FSGID) &&
		sameOrNoChange(sgid, c.SGID) {
		return c, nil
	}
	if !c.Capable(dac.CapSetgid) {
		for _, id := range []uint32{rgid, egid, sgid} {
			if id != NoChange && !c.hasGID(id) {
				return nil, syscall.EPERM
			}
		}
	}
	n := c.clone()
	setIf(&n.RGID, rgid)
	setIf(&n.EGID, egid)
	setIf(&n.SGID, sgid)
	n.FSGID = n.EGID
	return n, nil
}

// Setfsgid is setfsgid(2), with the rules of Setfsuid for gids and
// CAP_SETGID; no capability follows the fs gid.
func (c *Cred) Setfsgid(gid uint32) (*Cred, uint32) {
	old := c.FSGID
	if gid == NoChange || gid == c.FSGID || !(c.hasGID(gid) || c.Capable(dac.CapSetgid)) {
		return c, old
	}
	n := c.clone()
	n.FSGID = gid
	return n, old
}

// Setgroups is setgroups(2): it needs CAP_SETGID, takes at most
// NGroupsMax groups, and keeps them sorted as Linux does (getgroups
// returns them in that order, duplicates included).
func (c *Cred) Setgroups(groups []uint32) (*Cred, error) {
	if !c.Capable(dac.CapSetgid) {
		return nil, syscall.EPERM
	}
	if len(groups) > NGroupsMax {
		return nil, syscall.EINVAL
	}
	n := c.clone()
	n.Groups = slices.Clone(groups)
	slices.Sort(n.Groups)
	return n, nil
}

// sameOrNoChange reports whether id, an argument of a set*id call, leaves
// cur as it is.
func sameOrNoChange(id, cur uint32) bool { return id == NoChange || id == cur }

// setIf sets *p to id unless id is NoChange.
func setIf(p *uint32, id uint32) {
	if id != NoChange {
		*p = id
	}
}

// ExecFile is what execve reads from the file it runs to decide the new
// credential.
type ExecFile struct {
	Mode     uint32 // st_mode
	UID, GID uint32
	NoSuid   bool // the file's mount has MS_NOSUID
}

// Exec returns the credential a process with c has after execve of f,
// for a file without file capabilities (Aramid has no xattrs for them):
//
//   - a set-user-ID file sets the effective uid to its owner, a
//     set-group-ID file with group execute sets the effective gid to its
//     group, unless the mount is nosuid;
//   - the saved and fs ids become the effective ones;
//   - if the new effective or the real uid is 0 (and SECBIT_NOROOT is
//     clear) the permitted set becomes bounding | inheritable, otherwise
//     it is the ambient set; the effective set is the permitted set for
//     an effective uid 0, otherwise the ambient set;
//   - an exec that changes the effective uid, or makes the effective gid
//     one the caller was not already in, clears the ambient set (the rule
//     of current kernels; older ones cleared it whenever an effective id
//     differed from the real one); SECBIT_KEEP_CAPS is cleared.
//
// It does not model the downgrade Linux applies to a traced process or
// one that shares its fs_struct, nor no_new_privs: linuxd has neither.
func (c *Cred) Exec(f ExecFile) *Cred {
	n := c.clone()
	if !f.NoSuid {
		if f.Mode&syscall.S_ISUID != 0 {
			n.EUID = f.UID
		}
		if f.Mode&(syscall.S_ISGID|0o010) == syscall.S_ISGID|0o010 {
			n.EGID = f.GID
		}
	}
	n.Permitted = 0
	raise := false
	if c.Securebits&SecureNoroot == 0 {
		if n.EUID == 0 || n.RUID == 0 {
			n.Permitted = c.Bounding | c.Inheritable
		}
		raise = n.EUID == 0
	}
	if n.EUID != c.EUID || !c.DAC().InGroup(n.EGID) {
		n.Ambient = 0
	}
	n.Permitted |= n.Ambient
	n.Effective = n.Ambient
	if raise {
		n.Effective = n.Permitted
	}
	n.SUID, n.FSUID = n.EUID, n.EUID
	n.SGID, n.FSGID = n.EGID, n.EGID
	n.Securebits &^= SecureKeepCaps
	return n
}
