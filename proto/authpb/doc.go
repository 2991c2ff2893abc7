// Package authpb is the auth protocol (auth.proto): authd keeps each
// process's credentials, applies Linux's transitions to them (the setuid
// family, setgroups, exec of a set-user-ID file) and answers access
// checks. linuxd calls it; vfsd and netd carry the caller's Cred message
// in their own requests and check it in-process with lib/linux/dac.
//
// The generated code gives AuthClient, the AuthServer interface that authd
// implements and NewAuthDispatcher to serve it; cred.go converts between
// the Cred message and lib/linux/cred. Errors are the syscalls' errnos:
// EPERM for a transition the credential may not make, EACCES for a denied
// access, ESRCH for an unknown pid. See docs/authd.md and docs/protocols.md.
package authpb
