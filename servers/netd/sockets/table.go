package sockets

import (
	"net/netip"
	"sort"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"aramid/lib/linux"
)

// Linux TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
// netstack's public states use the same numbers; its internal ones map
// onto TCP_CLOSE.
const (
	TCPEstablished = linux.TCP_ESTABLISHED
	TCPSynSent     = linux.TCP_SYN_SENT
	TCPClose       = linux.TCP_CLOSE
	TCPListen      = linux.TCP_LISTEN
)

// SocketEntry is one line of /proc/net/{tcp,tcp6,udp,udp6}. It mirrors
// the SocketEntry message of proto/proc.proto, which procd renders.
type SocketEntry struct {
	Family   int // AF_INET or AF_INET6
	Protocol int // IPPROTO_TCP or IPPROTO_UDP
	Local    netip.AddrPort
	Remote   netip.AddrPort
	State    int    // Linux TCP state number; UDP uses 1 (connected) or 7
	TxQueue  uint32 // a listener's backlog; 0 otherwise, as netstack keeps its send queue's size to itself
	RxQueue  uint32 // bytes not yet read; a listener's accept queue length
	UID      uint32
	Inode    uint64 // 0 once the owner closed it (TIME_WAIT and friends)
}

// SocketTable lists every TCP and UDP socket, listening and unconnected
// ones included, sorted by inode, and TCP connections that are closed
// but still in the protocol. Like Linux, it lists an AF_INET6 socket once,
// as tcp6 or udp6, even when it carries IPv4 traffic.
func (n *Stack) SocketTable() []SocketEntry {
	n.mu.Lock()
	socks := make([]*socket, 0, len(n.sockets)+len(n.closing))
	for _, s := range n.sockets {
		socks = append(socks, s)
	}
	n.pruneClosingLocked()
	closing := append([]*socket(nil), n.closing...)
	n.mu.Unlock()

	out := make([]SocketEntry, 0, len(socks)+len(closing))
	for _, s := range socks {
		out = append(out, s.entry(true))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Inode < out[j].Inode })
	for _, s := range closing {
		out = append(out, s.entry(false))
	}
	return out
}

func (s *socket) entry(owned bool) SocketEntry {
	e := SocketEntry{Family: s.family, Protocol: s.proto, State: s.state()}
	if owned {
		e.UID, e.Inode = s.uid, s.inode
	}
	local, _ := s.ep.GetLocalAddress()
	remote, _ := s.ep.GetRemoteAddress()
	e.Local, e.Remote = addrPort(s.family, local), addrPort(s.family, remote)
	if e.State == TCPListen {
		// Linux shows a listener's backlog in tx_queue and its accept
		// queue's length in rx_queue; netstack does not expose the
		// latter, so it stays 0.
		s.mu.Lock()
		e.TxQueue = s.backlog
		s.mu.Unlock()
		return e
	}
	if rx, err := s.ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption); err == nil {
		e.RxQueue = uint32(max(rx, 0))
	}
	return e
}

// state is the Linux state number of s.
func (s *socket) state() int {
	st := tcp.EndpointState(s.ep.State())
	if s.proto == syscall.IPPROTO_UDP {
		if _, err := s.ep.GetRemoteAddress(); err == nil {
			return TCPEstablished
		}
		return TCPClose
	}
	switch st {
	case tcp.StateInitial, tcp.StateBound, tcp.StateError:
		return TCPClose
	case tcp.StateConnecting:
		return TCPSynSent
	}
	return int(st)
}

// pruneClosingLocked drops the closed TCP connections that netstack has
// finished with. Close calls it whenever the list has doubled since the
// last pruning, so the list stays proportional to the connections still
// in TIME_WAIT and the like, even if nobody reads the table.
func (n *Stack) pruneClosingLocked() {
	live := n.closing[:0]
	for _, s := range n.closing {
		if st := tcp.EndpointState(s.ep.State()); st != tcp.StateClose && st != tcp.StateError && st != tcp.StateInitial {
			live = append(live, s)
		}
	}
	clear(n.closing[len(live):])
	n.closing = live
	n.pruned = len(live)
}
