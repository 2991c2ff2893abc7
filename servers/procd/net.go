package procd

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"aramid/lib/linux"
	"aramid/proto/procpb"
)

// nullPointer stands where Linux prints a kernel socket address with %pK.
// Aramid has no kernel socket structures; zeros are also what Linux
// prints when kptr_restrict hides pointers.
const nullPointer = "0000000000000000"

// Headers and padded widths of /proc/net/{tcp,udp}; tcp6 and udp6 lines
// are not padded.
const (
	tcpHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	tcpWidth   = 150 - 1
	udpHeader  = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
	udpWidth   = 128 - 1
	tcp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	rawHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	udp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	unixHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n"
)

// hexAddr formats an address as Linux does: each 32-bit word of the
// network-order address printed with %08X as the little-endian CPU
// reads it. A short or missing address is all zeros.
func hexAddr(addr []byte, words int) string {
	a := make([]byte, 4*words)
	copy(a, addr)
	var s string
	for i := 0; i < words; i++ {
		s += fmt.Sprintf("%08X", binary.LittleEndian.Uint32(a[4*i:]))
	}
	return s
}

// padLine ends a line begun at start, padding it with spaces to width as
// seq_pad does.
func padLine(b *bytes.Buffer, start, width int) {
	if pad := width - (b.Len() - start); pad > 0 {
		b.Write(bytes.Repeat([]byte{' '}, pad))
	}
	b.WriteByte('\n')
}

// renderTCP writes /proc/net/tcp (words 1) or tcp6 (words 4).
func renderTCP(b *bytes.Buffer, socks []*procpb.SocketEntry, words int) {
	if words == 1 {
		fmt.Fprintf(b, "%-*s\n", tcpWidth, tcpHeader)
	} else {
		b.WriteString(tcp6Header)
	}
	for i, s := range socks {
		start := b.Len()
		fmt.Fprintf(b, "%4d: %s:%04X %s:%04X %02X ", i,
			hexAddr(s.GetLocalAddr(), words), s.GetLocalPort(),
			hexAddr(s.GetRemoteAddr(), words), s.GetRemotePort(), s.GetState())
		switch s.GetState() {
		case linux.TCP_TIME_WAIT:
			fmt.Fprintf(b, "%08X:%08X %02X:%08X %08X %5d %8d %d %d %s",
				0, 0, 3, s.GetTimerExpires(), 0, 0, 0, 0, s.GetRefcount(), nullPointer)
		case linux.TCP_SYN_RECV:
			fmt.Fprintf(b, "%08X:%08X %02X:%08X %08X %5d %8d %d %d %s",
				0, 0, 1, s.GetTimerExpires(), s.GetRetransmits(), s.GetUid(), 0, 0, 0, nullPointer)
		default:
			quick := s.GetQuickAck() << 1
			if s.GetPingpong() {
				quick |= 1
			}
			fmt.Fprintf(b, "%08X:%08X %02X:%08X %08X %5d %8d %d %d %s %d %d %d %d %d",
				s.GetTxQueue(), s.GetRxQueue(), s.GetTimer(), s.GetTimerExpires(),
				s.GetRetransmits(), s.GetUid(), s.GetTimeout(), s.GetInode(), s.GetRefcount(),
				nullPointer, s.GetRto(), s.GetAto(), quick, s.GetCwnd(), s.GetSsthresh())
		}
		if words == 1 {
			padLine(b, start, tcpWidth)
		} else {
			b.WriteByte('\n')
		}
	}
}

// renderUDP writes /proc/net/udp (words 1) or udp6 (words 4). Linux
// prints each socket's hash bucket in the sl column; Aramid's sockets
// have no bucket, so the column counts lines as tcp's does.
func renderUDP(b *bytes.Buffer, socks []*procpb.SocketEntry, words int) {
	if words == 1 {
		fmt.Fprintf(b, "%-*s\n", udpWidth, udpHeader)
	} else {
		b.WriteString(udp6Header)
	}
	renderDgrams(b, socks, words, 5, words == 1)
}

// renderRaw writes /proc/net/raw (words 1) or raw6 (words 4): udp's
// columns, unpadded, with raw's narrower sl column for IPv4.
func renderRaw(b *bytes.Buffer, socks []*procpb.SocketEntry, words int) {
	sl := 5
	if words == 1 {
		b.WriteString(rawHeader)
		sl = 4
	} else {
		b.WriteString(udp6Header)
	}
	renderDgrams(b, socks, words, sl, false)
}

func renderDgrams(b *bytes.Buffer, socks []*procpb.SocketEntry, words, sl int, pad bool) {
	for i, s := range socks {
		start := b.Len()
		fmt.Fprintf(b, "%*d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %s %d",
			sl, i, hexAddr(s.GetLocalAddr(), words), s.GetLocalPort(),
			hexAddr(s.GetRemoteAddr(), words), s.GetRemotePort(), s.GetState(),
			s.GetTxQueue(), s.GetRxQueue(), 0, 0, 0, s.GetUid(), 0, s.GetInode(),
			s.GetRefcount(), nullPointer, s.GetDrops())
		if pad {
			padLine(b, start, udpWidth)
		} else {
			b.WriteByte('\n')
		}
	}
}

// renderUnix writes /proc/net/unix. An abstract name is shown with '@'
// for its leading NUL and for every NUL inside it.
func renderUnix(b *bytes.Buffer, socks []*procpb.UnixSocketEntry) {
	b.WriteString(unixHeader)
	for _, s := range socks {
		fmt.Fprintf(b, "%s: %08X %08X %08X %04X %02X %5d", nullPointer,
			s.GetRefcount(), 0, s.GetFlags(), s.GetType(), s.GetState(), s.GetInode())
		if p := s.GetPath(); len(p) > 0 {
			b.WriteByte(' ')
			for _, c := range p {
				if c == 0 {
					c = '@'
				}
				b.WriteByte(c)
			}
		}
		b.WriteByte('\n')
	}
}
