package procd

import (
	"bytes"
	"context"
	"strconv"
	"syscall"

	"aramid/proto/procpb"
)

// pidFile is one entry of /proc/<pid>.
type pidFile struct {
	typ  nodeType
	mode uint32
	// ptrace is true for entries Linux guards with ptrace read access.
	ptrace bool
	read   func(s *Server, ctx context.Context, b *bytes.Buffer, c caller, p *procpb.ProcessInfo)
	link   func(p *procpb.ProcessInfo) []byte
}

var pidFiles = map[string]pidFile{
	"cmdline": {typ: fileNode, mode: 0o444, read: func(_ *Server, _ context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		renderNulList(b, p.GetCmdline())
	}},
	"comm": {typ: fileNode, mode: 0o644, read: func(_ *Server, _ context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		b.Write(p.GetComm())
		b.WriteByte('\n')
	}},
	"cwd": {typ: linkNode, mode: 0o777, ptrace: true, link: (*procpb.ProcessInfo).GetCwd},
	"environ": {typ: fileNode, mode: 0o400, ptrace: true, read: func(_ *Server, _ context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		renderNulList(b, p.GetEnviron())
	}},
	"exe":    {typ: linkNode, mode: 0o777, ptrace: true, link: (*procpb.ProcessInfo).GetExe},
	"fd":     {typ: dirNode, mode: 0o500},
	"fdinfo": {typ: dirNode, mode: 0o555},
	"net":    {typ: dirNode, mode: 0o555},
	"mounts": {typ: fileNode, mode: 0o444},
	"maps": {typ: fileNode, mode: 0o444, ptrace: true, read: func(_ *Server, _ context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		renderMaps(b, p.GetMaps())
	}},
	"root": {typ: linkNode, mode: 0o777, ptrace: true, link: (*procpb.ProcessInfo).GetRoot},
	"stat": {typ: fileNode, mode: 0o444, read: func(_ *Server, _ context.Context, b *bytes.Buffer, c caller, p *procpb.ProcessInfo) {
		renderStat(b, p, mayPtraceRead(c, p))
	}},
	"statm": {typ: fileNode, mode: 0o444, read: func(_ *Server, _ context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		renderStatm(b, p)
	}},
	"status": {typ: fileNode, mode: 0o444, read: func(s *Server, ctx context.Context, b *bytes.Buffer, _ caller, p *procpb.ProcessInfo) {
		renderStatus(b, p, s.cpuCount(ctx))
	}},
}

// pidFileNames is pidFiles' keys in order, for readdir.
var pidFileNames = []string{"cmdline", "comm", "cwd", "environ", "exe", "fd", "fdinfo", "maps", "mounts", "net", "root", "stat", "statm", "status"}

// cpuCount is the number of CPUs for status's Cpus_allowed, 1 when the
// kernel has not registered.
func (s *Server) cpuCount(ctx context.Context) int {
	if m, err := s.systemInfo(ctx); err == nil && len(m.GetCpus()) > 0 {
		return len(m.GetCpus())
	}
	return 1
}

