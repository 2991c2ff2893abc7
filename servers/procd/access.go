package procd

import (
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/procpb"
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
	if c.capable(dac.CapSysPtrace) {
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

// dacPermitted is generic_permission (lib/linux/dac) for the caller, on
// a node of mode, owner and group whose mode may lack its type bits.
func dacPermitted(c caller, mode, uid, gid, want uint32, dir bool) bool {
	typ := uint32(syscall.S_IFREG)
	if dir {
		typ = syscall.S_IFDIR
	}
	f := dac.File{Mode: mode&^syscall.S_IFMT | typ, UID: uid, GID: gid}
	return dac.Check(authpb.ToDAC(c.cred), f, want) == nil
}
