// Package netpb is the net protocol (net.proto): the socket calls that
// linuxd forwards to netd.
//
// Every call is non-blocking: where Linux would block, netd answers
// EAGAIN (EINPROGRESS for a TCP connect) at once, and linuxd builds
// blocking sockets, poll and epoll on the Readiness service's events, so
// netd never holds a call open. Constants (AF_*, SOCK_*, MSG_*, SO_*,
// EPOLL*) are Linux's values.
//
// The generated code gives NetClient, the NetServer interface that netd
// implements and NewNetDispatcher, and the same for Readiness. See
// docs/netd.md and docs/protocols.md.
package netpb
