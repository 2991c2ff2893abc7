package sockets

import (
	"net/netip"
	"strconv"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// tcpAddr converts an address as is: 4 bytes for IPv4, 16 for IPv6
// (IPv4-mapped included).
func tcpAddr(a netip.Addr) tcpip.Address {
	return tcpip.AddrFromSlice(a.AsSlice())
}

func netProto(a netip.Addr) tcpip.NetworkProtocolNumber {
	if a.Is4() {
		return ipv4.ProtocolNumber
	}
	return ipv6.ProtocolNumber
}

// fullAddr checks that ap suits a socket of family and converts it. As on
// Linux, an AF_INET socket takes only IPv4 addresses and an AF_INET6 one
// only IPv6 (IPv4-mapped included): anything else is EAFNOSUPPORT. The
// unspecified address becomes netstack's empty address, "any"; a zone
// must be a decimal interface index.
func fullAddr(family int, ap netip.AddrPort) (tcpip.FullAddress, error) {
	a := ap.Addr()
	if !a.IsValid() || (family == syscall.AF_INET) != a.Is4() {
		return tcpip.FullAddress{}, syscall.EAFNOSUPPORT
	}
	fa := tcpip.FullAddress{Port: ap.Port()}
	if z := a.Zone(); z != "" {
		// The zone is sin6_scope_id: an interface index, which is
		// netstack's NIC number (1 lo, 2 the card).
		nic, err := strconv.ParseUint(z, 10, 31)
		if err != nil {
			return tcpip.FullAddress{}, syscall.EINVAL
		}
		fa.NIC = tcpip.NICID(nic)
		a = a.WithZone("")
	}
	if !a.IsUnspecified() {
		fa.Addr = tcpAddr(a)
	}
	return fa, nil
}

// addrPort converts a netstack address back for a socket of family: the
// empty address is the family's "any", and an IPv4 peer of a dual-stack
// AF_INET6 socket is shown IPv4-mapped, as Linux does.
func addrPort(family int, fa tcpip.FullAddress) netip.AddrPort {
	var a netip.Addr
	switch fa.Addr.Len() {
	case 4:
		a = netip.AddrFrom4(fa.Addr.As4())
	case 16:
		a = netip.AddrFrom16(fa.Addr.As16())
	}
	switch {
	case !a.IsValid() && family == syscall.AF_INET:
		a = netip.IPv4Unspecified()
	case !a.IsValid():
		a = netip.IPv6Unspecified()
	case family == syscall.AF_INET6 && a.Is4():
		a = netip.AddrFrom16(a.As16())
	case family == syscall.AF_INET && a.Is4In6():
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a, fa.Port)
}
