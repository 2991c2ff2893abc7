// Command authcheck is a client of authd running as a real process: it
// drives a login through the registrar and checks access through the
// checker, over generated protocol stubs on kernel channels.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/kchan"
	"aramid/servers/authd"
)

func dial(name string) *authpb.AuthClient {
	h, err := names.Lookup(name)
	if err != nil {
		fail("lookup %s: %v", name, err)
	}
	return authpb.NewAuthClient(kchan.NewClient(h))
}

func fail(format string, args ...any) {
	fmt.Printf("authcheck: FAIL "+format+"\n", args...)
	os.Exit(1)
}

func want(what string, err error, errno syscall.Errno) {
	if (errno == 0 && err != nil) || (errno != 0 && !errors.Is(err, errno)) {
		fail("%s: %v, want %v", what, err, errno)
	}
}

func main() {
	ctx := context.Background()
	registrar, checker := dial("auth.registrar"), dial("auth")
	const pid = 42
	_, err := registrar.Fork(ctx, &authpb.ForkRequest{Parent: authd.InitPID, Child: pid})
	want("fork", err, 0)
	_, err = registrar.Transition(ctx, &authpb.TransitionRequest{Pid: pid, Op: &authpb.TransitionRequest_Setuid{Setuid: 1000}})
	want("setuid(1000)", err, 0)
	_, err = registrar.Transition(ctx, &authpb.TransitionRequest{Pid: pid, Op: &authpb.TransitionRequest_Setuid{Setuid: 0}})
	want("setuid(0) as a user", err, syscall.EPERM)
	c, err := checker.GetCred(ctx, &authpb.GetCredRequest{Pid: pid})
	want("checker GetCred", err, 0)
	if c.GetEuid() != 1000 {
		fail("euid %d, want 1000", c.GetEuid())
	}
	_, err = checker.Transition(ctx, &authpb.TransitionRequest{Pid: pid, Op: &authpb.TransitionRequest_Setuid{Setuid: 0}})
	want("transition through the checker", err, syscall.EPERM)
	_, err = checker.GetCred(ctx, &authpb.GetCredRequest{Pid: 7})
	want("cred of an unknown pid", err, syscall.ESRCH)
	fmt.Println("AUTHD PASS: login through the registrar, checks through the checker, errnos across processes")
}
