package procd

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"

	"aramid/proto/authpb"
	"aramid/proto/inproc"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
)

// fakeLinuxd is a process table served as linuxd serves ProcessSource.
type fakeLinuxd struct {
	procpb.UnimplementedProcessSourceServer
	mu    sync.Mutex
	procs map[uint32]*procpb.ProcessInfo
	calls int
}

func (f *fakeLinuxd) ListProcesses(context.Context, *procpb.ListProcessesRequest) (*procpb.ListProcessesReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &procpb.ListProcessesReply{}
	for pid := range f.procs {
		r.Pids = append(r.Pids, pid)
	}
	return r, nil
}

func (f *fakeLinuxd) GetProcess(_ context.Context, in *procpb.GetProcessRequest) (*procpb.ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	p, ok := f.procs[in.GetPid()]
	if !ok {
		return nil, syscall.ESRCH
	}
	return p, nil
}

func (f *fakeLinuxd) SetComm(_ context.Context, in *procpb.SetCommRequest) (*procpb.SetCommReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.procs[in.GetPid()]
	if !ok {
		return nil, syscall.ESRCH
	}
	p.Comm = in.GetComm()
	return &procpb.SetCommReply{}, nil
}

func (f *fakeLinuxd) exit(pid uint32) {
	f.mu.Lock()
	delete(f.procs, pid)
	f.mu.Unlock()
}

type fakeNetd struct {
	procpb.UnimplementedSocketSourceServer
	reply *procpb.ListSocketsReply
}

func (f *fakeNetd) ListSockets(_ context.Context, in *procpb.ListSocketsRequest) (*procpb.ListSocketsReply, error) {
	r := &procpb.ListSocketsReply{}
	for _, s := range f.reply.GetSockets() {
		if (in.Family == 0 || in.Family == s.Family) && (in.Protocol == 0 || in.Protocol == s.Protocol) {
			r.Sockets = append(r.Sockets, s)
		}
	}
	if in.Family == 0 || in.Family == 1 {
		r.UnixSockets = f.reply.GetUnixSockets()
	}
	return r, nil
}

type fakeKernel struct {
	procpb.UnimplementedSystemSourceServer
	info *procpb.SystemInfo
}

func (f *fakeKernel) GetSystem(context.Context, *procpb.GetSystemRequest) (*procpb.SystemInfo, error) {
	return f.info, nil
}

type fakeVfsd struct {
	procpb.UnimplementedMountSourceServer
	reply *procpb.ListMountsReply
}

func (f *fakeVfsd) ListMounts(context.Context, *procpb.ListMountsRequest) (*procpb.ListMountsReply, error) {
	return f.reply, nil
}

// fixture is procd with its four sources, each a separate "process"
// with its own handle table that registers over the proc protocol, as
// they will in the system.
type fixture struct {
	t      testing.TB
	server *inproc.Table
	ch     *inproc.Channel
	linuxd *fakeLinuxd
	netd   *fakeNetd
	kernel *fakeKernel
	vfsd   *fakeVfsd
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, server: inproc.NewTable(),
		linuxd: &fakeLinuxd{procs: map[uint32]*procpb.ProcessInfo{}},
		netd:   &fakeNetd{reply: testSockets()},
		kernel: &fakeKernel{info: testSystem()},
		vfsd:   &fakeVfsd{reply: testMounts()},
	}
	for _, p := range testProcesses() {
		f.linuxd.procs[p.Pid] = p
	}
	srv := New(f.server, DefaultUTS)
	f.ch = inproc.NewChannel(f.server, procpb.NewProcDispatcher(srv))
	t.Cleanup(func() { f.ch.Close() })
	f.register(procpb.SourceKind_SOURCE_PROCESSES, procpb.NewProcessSourceDispatcher(f.linuxd))
	f.register(procpb.SourceKind_SOURCE_SOCKETS, procpb.NewSocketSourceDispatcher(f.netd))
	f.register(procpb.SourceKind_SOURCE_SYSTEM, procpb.NewSystemSourceDispatcher(f.kernel))
	f.register(procpb.SourceKind_SOURCE_MOUNTS, procpb.NewMountSourceDispatcher(f.vfsd))
	return f
}

