package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"syscall"
	"testing"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/inproc"
	"aramid/proto/rpc/rpctest"
	"aramid/servers/authd"
)

// dial serves s's two views on in-process channels and returns a client
// for linuxd (the registrar) and one for another server (a checker).
func dial(t *testing.T, s *authd.Server) (linuxd, vfsd *authpb.AuthClient) {
	t.Helper()
	srv := inproc.NewTable()
	reg := inproc.NewChannel(srv, authpb.NewAuthDispatcher(Registrar(s)))
	chk := inproc.NewChannel(srv, authpb.NewAuthDispatcher(Checker(s)))
	t.Cleanup(func() { reg.Close(); chk.Close() })
	return authpb.NewAuthClient(reg.Transport(inproc.NewTable())),
		authpb.NewAuthClient(chk.Transport(inproc.NewTable()))
}

func mustErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if (want == 0 && err != nil) || (want != 0 && !errors.Is(err, want)) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// TestLogin walks what login or su does: fork from init, drop to a user
// with setgroups, setgid and setuid, fail to climb back, then regain root
// by executing a set-user-ID root file.
func TestLogin(t *testing.T) {
	ctx := context.Background()
	linuxd, vfsd := dial(t, authd.New())
	_, err := linuxd.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: 2})
	mustErrno(t, "fork", err, 0)
	_, err = linuxd.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: 2})
	mustErrno(t, "fork onto a live pid", err, syscall.EEXIST)

	step := func(op *authpb.TransitionRequest) (*authpb.TransitionReply, error) {
		op.Pid = 2
		return linuxd.Transition(ctx, op)
	}
	_, err = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setgroups{
		Setgroups: &authpb.Groups{Groups: []uint32{1001, 100}}}})
	mustErrno(t, "setgroups", err, 0)
	_, err = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setgid{Setgid: 1000}})
	mustErrno(t, "setgid", err, 0)
	rep, err := step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setuid{Setuid: 1000}})
	mustErrno(t, "setuid", err, 0)
	want := &cred.Cred{RUID: 1000, EUID: 1000, SUID: 1000, FSUID: 1000,
		RGID: 1000, EGID: 1000, SGID: 1000, FSGID: 1000,
		Groups: []uint32{100, 1001}, Bounding: dac.AllCaps}
	if got, _ := authpb.ToCred(rep.GetCred()); !reflect.DeepEqual(got, want) {
		t.Fatalf("after setuid: %+v, want %+v", got, want)
	}
	_, err = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setuid{Setuid: 0}})
	mustErrno(t, "setuid(0) as a user", err, syscall.EPERM)
	rep, err = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setfsuid{Setfsuid: 0}})
	mustErrno(t, "setfsuid", err, 0)
	if rep.GetOldFsid() != 1000 || rep.GetCred().GetFsuid() != 1000 {
		t.Fatalf("setfsuid(0) as a user: returned %d, fsuid %d; want 1000, 1000", rep.GetOldFsid(), rep.GetCred().GetFsuid())
	}

	rep, err = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Exec{
		Exec: &authpb.Exec{Mode: syscall.S_IFREG | 0o4755, Uid: 0, Gid: 0}}})
	mustErrno(t, "exec setuid root", err, 0)
	c := rep.GetCred()
	if c.GetRuid() != 1000 || c.GetEuid() != 0 || c.GetSuid() != 0 || c.GetCapEffective() != uint64(dac.AllCaps) {
		t.Fatalf("after exec of a setuid-root file: %+v", c)
	}
	got, err := vfsd.GetCred(ctx, &authpb.GetCredRequest{Pid: 2})
	mustErrno(t, "checker GetCred", err, 0)
	if !reflect.DeepEqual(got.GetGroups(), c.GetGroups()) || got.GetEuid() != 0 {
		t.Fatalf("checker sees %+v, registrar %+v", got, c)
	}

	_, err = linuxd.Forget(ctx, &authpb.ForgetRequest{Pid: 2})
	mustErrno(t, "forget", err, 0)
	_, err = linuxd.GetCred(ctx, &authpb.GetCredRequest{Pid: 2})
	mustErrno(t, "cred of a reaped pid", err, syscall.ESRCH)
}

