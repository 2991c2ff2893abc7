package link

import (
	"bytes"
	"net"
	"sync"
	"syscall"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// card is a Device that records what it is given and accepts only
// room frames.
type card struct {
	mu     sync.Mutex
	room   int
	sent   [][]byte
	rx     func([]byte)
	closed bool
}

func (*card) MAC() net.HardwareAddr { return macA }
func (*card) MTU() int              { return 1500 }
func (c *card) Start(rx func([]byte)) {
	c.rx = rx
}
func (c *card) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}
func (c *card) Transmit(f []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sent) == c.room {
		return syscall.ENOBUFS
	}
	c.sent = append(c.sent, f)
	return nil
}

// delivery is one packet the endpoint handed up.
type delivery struct {
	proto   tcpip.NetworkProtocolNumber
	payload string
}

type dispatcher struct{ got []delivery }

func (d *dispatcher) DeliverNetworkPacket(p tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d.got = append(d.got, delivery{p, string(pkt.Data().AsRange().ToSlice())})
}
func (*dispatcher) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

func frame(src, dst net.HardwareAddr, typ uint16, payload string) []byte {
	f := make([]byte, header.EthernetMinimumSize, header.EthernetMinimumSize+len(payload))
	header.Ethernet(f).Encode(&header.EthernetFields{SrcAddr: tcpip.LinkAddress(src), DstAddr: tcpip.LinkAddress(dst), Type: tcpip.NetworkProtocolNumber(typ)})
	return append(f, payload...)
}

// The endpoint shows the card's MTU and address to the stack, and hands it
// every frame with a whole Ethernet header, stripped of it.
func TestEndpointReceive(t *testing.T) {
	c := &card{}
	ep := NewEndpoint(c)
	if ep.MTU() != 1500 || ep.LinkAddress() != tcpip.LinkAddress(macA) {
		t.Errorf("endpoint MTU %d, address %v; want the card's 1500 and %v", ep.MTU(), ep.LinkAddress(), macA)
	}
	c.rx(frame(macB, macA, 0x0800, "before attach"))
	d := &dispatcher{}
	ep.Attach(d)
	c.rx(frame(macB, macA, 0x0800, "ipv4"))
	c.rx(frame(macB, macA, 0x86dd, "")) // a bare header
	c.rx(frame(macB, macA, 0x0806, "arp")[:header.EthernetMinimumSize-1])
	c.rx(frame(macB, macA, 0x0806, "arp"))
	want := []delivery{{0x0800, "ipv4"}, {0x86dd, ""}, {0x0806, "arp"}}
	if len(d.got) != len(want) {
		t.Fatalf("delivered %v, want %v", d.got, want)
	}
	for i := range want {
		if d.got[i] != want[i] {
			t.Errorf("delivery %d = %v, want %v", i, d.got[i], want[i])
		}
	}
}

func packets(ep stack.LinkEndpoint, payloads ...string) stack.PacketBufferList {
	var l stack.PacketBufferList
	for _, p := range payloads {
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
			ReserveHeaderBytes: int(ep.MaxHeaderLength()),
			Payload:            buffer.MakeWithData([]byte(p)),
		})
		pkt.NetworkProtocolNumber = 0x0800
		pkt.EgressRoute.LocalLinkAddress = tcpip.LinkAddress(macA)
		pkt.EgressRoute.RemoteLinkAddress = tcpip.LinkAddress(macB)
		ep.AddHeader(pkt)
		l.PushBack(pkt)
	}
	return l
}

// Frames go out whole; when the card refuses one, the count says how many
// went, and a card that takes none is closed for sending.
func TestEndpointTransmit(t *testing.T) {
	for _, c := range []struct {
		room, n int
		closed  bool // ErrClosedForSend
	}{
		{3, 3, false},
		{1, 1, false},
		{0, 0, true},
	} {
		dev := &card{room: c.room}
		ep := NewEndpoint(dev)
		pkts := packets(ep, "one", "two", "three")
		n, err := ep.WritePackets(pkts)
		pkts.DecRef()
		if _, closed := err.(*tcpip.ErrClosedForSend); n != c.n || closed != c.closed || (err != nil && !closed) {
			t.Errorf("room %d: WritePackets = %d, %v; want %d, closed for send %v", c.room, n, err, c.n, c.closed)
		}
		for i, p := range []string{"one", "two", "three"}[:c.n] {
			if want := frame(macA, macB, 0x0800, p); !bytes.Equal(dev.sent[i], want) {
				t.Errorf("room %d: frame %d = %x, want %x", c.room, i, dev.sent[i], want)
			}
		}
	}
}

// Attaching and closing, as the stack does when it creates and removes
// the NIC: Close releases the card and runs the stack's close action.
func TestEndpointClose(t *testing.T) {
	c := &card{}
	l := NewEndpoint(c).(*ethernet.Endpoint).Child()
	if l.IsAttached() {
		t.Error("new endpoint is attached")
	}
	d := &dispatcher{}
	l.Attach(d)
	if !l.IsAttached() {
		t.Error("endpoint not attached after Attach")
	}
	ran := false
	l.SetOnCloseAction(func() { ran = true })
	l.Close()
	if l.IsAttached() || !c.closed || !ran {
		t.Errorf("after Close: attached %v, card closed %v, close action ran %v; want false, true, true", l.IsAttached(), c.closed, ran)
	}
	c.rx(frame(macB, macA, 0x0800, "after close"))
	if len(d.got) != 0 {
		t.Errorf("closed endpoint delivered %v", d.got)
	}
}
