package procd

import (
	"aramid/proto/authpb"
	"aramid/proto/procpb"
)

// Capabilities that /proc checks.
const (
	capDacOverride   = 1
	capDacReadSearch = 2
	capSysPtrace     = 19
)

// nobody is the credential of a request that carries none: it may read
// what every user may read and nothing more.
var nobody = &authpb.Cred{Ruid: 65534, Euid: 65534, Suid: 65534, Fsuid: 65534,
	Rgid: 65534, Egid: 65534, Sgid: 65534, Fsgid: 65534}

// caller is who a request comes from: vfsd passes on the pid and
// credential linuxd gave it, so "self" and permission checks are those
// of the process that made the system call.
type caller struct {
	pid  uint32
	cred *authpb.Cred
}

func newCaller(pid uint32, cred *authpb.Cred) caller {
	if cred == nil {
		cred = nobody
	}
	return caller{pid: pid, cred: cred}
}

func (c caller) capable(bit uint) bool { return c.cred.GetCapEffective()&(1<<bit) != 0 }

// inGroups reports whether gid is one of the supplementary groups.
func (c caller) inGroups(gid uint32) bool {
	for _, g := range c.cred.GetGroups() {
		if g == gid {
			return true
		}
	}
	return false
}

// mayPtraceRead is ptrace_may_access(PTRACE_MODE_READ_FSCREDS): the
// caller's filesystem ids must match all of the target's real,
// effective and saved ids, and the target must be dumpable, unless the
// caller has CAP_SYS_PTRACE. A process may always read itself.
func mayPtraceRead(c caller, p *procpb.ProcessInfo) bool {
	if c.pid != 0 && (c.pid == p.GetTgid() || c.pid == p.GetPid()) {
		return true
	}
	if c.capable(capSysPtrace) {
		return true
	}
	u, g := four(p.GetUids()), four(p.GetGids())
	uid, gid := c.cred.GetFsuid(), c.cred.GetFsgid()
	if uid != u[0] || uid != u[1] || uid != u[2] || gid != g[0] || gid != g[1] || gid != g[2] {
		return false
	}
	return !p.GetUndumpable()
}

// owner is task_dump_owner: a dumpable process's files belong to its
// effective ids, an undumpable one's to root.
func owner(p *procpb.ProcessInfo) (uid, gid uint32) {
	if p.GetUndumpable() {
		return 0, 0
	}
	u, g := four(p.GetUids()), four(p.GetGids())
	return u[1], g[1]
}

// dacPermitted is generic_permission with the capability overrides:
// mode's owner, group or other bits, by the caller's filesystem ids.
// CAP_DAC_OVERRIDE grants anything but execute of a file with no x bit;
// CAP_DAC_READ_SEARCH grants read, and search of directories.
func dacPermitted(c caller, mode, uid, gid, want uint32, dir bool) bool {
	bits := mode & 7
	switch {
	case c.cred.GetFsuid() == uid:
		bits = mode >> 6 & 7
	case c.cred.GetFsgid() == gid || c.inGroups(gid):
		bits = mode >> 3 & 7
	}
	if want&^bits == 0 {
		return true
	}
	if c.capable(capDacOverride) && (dir || want&1 == 0 || mode&0o111 != 0) {
		return true
	}
	const r, x = 4, 1
	if c.capable(capDacReadSearch) && (want == r || dir && want&^(r|x) == 0) {
		return true
	}
	return false
}