// TestDaemonKeepsOneCapability is what a server that binds port 80 and
// drops root does: keep capabilities across setresuid, then narrow them
// with capset to CAP_NET_BIND_SERVICE.
func TestDaemonKeepsOneCapability(t *testing.T) {
	ctx := context.Background()
	linuxd, vfsd := dial(t, authd.New())
	if _, err := linuxd.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: 7}); err != nil {
		t.Fatal(err)
	}
	step := func(op *authpb.TransitionRequest) *authpb.TransitionReply {
		t.Helper()
		op.Pid = 7
		rep, err := linuxd.Transition(ctx, op)
		if err != nil {
			t.Fatalf("%v: %v", op.Op, err)
		}
		return rep
	}
	step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Prctl{Prctl: &authpb.Prctl{Option: cred.PrSetKeepcaps, Arg2: 1}}})
	rep := step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Setresuid{Setresuid: &authpb.IdTriple{Real: 33, Effective: 33, Saved: 33}}})
	if rep.GetCred().GetCapPermitted() != uint64(dac.AllCaps) || rep.GetCred().GetCapEffective() != 0 {
		t.Fatalf("after setresuid with keepcaps: %+v", rep.GetCred())
	}
	bind := uint64(dac.CapSet(0).With(dac.CapNetBindService))
	rep = step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Capset{Capset: &authpb.Capset{Effective: bind, Permitted: bind}}})
	c := rep.GetCred()
	_, err := vfsd.Capable(ctx, &authpb.CapableRequest{Cred: c, Capability: dac.CapNetBindService})
	mustErrno(t, "CAP_NET_BIND_SERVICE kept", err, 0)
	_, err = vfsd.Capable(ctx, &authpb.CapableRequest{Cred: c, Capability: dac.CapSetuid})
	mustErrno(t, "CAP_SETUID dropped", err, syscall.EPERM)
	if v := step(&authpb.TransitionRequest{Op: &authpb.TransitionRequest_Prctl{Prctl: &authpb.Prctl{Option: cred.PrGetKeepcaps}}}).GetValue(); v != 1 {
		t.Fatalf("PR_GET_KEEPCAPS = %d, want 1", v)
	}
	_, err = linuxd.Transition(ctx, &authpb.TransitionRequest{Pid: 7, Op: &authpb.TransitionRequest_Capset{
		Capset: &authpb.Capset{Permitted: uint64(dac.AllCaps)}}})
	mustErrno(t, "regrow permitted", err, syscall.EPERM)
}

// TestCheckerCannotChangeCredentials is the boundary of docs/authd.md:
// only the registrar channel changes the table.
func TestCheckerCannotChangeCredentials(t *testing.T) {
	ctx := context.Background()
	_, vfsd := dial(t, authd.New())
	_, err := vfsd.Transition(ctx, &authpb.TransitionRequest{Pid: authd.InitPID,
		Op: &authpb.TransitionRequest_Setuid{Setuid: 0}})
	mustErrno(t, "checker Transition", err, syscall.EPERM)
	_, err = vfsd.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: 9})
	mustErrno(t, "checker Fork", err, syscall.EPERM)
	_, err = vfsd.Forget(ctx, &authpb.ForgetRequest{Pid: authd.InitPID})
	mustErrno(t, "checker Forget", err, syscall.EPERM)
}

