// Package sockets is netd's engine: gVisor's netstack behind Linux socket
// semantics. linuxd turns socket syscalls into calls on a Stack (through
// package service), so every method returns the errno Linux would (a syscall.Errno),
// blocks where Linux blocks, and honours the per-socket timeouts there.
//
// See docs/netd.md for the design and for what is deliberately missing.
package sockets

import (
	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// The NIC numbers netd gives its interfaces, as ifindex would be on Linux.
const (
	loopbackNIC tcpip.NICID = 1
	externalNIC tcpip.NICID = 2
)

// ID names a socket in netd. linuxd keeps it behind the Linux fd.
type ID uint32

// Cred is what netd needs to know about a socket's creator.
type Cred struct {
	UID uint32
	// BindService is CAP_NET_BIND_SERVICE: binding ports below 1024.
	BindService bool
}

// Stack owns one network stack and every socket on it.
type Stack struct {
	stack *stack.Stack
	cfg   config.Config

	mu        sync.Mutex
	sockets   map[ID]*socket
	nextID    ID
	nextInode uint64
	// closing holds TCP endpoints closed by their owner but still alive
	// in the protocol (FIN_WAIT, TIME_WAIT...), which Linux keeps listing
	// in /proc/net/tcp with no owner.
	closing []*socket
	pruned  int // len(closing) after the last pruning
}

// New builds a stack with a loopback interface and, if dev is not nil,
// an Ethernet interface on dev configured by cfg. clock is netstack's
// clock, nil for the real one; tests pass a manual one to run TCP's
// timers without waiting for them.
func New(cfg config.Config, dev link.Device, clock tcpip.Clock) (*Stack, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	s := stack.New(stack.Options{
		NetworkProtocols: []stack.NetworkProtocolFactory{
			ipv4.NewProtocol, arp.NewProtocol,
			ipv6.NewProtocolWithOptions(ipv6.Options{AutoGenLinkLocal: true}),
		},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
		HandleLocal:        true,
		Clock:              clock,
	})
	n := &Stack{stack: s, cfg: cfg, sockets: map[ID]*socket{}, nextInode: 1 << 20}
	if err := n.configure(dev); err != nil {
		s.Close()
		return nil, err
	}
	return n, nil
}

// configure creates the interfaces and routes and sets the TCP defaults
// Linux has: SACK and receive-buffer auto-tuning on.
func (n *Stack) configure(dev link.Device) error {
	sack := tcpip.TCPSACKEnabled(true)
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	for _, opt := range []tcpip.SettableTransportProtocolOption{&sack, &moderate} {
		if err := n.stack.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return fmt.Errorf("netd: tcp option: %v", err)
		}
	}
	if err := n.addNIC(loopbackNIC, loopback.New(),
		netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")); err != nil {
		return err
	}
	routes := []tcpip.Route{
		route(netip.MustParsePrefix("127.0.0.0/8"), netip.Addr{}, loopbackNIC),
		route(netip.MustParsePrefix("::1/128"), netip.Addr{}, loopbackNIC),
	}
	if dev != nil {
		if err := n.addNIC(externalNIC, link.NewEndpoint(dev), n.cfg.Addrs...); err != nil {
			return err
		}
		for _, p := range n.cfg.Addrs {
			routes = append(routes, route(p.Masked(), netip.Addr{}, externalNIC))
		}
		for _, gw := range n.cfg.Gateways {
			def := netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			if gw.Is4() {
				def = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			}
			routes = append(routes, route(def, gw, externalNIC))
		}
	}
	n.stack.SetRouteTable(routes)
	return nil
}

func (n *Stack) addNIC(id tcpip.NICID, ep stack.LinkEndpoint, addrs ...netip.Prefix) error {
	if err := n.stack.CreateNIC(id, ep); err != nil {
		return fmt.Errorf("netd: NIC %d: %v", id, err)
	}
	for _, p := range addrs {
		pa := tcpip.ProtocolAddress{
			Protocol:          netProto(p.Addr()),
			AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpAddr(p.Addr()), PrefixLen: p.Bits()},
		}
		if err := n.stack.AddProtocolAddress(id, pa, stack.AddressProperties{}); err != nil {
			return fmt.Errorf("netd: address %v: %v", p, err)
		}
	}
	return nil
}

func route(dst netip.Prefix, gw netip.Addr, nic tcpip.NICID) tcpip.Route {
	a := tcpAddr(dst.Addr())
	ones := make([]byte, a.Len())
	for i := 0; i < dst.Bits(); i++ {
		ones[i/8] |= 0x80 >> (i % 8)
	}
	sub, err := tcpip.NewSubnet(a, tcpip.MaskFromBytes(ones))
	if err != nil {
		panic(err) // callers pass masked prefixes, so this cannot happen
	}
	r := tcpip.Route{Destination: sub, NIC: nic}
	if gw.IsValid() {
		r.Gateway = tcpAddr(gw)
	}
	return r
}

// AddNeighbor adds a static neighbour entry on the external interface, as
// "ip neigh add ADDR lladdr MAC" does: frames to ip go to mac without ARP
// or neighbour discovery.
func (n *Stack) AddNeighbor(ip netip.Addr, mac net.HardwareAddr) error {
	if err := n.stack.AddStaticNeighbor(externalNIC, netProto(ip), tcpAddr(ip), tcpip.LinkAddress(mac)); err != nil {
		return errno(err)
	}
	return nil
}

// Stats returns netstack's counters (the source of /proc/net/snmp).
func (n *Stack) Stats() tcpip.Stats { return n.stack.Stats() }

// Config returns the configuration the stack runs with.
func (n *Stack) Config() config.Config { return n.cfg }

// Stop resets every socket and stops the stack.
func (n *Stack) Stop() {
	n.mu.Lock()
	socks := n.sockets
	n.sockets = map[ID]*socket{}
	n.mu.Unlock()
	for _, s := range socks {
		s.ep.Abort()
	}
	n.stack.Close()
	n.stack.Wait()
}

// lookup returns the socket id names, or EBADF.
func (n *Stack) lookup(id ID) (*socket, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.sockets[id]; ok {
		return s, nil
	}
	return nil, syscall.EBADF
}

// add enters s in the table and gives it an ID and an inode number.
func (n *Stack) add(s *socket) ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		n.nextID++
		if _, used := n.sockets[n.nextID]; !used && n.nextID != 0 {
			break
		}
	}
	n.nextInode++
	s.id, s.inode = n.nextID, n.nextInode
	n.sockets[s.id] = s
	return s.id
}

// Inode returns the inode number of socket id, 0 if there is none.
func (n *Stack) Inode(id ID) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.sockets[id]; ok {
		return s.inode
	}
	return 0
}
