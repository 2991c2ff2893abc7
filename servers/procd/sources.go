package procd

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"aramid/proto/procpb"
)

// ProcessSource is what linuxd serves; procpb.ProcessSourceClient is one.
type ProcessSource interface {
	ListProcesses(context.Context, *procpb.ListProcessesRequest) (*procpb.ListProcessesReply, error)
	GetProcess(context.Context, *procpb.GetProcessRequest) (*procpb.ProcessInfo, error)
	SetComm(context.Context, *procpb.SetCommRequest) (*procpb.SetCommReply, error)
}

// SocketSource is what netd serves; procpb.SocketSourceClient is one.
type SocketSource interface {
	ListSockets(context.Context, *procpb.ListSocketsRequest) (*procpb.ListSocketsReply, error)
}

// SystemSource is what the kernel serves; procpb.SystemSourceClient is one.
type SystemSource interface {
	GetSystem(context.Context, *procpb.GetSystemRequest) (*procpb.SystemInfo, error)
}

// MountSource is what vfsd serves; procpb.MountSourceClient is one.
type MountSource interface {
	ListMounts(context.Context, *procpb.ListMountsRequest) (*procpb.ListMountsReply, error)
}

// sources holds the registered sources. procd keeps no data of its own
// from them: every read calls the source, so nothing a reader sees can
// outlive the process or socket it describes.
type sources struct {
	mu     sync.RWMutex
	procs  ProcessSource
	socks  SocketSource
	sys    SystemSource
	mounts MountSource
}

// errNoSource is returned for a file whose source has not registered
// yet: EIO is what Linux returns when a file's backing data is missing.
var errNoSource = syscall.EIO

func (s *sources) processes() ProcessSource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.procs
}

func (s *sources) sockets() SocketSource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.socks
}

func (s *sources) system() SystemSource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sys
}

func (s *sources) mountTable() MountSource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mounts
}

// SetProcessSource makes p the source of processes, replacing any other.
func (s *Server) SetProcessSource(p ProcessSource) {
	s.src.mu.Lock()
	s.src.procs = p
	s.src.mu.Unlock()
}

// SetSocketSource makes p the source of sockets, replacing any other.
func (s *Server) SetSocketSource(p SocketSource) {
	s.src.mu.Lock()
	s.src.socks = p
	s.src.mu.Unlock()
}

// SetSystemSource makes p the source of system figures.
func (s *Server) SetSystemSource(p SystemSource) {
	s.src.mu.Lock()
	s.src.sys = p
	s.src.mu.Unlock()
}

// SetMountSource makes p the source of the mount table.
func (s *Server) SetMountSource(p MountSource) {
	s.src.mu.Lock()
	s.src.mounts = p
	s.src.mu.Unlock()
}

// process fetches one process, mapping "no such process" to ENOENT as a
// lookup of /proc/<pid> does on Linux.
func (s *Server) process(ctx context.Context, pid uint32) (*procpb.ProcessInfo, error) {
	src := s.src.processes()
	if src == nil {
		return nil, syscall.ENOENT
	}
	p, err := src.GetProcess(ctx, &procpb.GetProcessRequest{Pid: pid})
	if errors.Is(err, syscall.ESRCH) || (err == nil && p.GetPid() != pid) {
		return nil, syscall.ENOENT
	}
	return p, err
}

func (s *Server) systemInfo(ctx context.Context) (*procpb.SystemInfo, error) {
	src := s.src.system()
	if src == nil {
		return nil, errNoSource
	}
	return src.GetSystem(ctx, &procpb.GetSystemRequest{})
}
