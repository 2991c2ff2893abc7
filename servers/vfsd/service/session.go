// Package service is vfsd's protocol adapter: it serves the vfs protocol
// (proto/vfspb) over a vfs namespace. A Session serves one client,
// normally linuxd, whose open files and registered buffers it keeps: file
// ids are meaningful only on the channel that made them.
package service

import (
	"context"
	"math"
	"sync"
	"syscall"

	"aramid/lib/linux"
	"aramid/proto/authpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/vfs"
)

// maxInline caps an inline read so its reply fits in one message.
const maxInline = rpc.MaxMessageSize - 1024

// Memory is a memory object a client registered for bulk data.
type Memory = rpc.Memory

// Session serves one client.
type Session struct {
	v *vfs.VFS
	*rpc.Buffers

	mu       sync.Mutex
	files    map[uint64]*vfs.File
	nextFile uint64
}

var _ vfspb.VfsServer = (*Session)(nil)

// New returns a Session for one client of namespace v.
func New(v *vfs.VFS, h rpc.Handles) *Session {
	return &Session{v: v, Buffers: rpc.NewBuffers(h), files: map[uint64]*vfs.File{}}
}

// Release closes the client's files and releases its buffers, when its
// channel closes.
func (s *Session) Release() {
	s.mu.Lock()
	files := s.files
	s.files = map[uint64]*vfs.File{}
	s.mu.Unlock()
	for _, f := range files {
		f.Close()
	}
	s.ReleaseBuffers()
}

// region returns the memory, offset and length a Region names, or EFAULT
// as the kernel gives for a bad user pointer. A single I/O is limited to
// what an int counts.
func (s *Session) region(r *rpc.Region) (Memory, int64, int, error) {
	mem, off, n, err := s.Region(r)
	if err != nil || n > math.MaxInt32 {
		return nil, 0, 0, syscall.EFAULT
	}
	return mem, off, int(n), nil
}

func (s *Session) file(id uint64) (*vfs.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	if f == nil {
		return nil, syscall.EBADF
	}
	return f, nil
}

// caller is what every path request carries about who makes it.
type caller interface {
	GetCred() *authpb.Cred
	GetPid() uint32
	GetRoot() uint64
}

// proc builds the caller from a request: its credential, pid, root (a
// file id, 0 for the namespace root) and dir, where relative paths
// start (0 for the root).
func (s *Session) proc(c caller, dir uint64) (*vfs.Proc, error) {
	root := s.v.Root()
	if c.GetRoot() != 0 {
		f, err := s.file(c.GetRoot())
		if err != nil {
			return nil, err
		}
		root = f.Loc
	}
	p := &vfs.Proc{Cred: authpb.ToDAC(c.GetCred()), Root: root, Cwd: root, PID: int32(c.GetPid())}
	if dir != 0 {
		f, err := s.file(dir)
		if err != nil {
			return nil, err
		}
		p.Cwd = f.Loc
	}
	return p, nil
}

// target resolves the file a request names: with AT_EMPTY_PATH and no
// path, dir itself.
func (s *Session) target(c caller, dir uint64, path []byte, flags uint32, follow bool) (*vfs.Proc, vfs.Loc, error) {
	p, err := s.proc(c, dir)
	if err != nil {
		return nil, vfs.Loc{}, err
	}
	if len(path) == 0 && flags&linux.AT_EMPTY_PATH != 0 {
		return p, p.Cwd, nil
	}
	l, err := s.v.Resolve(p, vfs.Loc{}, string(path), follow)
	return p, l, err
}

func (s *Session) Open(_ context.Context, req *vfspb.OpenRequest) (*vfspb.OpenReply, error) {
	p, err := s.proc(req, req.GetDir())
	if err != nil {
		return nil, err
	}
	f, err := s.v.Open(p, vfs.Loc{}, string(req.GetPath()), int(req.GetFlags()), req.GetMode()&^req.GetUmask())
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.mu.Lock()
	s.nextFile++
	id := s.nextFile
	s.files[id] = f
	s.mu.Unlock()
	return &vfspb.OpenReply{File: id, Stat: statProto(st)}, nil
}

func (s *Session) Close(_ context.Context, req *vfspb.CloseRequest) (*vfspb.CloseReply, error) {
	s.mu.Lock()
	f := s.files[req.GetFile()]
	delete(s.files, req.GetFile())
	s.mu.Unlock()
	if f == nil {
		return nil, syscall.EBADF
	}
	return &vfspb.CloseReply{}, f.Close()
}
