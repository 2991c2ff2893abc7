package task

import (
	"context"
	"slices"
	"syscall"
	"time"

	"aramid/proto/procpb"
)

// /proc's view of the process tree. procd asks linuxd for processes while
// a system call holds linuxd's lock and waits for vfsd, which waits for
// procd: reading the tree itself would deadlock. So every change that
// /proc shows is published, under the lock, as a copy that ProcSource
// reads under a lock of its own.

// ProcSource serves procd's ProcessSource, so that /proc/<pid>/… (and
// ps, top) show linuxd's processes.
type ProcSource struct{ K *Kernel }

// Publish records what /proc shows of p now. The caller holds K.Mu.
func (k *Kernel) Publish(p *Process) {
	info := &procpb.ProcessInfo{
		Pid: uint32(p.PID), Ppid: 1, Pgid: uint32(p.PGID), Sid: uint32(p.SID), Tgid: uint32(p.PID),
		Comm: []byte(p.Comm), State: "S", Threads: uint32(max(len(p.Threads), 1)), Umask: p.Umask,
		Uids: []uint32{0, 0, 0, 0}, Gids: []uint32{0, 0, 0, 0},
		Cwd: []byte(p.CwdPath), Root: []byte("/"), Exe: []byte(p.Exe),
		StartTime:  uint64(p.Start.Sub(k.started) / (time.Second / clockTicks)),
		ExitSignal: SIGCHLD, FdSize: 64, SigPending: p.Pending,
	}
	if p.Parent != nil {
		info.Ppid = uint32(p.Parent.PID)
	}
	if p.Exited {
		info.State = "Z"
	}
	for _, a := range p.Argv {
		info.Cmdline = append(info.Cmdline, []byte(a))
	}
	for _, e := range p.Envp {
		info.Environ = append(info.Environ, []byte(e))
	}
	for sig := 1; sig <= NSig; sig++ {
		switch h := p.Actions[sig].Handler; {
		case h == sigIgn:
			info.SigIgnored |= Bit(sig)
		case h > sigIgn:
			info.SigCaught |= Bit(sig)
		}
	}
	k.infoMu.Lock()
	k.info[p.PID] = info
	k.infoMu.Unlock()
}

func (k *Kernel) unpublish(pid int) {
	k.infoMu.Lock()
	delete(k.info, pid)
	k.infoMu.Unlock()
}

// clockTicks is USER_HZ, the unit of /proc's times.
const clockTicks = 100

// ListProcesses implements procpb.ProcessSourceServer.
func (s ProcSource) ListProcesses(context.Context, *procpb.ListProcessesRequest) (*procpb.ListProcessesReply, error) {
	s.K.infoMu.Lock()
	defer s.K.infoMu.Unlock()
	r := &procpb.ListProcessesReply{}
	for pid := range s.K.info {
		r.Pids = append(r.Pids, uint32(pid))
	}
	slices.Sort(r.Pids)
	return r, nil
}

// GetProcess implements procpb.ProcessSourceServer.
func (s ProcSource) GetProcess(_ context.Context, req *procpb.GetProcessRequest) (*procpb.ProcessInfo, error) {
	s.K.infoMu.Lock()
	defer s.K.infoMu.Unlock()
	info := s.K.info[int(req.GetPid())]
	if info == nil {
		return nil, syscall.ESRCH
	}
	return info, nil
}

// SetComm implements procpb.ProcessSourceServer (a write to
// /proc/<pid>/comm): the name changes with the process's next call that
// publishes, and in the copy at once.
func (s ProcSource) SetComm(_ context.Context, req *procpb.SetCommRequest) (*procpb.SetCommReply, error) {
	s.K.infoMu.Lock()
	defer s.K.infoMu.Unlock()
	info := s.K.info[int(req.GetPid())]
	if info == nil {
		return nil, syscall.ESRCH
	}
	comm := req.GetComm()
	info.Comm = comm[:min(len(comm), 15)]
	return &procpb.SetCommReply{}, nil
}
