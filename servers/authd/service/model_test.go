package service

import (
	"slices"
	"syscall"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
)

// manCred is a process credential evolved by the rules of setuid(2),
// setreuid(2), setresuid(2), setfsuid(2), their gid twins, setgroups(2),
// execve(2) and capabilities(7), written out here apart from package cred
// so that a rule broken there, and served by authd, shows up as a
// difference. The processes it models start as root and never call
// capset or prctl: the inheritable and ambient sets and the secure bits
// stay empty and the bounding set full.
type manCred struct {
	r, e, s, fs     uint32 // uids
	rg, eg, sg, fsg uint32 // gids
	groups          []uint32
	eff, perm       uint64
}

const (
	capSetgid = 6
	capSetuid = 7
	// allCaps is every capability up to CAP_LAST_CAP (40).
	allCaps = 1<<41 - 1
	// fsCaps are the capabilities capabilities(7) ties to the fsuid:
	// CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID,
	// LINUX_IMMUTABLE, MKNOD and MAC_OVERRIDE.
	fsCaps = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<9 | 1<<27 | 1<<32
	unset  = ^uint32(0) // the -1 "unchanged" argument
)

func manRoot() manCred { return manCred{eff: allCaps, perm: allCaps} }

func (m manCred) capable(c int) bool { return m.eff&(1<<c) != 0 }

// cred is m in package cred's form, for comparing with authd's replies.
func (m manCred) cred() *cred.Cred {
	return &cred.Cred{
		RUID: m.r, EUID: m.e, SUID: m.s, FSUID: m.fs,
		RGID: m.rg, EGID: m.eg, SGID: m.sg, FSGID: m.fsg,
		Groups:    m.groups,
		Effective: dac.CapSet(m.eff), Permitted: dac.CapSet(m.perm), Bounding: allCaps,
	}
}

func oneOf(id uint32, ids ...uint32) bool { return slices.Contains(ids, id) }

// uidChanged applies capabilities(7), "Effect of user ID changes on
// capabilities", to m after a setuid-family call that started from old.
func (m *manCred) uidChanged(old manCred) {
	if (old.r == 0 || old.e == 0 || old.s == 0) && m.r != 0 && m.e != 0 && m.s != 0 {
		m.perm, m.eff = 0, 0
	}
	if old.e == 0 && m.e != 0 {
		m.eff = 0
	}
	if old.e != 0 && m.e == 0 {
		m.eff = m.perm
	}
}

// set1 is setuid(2) (uid set) or setgid(2): privileged, the real, saved,
// effective and fs ids all become id; unprivileged, only the effective
// and fs ids may move, and only to the real or saved id.
func (m manCred) set1(uid bool, id uint32) (manCred, error) {
	if id == unset {
		return m, syscall.EINVAL
	}
	n := m
	r, e, s, fs, priv := n.ids(uid)
	switch {
	case priv:
		*r, *s = id, id
	case id != *r && id != *s:
		return m, syscall.EPERM
	}
	*e, *fs = id, id
	return n.fix(uid, m), nil
}

// setRE is setreuid(2) or setregid(2): unprivileged, the real id may
// become the real or effective one, the effective id any of the three;
// the saved id becomes the new effective id when the real id is set or
// the effective id is set to anything but the old real id.
func (m manCred) setRE(uid bool, ra, ea uint32) (manCred, error) {
	_, _, _, _, priv := m.ids(uid)
	or, oe, os := m.get(uid, 0), m.get(uid, 1), m.get(uid, 2)
	if !priv && (ra != unset && !oneOf(ra, or, oe) || ea != unset && !oneOf(ea, or, oe, os)) {
		return m, syscall.EPERM
	}
	n := m
	r, e, s, fs, _ := n.ids(uid)
	if ra != unset {
		*r = ra
	}
	if ea != unset {
		*e = ea
	}
	if ra != unset || ea != unset && ea != or {
		*s = *e
	}
	*fs = *e
	return n.fix(uid, m), nil
}

