// Package procpb is the proc protocol (proc.proto): procd serves /proc
// through the Proc service, and renders it from data it pulls, when a
// file is read, from the servers that own it: ProcessSource (linuxd),
// SocketSource (netd), SystemSource (the kernel's memory, CPU and time
// figures) and MountSource (vfsd). Pulling keeps every read current
// without a message per state change, and leaves procd no copy that a
// reader could see after a process exits.
//
// The generated code gives a Client, a Server interface and a
// Dispatcher for each of the five services. See docs/procd.md and
// docs/protocols.md.
package procpb