// register starts a source in a process of its own and hands procd the
// channel, through procd's generated client.
func (f *fixture) register(kind procpb.SourceKind, d rpc.Dispatcher) {
	own := inproc.NewTable()
	src := inproc.NewChannel(own, d)
	f.t.Cleanup(func() { src.Close() })
	h := own.Install(src)
	c := procpb.NewProcClient(f.ch.Transport(own))
	if _, err := c.RegisterSource(context.Background(), &procpb.RegisterSourceRequest{Kind: kind, Channel: &rpc.Handle{Value: h}}); err != nil {
		f.t.Fatalf("RegisterSource(%v): %v", kind, err)
	}
	if own.Len() != 0 {
		f.t.Fatalf("the channel handle stayed with the source")
	}
}

// as returns a client for a process: vfsd passes the caller's pid and
// credential with each request.
func (f *fixture) as(pid uint32, cred *authpb.Cred) *client {
	return &client{t: f.t, c: procpb.NewProcClient(f.ch.Transport(inproc.NewTable())), pid: pid, cred: cred}
}

type client struct {
	t    testing.TB
	c    *procpb.ProcClient
	pid  uint32
	cred *authpb.Cred
	// calls counts the replies of the last readdir.
	calls int
}

var ctx = context.Background()

// read reads a whole file in chunks of n bytes, as a reader would.
func (c *client) read(path string) ([]byte, error) {
	var out []byte
	for {
		r, err := c.c.ReadFile(ctx, &procpb.ReadFileRequest{Cred: c.cred, Pid: c.pid, Path: []byte(path), Offset: uint64(len(out)), Length: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, r.Data...)
		if r.Eof {
			return out, nil
		}
	}
}

func (c *client) mustRead(path string) string {
	c.t.Helper()
	b, err := c.read(path)
	if err != nil {
		c.t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

func (c *client) readlink(path string) (string, error) {
	r, err := c.c.Readlink(ctx, &procpb.ReadlinkRequest{Cred: c.cred, Pid: c.pid, Path: []byte(path)})
	return string(r.GetTarget()), err
}

// readdir lists a directory, calling again from where a reply ended.
func (c *client) readdir(path string) ([]string, error) {
	var names []string
	c.calls = 0
	for {
		r, err := c.c.ReadDir(ctx, &procpb.ReadDirRequest{Cred: c.cred, Pid: c.pid, Path: []byte(path), Offset: uint64(len(names))})
		c.calls++
		if err != nil {
			return nil, err
		}
		for _, e := range r.GetEntries() {
			names = append(names, string(e.Name))
		}
		if r.Eof {
			return names, nil
		}
		if len(r.GetEntries()) == 0 {
			return nil, fmt.Errorf("readdir %q: empty reply before the end", path)
		}
	}
}

func (c *client) lookup(path string) (*procpb.Attr, error) {
	return c.c.Lookup(ctx, &procpb.LookupRequest{Cred: c.cred, Pid: c.pid, Path: []byte(path)})
}

func (c *client) write(path, data string) (uint32, error) {
	r, err := c.c.WriteFile(ctx, &procpb.WriteFileRequest{Cred: c.cred, Pid: c.pid, Path: []byte(path), Data: []byte(data)})
	return r.GetWritten(), err
}

// Credentials of the tests: root with every capability, and a user.
var (
	rootCred = &authpb.Cred{CapEffective: 1<<41 - 1, CapPermitted: 1<<41 - 1}
	userCred = &authpb.Cred{Ruid: 1000, Euid: 1000, Suid: 1000, Fsuid: 1000,
		Rgid: 1000, Egid: 1000, Sgid: 1000, Fsgid: 1000}
)
