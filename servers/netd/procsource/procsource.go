// Package procsource is netd's export to /proc: it serves procd's
// SocketSource (proto/procpb) from the socket table, so procd can render
// /proc/net/{tcp,tcp6,udp,udp6} when one is read.
package procsource

import (
	"context"
	"syscall"

	"aramid/proto/procpb"
	"aramid/servers/netd/sockets"
)

// Source serves SocketSource for a Stack.
type Source struct{ Stack *sockets.Stack }

var _ procpb.SocketSourceServer = Source{}

// ListSockets returns the socket table, filtered as asked.
func (s Source) ListSockets(_ context.Context, req *procpb.ListSocketsRequest) (*procpb.ListSocketsReply, error) {
	reply := &procpb.ListSocketsReply{}
	for _, e := range s.Stack.SocketTable() {
		fam, proto := uint32(6), procpb.Protocol_PROTOCOL_TCP
		if e.Family == syscall.AF_INET {
			fam = 4
		}
		if e.Protocol == syscall.IPPROTO_UDP {
			proto = procpb.Protocol_PROTOCOL_UDP
		}
		if (req.GetFamily() != 0 && req.GetFamily() != fam) ||
			(req.GetProtocol() != procpb.Protocol_PROTOCOL_UNSPECIFIED && req.GetProtocol() != proto) {
			continue
		}
		reply.Sockets = append(reply.Sockets, &procpb.SocketEntry{
			Family: fam, Protocol: proto,
			LocalAddr: e.Local.Addr().AsSlice(), LocalPort: uint32(e.Local.Port()),
			RemoteAddr: e.Remote.Addr().AsSlice(), RemotePort: uint32(e.Remote.Port()),
			State: uint32(e.State), TxQueue: e.TxQueue, RxQueue: e.RxQueue,
			Uid: e.UID, Inode: e.Inode,
		})
	}
	return reply, nil
}