// resolvePid resolves a path below /proc/<pid>. It fetches the process
// once, so every answer reflects linuxd's table at the moment of the
// call: a process that has exited is ENOENT.
func (s *Server) resolvePid(ctx context.Context, c caller, pid uint32, rest []string) (*node, error) {
	p, err := s.process(ctx, pid)
	if err != nil {
		return nil, err
	}
	uid, gid := owner(p)
	base := strconv.FormatUint(uint64(pid), 10)
	if len(rest) == 0 {
		return &node{typ: dirNode, path: base, mode: 0o555, uid: uid, gid: gid, nlink: 2,
			list: func(context.Context) ([]dirent, error) {
				es := make([]dirent, len(pidFileNames))
				for i, n := range pidFileNames {
					es[i] = dirent{n, pidFiles[n].typ}
				}
				return es, nil
			}}, nil
	}
	name := rest[0]
	switch name {
	case "fd", "fdinfo":
		return s.resolveFd(c, p, base, name, uid, gid, rest[1:])
	case "net":
		return s.resolveNet(base, rest[1:])
	}
	f, ok := pidFiles[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	if len(rest) > 1 {
		return nil, syscall.ENOTDIR
	}
	n := &node{typ: f.typ, path: base + "/" + name, mode: f.mode, uid: uid, gid: gid, nlink: 1, noWrite: syscall.EINVAL}
	if f.ptrace {
		n.check = ptraceCheck(c, p)
	}
	switch {
	case name == "mounts":
		n.read = withMountsRead(s, func(b *bytes.Buffer, m *procpb.ListMountsReply) { renderMounts(b, m.GetMounts()) })
	case f.typ == fileNode:
		n.read = func(ctx context.Context) ([]byte, error) {
			var b bytes.Buffer
			f.read(s, ctx, &b, c, p)
			return b.Bytes(), nil
		}
		if name == "comm" {
			n.write = func(data []byte) (int, error) { return s.writeComm(ctx, c, p, data) }
		}
	case f.typ == linkNode:
		n.link = func(context.Context) (string, error) { return string(f.link(p)), nil }
	}
	return n, nil
}

// sameProcess reports whether c is p: Linux lets a process into its own
// fd directory whatever the mode bits say.
func sameProcess(c caller, p *procpb.ProcessInfo) bool {
	return c.pid != 0 && (c.pid == p.GetPid() || c.pid == p.GetTgid())
}

// resolveFd resolves /proc/<pid>/fd and fdinfo and their entries. fd is
// dr-x------ owned by the process; fdinfo is dr-xr-xr-x but needs
// ptrace access all the same. A process may always enter its own.
func (s *Server) resolveFd(c caller, p *procpb.ProcessInfo, base, dir string, uid, gid uint32, rest []string) (*node, error) {
	dirMode := uint32(0o500)
	if dir == "fdinfo" {
		dirMode = 0o555
	}
	allowed := func(want uint32) error {
		switch {
		case sameProcess(c, p):
		case dir == "fdinfo" && !mayPtraceRead(c, p):
			return syscall.EACCES
		case !dacPermitted(c, dirMode, uid, gid, want, true):
			return syscall.EACCES
		}
		return nil
	}
	entry := nodeType(linkNode)
	if dir == "fdinfo" {
		entry = fileNode
	}
	if len(rest) == 0 {
		return &node{typ: dirNode, path: base + "/" + dir, mode: dirMode, uid: uid, gid: gid, nlink: 2, perm: allowed,
			list: func(context.Context) ([]dirent, error) {
				es := make([]dirent, len(p.GetFds()))
				for i, f := range p.GetFds() {
					es[i] = dirent{strconv.FormatUint(uint64(f.GetFd()), 10), entry}
				}
				return es, nil
			}}, nil
	}
	if err := allowed(1); err != nil {
		return nil, err
	}
	if len(rest) > 1 {
		return nil, syscall.ENOTDIR
	}
	fd, err := strconv.ParseUint(rest[0], 10, 32)
	if err != nil {
		return nil, syscall.ENOENT
	}
	for _, f := range p.GetFds() {
		if uint64(f.GetFd()) != fd {
			continue
		}
		n := &node{typ: entry, path: base + "/" + dir + "/" + rest[0], uid: uid, gid: gid, nlink: 1,
			check: ptraceCheck(c, p), noWrite: syscall.EINVAL}
		if dir == "fdinfo" {
			n.mode = 0o444
			n.read = func(context.Context) ([]byte, error) {
				var b bytes.Buffer
				renderFdinfo(&b, f)
				return b.Bytes(), nil
			}
			return n, nil
		}
		target := string(f.GetTarget())
		n.mode = fdLinkMode(f.GetFlags())
		n.link = func(context.Context) (string, error) { return target, nil }
		return n, nil
	}
	return nil, syscall.ENOENT
}

// ptraceCheck is the check of the files Linux guards with ptrace access.
func ptraceCheck(c caller, p *procpb.ProcessInfo) func() error {
	return func() error {
		if !mayPtraceRead(c, p) {
			return syscall.EACCES
		}
		return nil
	}
}

// fdLinkMode is the mode Linux gives an fd link: owner read for a file
// open for reading, write for writing, and search either way.
func fdLinkMode(flags uint32) uint32 {
	switch flags & syscall.O_ACCMODE {
	case syscall.O_WRONLY:
		return 0o300
	case syscall.O_RDWR:
		return 0o700
	}
	return 0o500
}

// commLen is TASK_COMM_LEN less its NUL.
const commLen = 15

// writeComm renames p as comm_write does: only a process's own threads
// may, the name ends at 15 bytes or the first NUL, and a newline is
// kept. The whole write counts as consumed.
func (s *Server) writeComm(ctx context.Context, c caller, p *procpb.ProcessInfo, data []byte) (int, error) {
	if !sameProcess(c, p) {
		return 0, syscall.EINVAL
	}
	name := data[:min(len(data), commLen)]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	src := s.src.processes()
	if src == nil {
		return 0, errNoSource
	}
	if _, err := src.SetComm(ctx, &procpb.SetCommRequest{Pid: p.GetPid(), Comm: name}); err != nil {
		return 0, err
	}
	return len(data), nil
}
