// Package controlpb is the control protocol (control.proto): the calls
// that concern the servers themselves and the lifecycle of Linux
// processes rather than any one subsystem. Every server serves Control
// beside its own protocol; linuxd and init call it to check that both
// ends speak the same version (Hello), to tell a server that a process
// forked or exited so it can copy or drop per-process state, and to shut
// a server down cleanly.
//
// The generated code gives ControlClient, the ControlServer interface and
// NewControlDispatcher. See docs/protocols.md.
package controlpb