func TestChecks(t *testing.T) {
	ctx := context.Background()
	_, vfsd := dial(t, authd.New())
	user := authpb.FromCred(&cred.Cred{RUID: 0, EUID: 1000, SUID: 1000, FSUID: 1000, FSGID: 1000})
	access := func(mode, uid uint32, want uint32, real bool) error {
		_, err := vfsd.CheckAccess(ctx, &authpb.AccessRequest{Cred: user, Mode: mode, Uid: uid, Want: want, Real: real})
		return err
	}
	mustErrno(t, "read own 0400", access(syscall.S_IFREG|0o400, 1000, dac.MayRead, false), 0)
	mustErrno(t, "write own 0400", access(syscall.S_IFREG|0o400, 1000, dac.MayWrite, false), syscall.EACCES)
	// access(2) checks with the real uid, 0 here, and so with root's
	// permitted set, which this credential has emptied.
	mustErrno(t, "access(2) of 0400 by real root without caps", access(syscall.S_IFREG|0o400, 1000, dac.MayRead, true), syscall.EACCES)
	mustErrno(t, "bad mask", access(syscall.S_IFREG, 0, 8, false), syscall.EINVAL)

	_, err := vfsd.CheckAccess(ctx, &authpb.AccessRequest{Cred: &authpb.Cred{CapEffective: 1}, Want: dac.MayRead})
	mustErrno(t, "effective outside permitted", err, syscall.EINVAL)

	root := authpb.FromCred(cred.Root())
	_, err = vfsd.Capable(ctx, &authpb.CapableRequest{Cred: root, Capability: dac.CapNetBindService})
	mustErrno(t, "root CAP_NET_BIND_SERVICE", err, 0)
	_, err = vfsd.Capable(ctx, &authpb.CapableRequest{Cred: user, Capability: dac.CapNetBindService})
	mustErrno(t, "user CAP_NET_BIND_SERVICE", err, syscall.EPERM)
	_, err = vfsd.Capable(ctx, &authpb.CapableRequest{Cred: root, Capability: 64})
	mustErrno(t, "capability 64", err, syscall.EINVAL)
}

