package task

import (
	"bytes"
	"context"
	"slices"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"aramid/proto/procpb"
	"aramid/servers/linuxd/usermem"
)

// /proc's view of the process tree. procd asks linuxd for processes while
// a system call holds linuxd's lock and waits for vfsd, which waits for
// procd: reading the tree itself would deadlock. So every change that
// /proc shows is published, under the lock, as a copy that ProcSource
// reads under a lock of its own.

// shownProcess is what /proc shows of a process: the published copy, and
// while the process lives, where to read its command line, which
// programs rewrite in place (setproctitle) without a system call.
type shownProcess struct {
	info             *procpb.ProcessInfo
	mem              usermem.Memory // nil once the process has ended
	argStart, argEnd uint64
	envEnd           uint64
}

// ProcSource serves procd's ProcessSource, so that /proc/<pid>/… (and
// ps, top) show linuxd's processes.
type ProcSource struct{ K *Kernel }

// Publish records what /proc shows of p now. The caller holds K.Mu.
func (k *Kernel) Publish(p *Process) {
	info := &procpb.ProcessInfo{
		Pid: uint32(p.PID), Ppid: 1, Pgid: uint32(p.PGID), Sid: uint32(p.SID), Tgid: uint32(p.PID),
		Comm: []byte(p.Comm), State: "S", Threads: uint32(max(len(p.Threads), 1)), Umask: p.Umask,
		Uids: []uint32{p.Cred.RUID, p.Cred.EUID, p.Cred.SUID, p.Cred.FSUID},
		Gids: []uint32{p.Cred.RGID, p.Cred.EGID, p.Cred.SGID, p.Cred.FSGID}, Groups: p.Cred.Groups,
		CapEffective: uint64(p.Cred.Effective), CapPermitted: uint64(p.Cred.Permitted),
		CapInheritable: uint64(p.Cred.Inheritable), CapBounding: uint64(p.Cred.Bounding), CapAmbient: uint64(p.Cred.Ambient),
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
	shown := &shownProcess{info: info, argStart: p.ArgStart, argEnd: p.ArgEnd, envEnd: p.EnvEnd}
	if !p.Exited {
		shown.mem = p.Proc
	}
	k.infoMu.Lock()
	k.info[p.PID] = shown
	k.infoMu.Unlock()
}

// cmdline reads the command line as Linux's /proc/<pid>/cmdline does:
// argv's strings, unless the program overwrote the NUL that ends them,
// and then one string running on into the environment's space.
func (s *shownProcess) cmdline() [][]byte {
	if s.mem == nil || s.argEnd <= s.argStart || s.envEnd-s.argStart > 1<<20 {
		return s.info.Cmdline
	}
	b := make([]byte, s.envEnd-s.argStart)
	if s.mem.ReadAt(b, s.argStart) != nil {
		return s.info.Cmdline
	}
	args := b[:s.argEnd-s.argStart]
	if args[len(args)-1] != 0 {
		args = b
		if i := bytes.IndexByte(b, 0); i >= 0 {
			args = b[:i+1]
		}
	}
	return bytes.SplitAfter(bytes.TrimSuffix(args, []byte{0}), []byte{0})
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
	shown := s.K.info[int(req.GetPid())]
	if shown == nil {
		return nil, syscall.ESRCH
	}
	info := proto.Clone(shown.info).(*procpb.ProcessInfo)
	info.Cmdline = nil
	for _, a := range shown.cmdline() {
		info.Cmdline = append(info.Cmdline, bytes.TrimSuffix(a, []byte{0}))
	}
	return info, nil
}

// SetComm implements procpb.ProcessSourceServer (a write to
// /proc/<pid>/comm): the name changes with the process's next call that
// publishes, and in the copy at once.
func (s ProcSource) SetComm(_ context.Context, req *procpb.SetCommRequest) (*procpb.SetCommReply, error) {
	s.K.infoMu.Lock()
	defer s.K.infoMu.Unlock()
	shown := s.K.info[int(req.GetPid())]
	if shown == nil {
		return nil, syscall.ESRCH
	}
	comm := req.GetComm()
	shown.info.Comm = comm[:min(len(comm), 15)]
	return &procpb.SetCommReply{}, nil
}