// setRES is setresuid(2) or setresgid(2): unprivileged, each new id must
// be one of the three current ones. A call that would change nothing,
// the fs id included, returns before any check (kernel/sys.c).
func (m manCred) setRES(uid bool, ra, ea, sa uint32) (manCred, error) {
	or, oe, os, ofs := m.get(uid, 0), m.get(uid, 1), m.get(uid, 2), m.get(uid, 3)
	if oneOf(ra, unset, or) && (ea == unset || ea == oe && ea == ofs) && oneOf(sa, unset, os) {
		return m, nil
	}
	_, _, _, _, priv := m.ids(uid)
	for _, id := range []uint32{ra, ea, sa} {
		if !priv && id != unset && !oneOf(id, or, oe, os) {
			return m, syscall.EPERM
		}
	}
	n := m
	r, e, s, fs, _ := n.ids(uid)
	for _, p := range []struct {
		dst *uint32
		id  uint32
	}{{r, ra}, {e, ea}, {s, sa}} {
		if p.id != unset {
			*p.dst = p.id
		}
	}
	*fs = *e
	return n.fix(uid, m), nil
}

// setFS is setfsuid(2) or setfsgid(2): the fs id may become any of the
// four ids, or anything with the capability; the call returns the old fs
// id either way. A uid moving from 0 drops fsCaps from the effective set,
// one moving to 0 raises the permitted ones.
func (m manCred) setFS(uid bool, id uint32) (manCred, uint32) {
	n := m
	r, e, s, fs, priv := n.ids(uid)
	old := *fs
	if id == unset || !priv && !oneOf(id, *r, *e, *s, *fs) {
		return m, old
	}
	*fs = id
	if uid && old == 0 && id != 0 {
		n.eff &^= fsCaps
	}
	if uid && old != 0 && id == 0 {
		n.eff |= n.perm & fsCaps
	}
	return n, old
}

// setgroups needs CAP_SETGID; the kernel keeps the list sorted.
func (m manCred) setgroups(g []uint32) (manCred, error) {
	if !m.capable(capSetgid) {
		return m, syscall.EPERM
	}
	m.groups = slices.Sorted(slices.Values(g))
	return m, nil
}

// exec is execve(2) of a file without file capabilities: set-user-ID
// makes the owner the effective uid, set-group-ID with group execute the
// group the effective gid (neither on a nosuid mount); the saved and fs
// ids copy the effective ones. capabilities(7): with a real or effective
// uid 0 the file's permitted and inheritable sets count as full, so the
// new permitted set is the bounding set (inheritable is empty); the
// effective set is the permitted one for an effective uid 0, else empty.
func (m manCred) exec(mode, uid, gid uint32, nosuid bool) manCred {
	if !nosuid && mode&syscall.S_ISUID != 0 {
		m.e = uid
	}
	if !nosuid && mode&syscall.S_ISGID != 0 && mode&0o010 != 0 {
		m.eg = gid
	}
	m.s, m.fs, m.sg, m.fsg = m.e, m.e, m.eg, m.eg
	m.perm, m.eff = 0, 0
	if m.r == 0 || m.e == 0 {
		m.perm = allCaps
	}
	if m.e == 0 {
		m.eff = m.perm
	}
	m.groups = slices.Clone(m.groups)
	return m
}

// ids points at m's real, effective, saved and fs uids (uid) or gids, and
// says whether m holds the capability that frees their changes.
func (m *manCred) ids(uid bool) (r, e, s, fs *uint32, priv bool) {
	if uid {
		return &m.r, &m.e, &m.s, &m.fs, m.capable(capSetuid)
	}
	return &m.rg, &m.eg, &m.sg, &m.fsg, m.capable(capSetgid)
}

// get returns m's real (0), effective, saved or fs (3) uid or gid.
func (m manCred) get(uid bool, k int) uint32 {
	r, e, s, fs, _ := m.ids(uid)
	return *[]*uint32{r, e, s, fs}[k]
}

// fix applies the capability rules of a uid change; gids move none.
func (m manCred) fix(uid bool, old manCred) manCred {
	if uid {
		m.uidChanged(old)
	}
	return m
}
