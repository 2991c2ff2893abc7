package sockets

import (
	"aramid/servers/netd/config"
	"encoding/binary"
	"syscall"
	"testing"
)

// FuzzSockOpt sets options from arbitrary bytes and reads them back: a
// bad value is an errno, never a panic.
func FuzzSockOpt(f *testing.F) {
	n, err := New(config.Config{}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(n.Stop)
	tcp, _ := n.Socket(Cred{}, syscall.AF_INET6, syscall.SOCK_STREAM, 0)
	udp, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	f.Add(false, uint16(syscall.SOL_SOCKET), uint16(syscall.SO_LINGER), binary.LittleEndian.AppendUint64(nil, 1<<32|1))
	f.Add(false, uint16(syscall.SOL_SOCKET), uint16(syscall.SO_RCVTIMEO), make([]byte, 16))
	f.Add(true, uint16(syscall.IPPROTO_IP), uint16(syscall.IP_TTL), intBytes(-1))
	f.Add(false, uint16(syscall.IPPROTO_TCP), uint16(tcpUserTimeout), intBytes(-5))
	f.Add(false, uint16(syscall.IPPROTO_IPV6), uint16(syscall.IPV6_V6ONLY), []byte{1})
	f.Fuzz(func(t *testing.T, onUDP bool, level, name uint16, val []byte) {
		id := tcp
		if onUDP {
			id = udp
		}
		err := n.SetSockOpt(id, int(level), int(name), val)
		if _, ok := err.(syscall.Errno); err != nil && !ok {
			t.Fatalf("SetSockOpt error %T %v is not an errno", err, err)
		}
		if _, err := n.GetSockOpt(id, int(level), int(name)); err != nil {
			if _, ok := err.(syscall.Errno); !ok {
				t.Fatalf("GetSockOpt error %T %v is not an errno", err, err)
			}
		}
	})
}
