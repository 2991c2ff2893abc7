// Package link is netd's side of network cards: the Device interface a
// driver implements, its adaptation to a gVisor link endpoint, and Pipe,
// two Devices joined back to back for host tests.
package link

import (
	"net"
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Device is a network card as netd sees it: something that moves whole
// Ethernet frames. The virtio-net driver implements it over its rings, and
// Pipe implements it over Go channels for host tests. Keeping the interface
// this small keeps drivers free of netstack types: netd adapts a Device to
// gVisor's stack.LinkEndpoint, adding the Ethernet header itself.
type Device interface {
	// MAC is the card's hardware address.
	MAC() net.HardwareAddr
	// MTU is the largest IP packet the card carries, without the
	// Ethernet header (1500 for virtio-net without offloads).
	MTU() int
	// Transmit queues one frame. The device may keep frame. A full
	// queue drops the frame, as hardware does; TCP retransmits.
	Transmit(frame []byte) error
	// Start begins delivery of received frames to rx, from a goroutine
	// of the device, one frame at a time. rx copies what it keeps.
	Start(rx func(frame []byte))
	// Close stops delivery and releases the device.
	Close() error
}

// deviceLink adapts a Device to the raw link under gVisor's Ethernet
// endpoint: frames out through Transmit, frames in to the dispatcher.
type deviceLink struct {
	dev Device

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	onClose    func()
}

// NewEndpoint returns the netstack link endpoint for dev.
func NewEndpoint(dev Device) stack.LinkEndpoint {
	l := &deviceLink{dev: dev}
	dev.Start(l.receive)
	return ethernet.New(l)
}

func (l *deviceLink) receive(frame []byte) {
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	if d == nil || len(frame) < header.EthernetMinimumSize {
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	d.DeliverNetworkPacket(0, pkt)
	pkt.DecRef()
}

// WritePackets implements stack.LinkWriter. The Ethernet endpoint has
// already pushed the link header.
func (l *deviceLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		buf := pkt.ToBuffer()
		frame := buf.Flatten()
		buf.Release()
		if err := l.dev.Transmit(frame); err != nil {
			if n == 0 {
				return 0, &tcpip.ErrClosedForSend{}
			}
			break
		}
		n++
	}
	return n, nil
}

// MTU includes the Ethernet header; the Ethernet endpoint subtracts it.
func (l *deviceLink) MTU() uint32 {
	return uint32(l.dev.MTU() + header.EthernetMinimumSize)
}

func (*deviceLink) SetMTU(uint32)                                {}
func (*deviceLink) MaxHeaderLength() uint16                      { return 0 }
func (l *deviceLink) LinkAddress() tcpip.LinkAddress             { return tcpip.LinkAddress(l.dev.MAC()) }
func (*deviceLink) SetLinkAddress(tcpip.LinkAddress)             {}
func (*deviceLink) Capabilities() stack.LinkEndpointCapabilities { return 0 }
func (*deviceLink) Wait()                                        {}
func (*deviceLink) ARPHardwareType() header.ARPHardwareType      { return header.ARPHardwareEther }
func (*deviceLink) AddHeader(*stack.PacketBuffer)                {}
func (*deviceLink) ParseHeader(*stack.PacketBuffer) bool         { return true }
func (l *deviceLink) SetOnCloseAction(f func())                  { l.mu.Lock(); l.onClose = f; l.mu.Unlock() }

func (l *deviceLink) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	l.mu.Unlock()
}

func (l *deviceLink) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

func (l *deviceLink) Close() {
	l.mu.Lock()
	l.dispatcher = nil
	f := l.onClose
	l.mu.Unlock()
	l.dev.Close()
	if f != nil {
		f()
	}
}