// TestTransitionsMatchModel drives random setuid-family calls and execs
// through the protocol and requires each reply to match both package
// cred (the functions authd calls: the plumbing) and manCred, the rules
// restated from the man pages (the rules themselves).
func TestTransitionsMatchModel(t *testing.T) {
	ctx := context.Background()
	linuxd, _ := dial(t, authd.New())
	r := rand.New(rand.NewPCG(3, 2026))
	ids := []uint32{0, 1000, 1001, cred.NoChange}
	id := func() uint32 { return ids[r.IntN(len(ids))] }
	modes := []uint32{0o755, 0o4755, 0o2755, 0o2745, 0o6755, 0o6745}
	for pid := uint32(2); pid < 400; pid++ {
		if _, err := linuxd.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: pid}); err != nil {
			t.Fatal(err)
		}
		model, man := cred.Root(), manRoot()
		for range 8 {
			req := &authpb.TransitionRequest{Pid: pid}
			var n *cred.Cred
			var err, manErr error
			var old, manOld uint32
			next := man
			switch op := r.IntN(10); op {
			case 0, 1:
				u := id()
				if op == 0 {
					req.Op = &authpb.TransitionRequest_Setuid{Setuid: u}
					n, err = model.Setuid(u)
				} else {
					req.Op = &authpb.TransitionRequest_Setgid{Setgid: u}
					n, err = model.Setgid(u)
				}
				next, manErr = man.set1(op == 0, u)
			case 2, 3:
				a, b := id(), id()
				if op == 2 {
					req.Op = &authpb.TransitionRequest_Setreuid{Setreuid: &authpb.IdPair{Real: a, Effective: b}}
					n, err = model.Setreuid(a, b)
				} else {
					req.Op = &authpb.TransitionRequest_Setregid{Setregid: &authpb.IdPair{Real: a, Effective: b}}
					n, err = model.Setregid(a, b)
				}
				next, manErr = man.setRE(op == 2, a, b)
			case 4, 5:
				a, b, c := id(), id(), id()
				if op == 4 {
					req.Op = &authpb.TransitionRequest_Setresuid{Setresuid: &authpb.IdTriple{Real: a, Effective: b, Saved: c}}
					n, err = model.Setresuid(a, b, c)
				} else {
					req.Op = &authpb.TransitionRequest_Setresgid{Setresgid: &authpb.IdTriple{Real: a, Effective: b, Saved: c}}
					n, err = model.Setresgid(a, b, c)
				}
				next, manErr = man.setRES(op == 4, a, b, c)
			case 6, 7:
				u := id()
				if op == 6 {
					req.Op = &authpb.TransitionRequest_Setfsuid{Setfsuid: u}
					n, old = model.Setfsuid(u)
				} else {
					req.Op = &authpb.TransitionRequest_Setfsgid{Setfsgid: u}
					n, old = model.Setfsgid(u)
				}
				next, manOld = man.setFS(op == 6, u)
			case 8:
				g := []uint32{id(), id()}
				req.Op = &authpb.TransitionRequest_Setgroups{Setgroups: &authpb.Groups{Groups: g}}
				n, err = model.Setgroups(g)
				next, manErr = man.setgroups(g)
			case 9:
				e := cred.ExecFile{Mode: syscall.S_IFREG | modes[r.IntN(len(modes))], UID: id(), GID: id(), NoSuid: r.IntN(4) == 0}
				req.Op = &authpb.TransitionRequest_Exec{Exec: &authpb.Exec{Mode: e.Mode, Uid: e.UID, Gid: e.GID, Nosuid: e.NoSuid}}
				n = model.Exec(e)
				next = man.exec(e.Mode, e.UID, e.GID, e.NoSuid)
			}
			rep, rerr := linuxd.Transition(ctx, req)
			if (err == nil) != (rerr == nil) || (err != nil && !errors.Is(rerr, err)) {
				t.Fatalf("pid %d %v: protocol %v, model %v", pid, req.Op, rerr, err)
			}
			if (manErr == nil) != (rerr == nil) || (manErr != nil && !errors.Is(rerr, manErr)) {
				t.Fatalf("pid %d %v from %+v: protocol %v, man pages %v", pid, req.Op, man.cred(), rerr, manErr)
			}
			if err != nil {
				continue
			}
			got, _ := authpb.ToCred(rep.GetCred())
			if !reflect.DeepEqual(normGroups(got), normGroups(n)) || rep.GetOldFsid() != old {
				t.Fatalf("pid %d %v: protocol %+v old %d, model %+v old %d", pid, req.Op, got, rep.GetOldFsid(), n, old)
			}
			if want := next.cred(); !reflect.DeepEqual(normGroups(got), normGroups(want)) || rep.GetOldFsid() != manOld {
				t.Fatalf("pid %d %v from %+v:\nprotocol   %+v old %d\nman pages %+v old %d", pid, req.Op, man.cred(), got, rep.GetOldFsid(), want, manOld)
			}
			model, man = n, next
		}
	}
}

func normGroups(c *cred.Cred) *cred.Cred {
	if len(c.Groups) == 0 {
		n := *c
		n.Groups = nil
		return &n
	}
	return c
}

func FuzzRegistrar(f *testing.F) {
	rpctest.FuzzDispatcher(f, authpb.NewAuthDispatcher(Registrar(authd.New())), authpb.AuthMethods)
}

func BenchmarkCheckAccess(b *testing.B) {
	srv := inproc.NewTable()
	ch := inproc.NewChannel(srv, authpb.NewAuthDispatcher(Checker(authd.New())))
	defer ch.Close()
	cli := authpb.NewAuthClient(ch.Transport(inproc.NewTable()))
	req := &authpb.AccessRequest{Cred: authpb.FromCred(cred.Root()), Mode: syscall.S_IFREG | 0o644, Want: dac.MayRead}
	for b.Loop() {
		if _, err := cli.CheckAccess(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
