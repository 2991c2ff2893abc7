package procd

import (
	"context"
	"syscall"

	"aramid/proto/procpb"
	"aramid/proto/rpc"
)

// maxRead bounds one ReadFile reply so that it fits a channel message.
const maxRead = rpc.MaxMessageSize - 256

// Server serves the proc protocol. It implements procpb.ProcServer.
type Server struct {
	h   rpc.Handles
	uts UTS
	src sources
	sys *sysctls
}

// New returns a Server with no sources. h turns the channel handle that a
// source registers into a transport, and closes a handle procd cannot
// use. uts is the kernel identity to report.
func New(h rpc.Handles, uts UTS) *Server {
	return &Server{h: h, uts: uts, sys: newSysctls(uts)}
}

// RegisterSource implements procpb.ProcServer: it dials the channel the
// caller passed and makes it the source of its kind.
func (s *Server) RegisterSource(_ context.Context, in *procpb.RegisterSourceRequest) (*procpb.RegisterSourceReply, error) {
	h := in.GetChannel()
	if h == nil {
		return nil, syscall.EINVAL
	}
	kind := in.GetKind()
	if kind < procpb.SourceKind_SOURCE_PROCESSES || kind > procpb.SourceKind_SOURCE_MOUNTS {
		s.h.Close(h.GetValue())
		return nil, syscall.EINVAL
	}
	t, err := s.h.Dial(h.GetValue())
	if err != nil {
		s.h.Close(h.GetValue())
		return nil, err
	}
	switch kind {
	case procpb.SourceKind_SOURCE_PROCESSES:
		s.SetProcessSource(procpb.NewProcessSourceClient(t))
	case procpb.SourceKind_SOURCE_SOCKETS:
		s.SetSocketSource(procpb.NewSocketSourceClient(t))
	case procpb.SourceKind_SOURCE_SYSTEM:
		s.SetSystemSource(procpb.NewSystemSourceClient(t))
	case procpb.SourceKind_SOURCE_MOUNTS:
		s.SetMountSource(procpb.NewMountSourceClient(t))
	}
	return &procpb.RegisterSourceReply{}, nil
}

// Lookup implements procpb.ProcServer.
func (s *Server) Lookup(ctx context.Context, in *procpb.LookupRequest) (*procpb.Attr, error) {
	n, err := s.resolve(ctx, newCaller(in.GetPid(), in.GetCred()), string(in.GetPath()), false)
	if err != nil {
		return nil, err
	}
	return &procpb.Attr{Mode: typeBits[n.typ] | n.mode, Ino: ino(n.path), Nlink: n.nlink, Uid: n.uid, Gid: n.gid}, nil
}

// readable applies the checks of open(O_RDONLY): the mode bits, then
// the node's own check.
func (n *node) readable(c caller) error {
	want := uint32(4)
	if n.typ == dirNode {
		want |= 1
	}
	if n.perm != nil {
		return n.perm(want)
	}
	if !dacPermitted(c, n.mode, n.uid, n.gid, want, n.typ == dirNode) {
		return syscall.EACCES
	}
	if n.check != nil {
		return n.check()
	}
	return nil
}

// ReadFile implements procpb.ProcServer. Every call renders the file
// afresh from its sources and returns the part at offset: procd keeps
// nothing between calls, so no reader sees data of a process that has
// exited. A reader that needs one consistent snapshot of a file larger
// than one reply reads it with a buffer of maxRead bytes.
func (s *Server) ReadFile(ctx context.Context, in *procpb.ReadFileRequest) (*procpb.ReadFileReply, error) {
	c := newCaller(in.GetPid(), in.GetCred())
	n, err := s.resolve(ctx, c, string(in.GetPath()), true)
	if err != nil {
		return nil, err
	}
	switch n.typ {
	case dirNode:
		return nil, syscall.EISDIR
	case linkNode:
		// A link out of /proc (exe, cwd, an fd) is vfsd's to follow.
		return nil, syscall.ELOOP
	}
	if err := n.readable(c); err != nil {
		return nil, err
	}
	data, err := n.read(ctx)
	if err != nil {
		return nil, err
	}
	off := in.GetOffset()
	if off >= uint64(len(data)) {
		return &procpb.ReadFileReply{Eof: true}, nil
	}
	end := off + uint64(min(in.GetLength(), maxRead))
	if end >= uint64(len(data)) {
		return &procpb.ReadFileReply{Data: data[off:], Eof: true}, nil
	}
	return &procpb.ReadFileReply{Data: data[off:end]}, nil
}

// ReadDir implements procpb.ProcServer, from the entry at the request's
// offset as far as one reply holds. "." and ".." are vfsd's to add.
func (s *Server) ReadDir(ctx context.Context, in *procpb.ReadDirRequest) (*procpb.ReadDirReply, error) {
	c := newCaller(in.GetPid(), in.GetCred())
	n, err := s.resolve(ctx, c, string(in.GetPath()), true)
	if err != nil {
		return nil, err
	}
	if n.typ != dirNode {
		return nil, syscall.ENOTDIR
	}
	if err := n.readable(c); err != nil {
		return nil, err
	}
	es, err := n.list(ctx)
	if err != nil {
		return nil, err
	}
	out := &procpb.ReadDirReply{Eof: true}
	size := 0
	for i := in.GetOffset(); i < uint64(len(es)); i++ {
		e := es[i]
		// An entry costs its name and at most 20 bytes of framing,
		// type and inode number.
		if size += len(e.name) + 20; size > maxRead {
			out.Eof = false
			break
		}
		p := e.name
		if n.path != "" {
			p = n.path + "/" + e.name
		}
		out.Entries = append(out.Entries, &procpb.DirEntry{Name: []byte(e.name), Type: uint32(e.typ), Ino: ino(p)})
	}
	return out, nil
}

// Readlink implements procpb.ProcServer.
func (s *Server) Readlink(ctx context.Context, in *procpb.ReadlinkRequest) (*procpb.ReadlinkReply, error) {
	c := newCaller(in.GetPid(), in.GetCred())
	n, err := s.resolve(ctx, c, string(in.GetPath()), false)
	if err != nil {
		return nil, err
	}
	if n.typ != linkNode {
		return nil, syscall.EINVAL
	}
	if n.check != nil {
		if err := n.check(); err != nil {
			return nil, err
		}
	}
	t, err := n.link(ctx)
	if err != nil {
		return nil, err
	}
	return &procpb.ReadlinkReply{Target: []byte(t)}, nil
}

// WriteFile implements procpb.ProcServer, with the errno Linux gives the
// open(O_WRONLY) and write(2) pair: EISDIR for a directory, EACCES where
// the mode bits refuse, EIO from a file that has no write operation.
func (s *Server) WriteFile(ctx context.Context, in *procpb.WriteFileRequest) (*procpb.WriteFileReply, error) {
	c := newCaller(in.GetPid(), in.GetCred())
	n, err := s.resolve(ctx, c, string(in.GetPath()), true)
	if err != nil {
		return nil, err
	}
	switch {
	case n.typ == dirNode:
		return nil, syscall.EISDIR
	case n.typ == linkNode:
		// vfsd follows links; opening one itself is O_NOFOLLOW's ELOOP.
		return nil, syscall.ELOOP
	case n.tunable:
	case !dacPermitted(c, n.mode, n.uid, n.gid, 2, false):
		return nil, syscall.EACCES
	case n.write == nil:
		return nil, n.noWrite
	}
	w, err := n.write(in.GetData())
	if err != nil {
		return nil, err
	}
	return &procpb.WriteFileReply{Written: uint32(w)}, nil
}
