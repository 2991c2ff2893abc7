// Package service is authd's protocol adapter: it serves the auth protocol
// (proto/authpb) on an authd.Server.
//
// Who may do what is decided by the channel a request arrives on (see
// docs/authd.md): Registrar is served only on the channel init gives
// linuxd, Checker on the channels of every other server.
package service

import (
	"context"
	"syscall"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/servers/authd"
)

// Registrar returns the full protocol, for linuxd alone: it names
// processes by pid, and only linuxd knows which process made a system
// call, because the kernel tells it.
func Registrar(s *authd.Server) authpb.AuthServer { return registrar{s} }

// Checker returns the protocol for every other server: credentials may be
// read and checks asked, but no process's credential can be changed,
// created or dropped (EPERM).
func Checker(s *authd.Server) authpb.AuthServer { return checker{registrar{s}} }

type registrar struct{ s *authd.Server }

func (r registrar) GetCred(_ context.Context, in *authpb.GetCredRequest) (*authpb.Cred, error) {
	c, err := r.s.Cred(in.GetPid())
	if err != nil {
		return nil, err
	}
	return authpb.FromCred(c), nil
}

func (r registrar) Transition(_ context.Context, in *authpb.TransitionRequest) (*authpb.TransitionReply, error) {
	rep := &authpb.TransitionReply{}
	n, err := r.s.Update(in.GetPid(), func(c *cred.Cred) (*cred.Cred, error) {
		if p := in.GetPrctl(); p != nil {
			n, v, err := c.Prctl(uint64(p.GetOption()), p.GetArg2(), p.GetArg3(), p.GetArg4(), p.GetArg5())
			rep.Value = v
			return n, err
		}
		n, oldFS, err := transition(c, in)
		rep.OldFsid = oldFS
		return n, err
	})
	if err != nil {
		return nil, err
	}
	rep.Cred = authpb.FromCred(n)
	return rep, nil
}

// transition applies the call in to c, prctl aside.
func transition(c *cred.Cred, in *authpb.TransitionRequest) (*cred.Cred, uint32, error) {
	switch op := in.GetOp().(type) {
	case *authpb.TransitionRequest_Setuid:
		n, err := c.Setuid(op.Setuid)
		return n, 0, err
	case *authpb.TransitionRequest_Setreuid:
		n, err := c.Setreuid(op.Setreuid.GetReal(), op.Setreuid.GetEffective())
		return n, 0, err
	case *authpb.TransitionRequest_Setresuid:
		t := op.Setresuid
		n, err := c.Setresuid(t.GetReal(), t.GetEffective(), t.GetSaved())
		return n, 0, err
	case *authpb.TransitionRequest_Setfsuid:
		n, old := c.Setfsuid(op.Setfsuid)
		return n, old, nil
	case *authpb.TransitionRequest_Setgid:
		n, err := c.Setgid(op.Setgid)
		return n, 0, err
	case *authpb.TransitionRequest_Setregid:
		n, err := c.Setregid(op.Setregid.GetReal(), op.Setregid.GetEffective())
		return n, 0, err
	case *authpb.TransitionRequest_Setresgid:
		t := op.Setresgid
		n, err := c.Setresgid(t.GetReal(), t.GetEffective(), t.GetSaved())
		return n, 0, err
	case *authpb.TransitionRequest_Setfsgid:
		n, old := c.Setfsgid(op.Setfsgid)
		return n, old, nil
	case *authpb.TransitionRequest_Setgroups:
		n, err := c.Setgroups(op.Setgroups.GetGroups())
		return n, 0, err
	case *authpb.TransitionRequest_Capset:
		cs := op.Capset
		n, err := c.Capset(dac.CapSet(cs.GetEffective()), dac.CapSet(cs.GetPermitted()), dac.CapSet(cs.GetInheritable()))
		return n, 0, err
	case *authpb.TransitionRequest_Exec:
		e := op.Exec
		return c.Exec(cred.ExecFile{Mode: e.GetMode(), UID: e.GetUid(), GID: e.GetGid(), NoSuid: e.GetNosuid()}), 0, nil
	}
	return nil, 0, syscall.EINVAL
}

func (r registrar) Fork(_ context.Context, in *authpb.ForkRequest) (*authpb.ForkReply, error) {
	if err := r.s.Fork(in.GetParent(), in.GetChild()); err != nil {
		return nil, err
	}
	return &authpb.ForkReply{}, nil
}

func (r registrar) Forget(_ context.Context, in *authpb.ForgetRequest) (*authpb.ForgetReply, error) {
	if err := r.s.Forget(in.GetPid()); err != nil {
		return nil, err
	}
	return &authpb.ForgetReply{}, nil
}

func (registrar) CheckAccess(_ context.Context, in *authpb.AccessRequest) (*authpb.AccessReply, error) {
	c, err := authpb.ToCred(in.GetCred())
	if err != nil {
		return nil, err
	}
	if in.GetWant()&^(dac.MayRead|dac.MayWrite|dac.MayExec) != 0 {
		return nil, syscall.EINVAL
	}
	d := c.DAC()
	if in.GetReal() {
		d = c.AccessDAC()
	}
	if err := dac.Check(d, dac.File{Mode: in.GetMode(), UID: in.GetUid(), GID: in.GetGid()}, in.GetWant()); err != nil {
		return nil, err
	}
	return &authpb.AccessReply{}, nil
}

func (registrar) Capable(_ context.Context, in *authpb.CapableRequest) (*authpb.CapableReply, error) {
	c, err := authpb.ToCred(in.GetCred())
	if err != nil {
		return nil, err
	}
	if in.GetCapability() > dac.CapLast {
		return nil, syscall.EINVAL
	}
	if !c.Capable(int(in.GetCapability())) {
		return nil, syscall.EPERM
	}
	return &authpb.CapableReply{}, nil
}

// checker is the registrar without the calls that change the table.
type checker struct{ registrar }

func (checker) Transition(context.Context, *authpb.TransitionRequest) (*authpb.TransitionReply, error) {
	return nil, syscall.EPERM
}

func (checker) Fork(context.Context, *authpb.ForkRequest) (*authpb.ForkReply, error) {
	return nil, syscall.EPERM
}

func (checker) Forget(context.Context, *authpb.ForgetRequest) (*authpb.ForgetReply, error) {
	return nil, syscall.EPERM
}
