package link

import (
	"net"
	"sync"
	"syscall"
)

// pipeQueue is how many frames one direction of a Pipe buffers before it
// drops, like a NIC's full transmit ring.
const pipeQueue = 1024

// Pipe returns two Devices joined back to back, as if by a crossover
// cable: a frame transmitted on one is received on the other. It is the
// host stand-in for virtio-net, so that two netd instances can talk in
// tests and benchmarks. mtu is the IP MTU of both ends.
func Pipe(macA, macB net.HardwareAddr, mtu int) (Device, Device) {
	ab := make(chan []byte, pipeQueue)
	ba := make(chan []byte, pipeQueue)
	a := &pipeEnd{mac: macA, mtu: mtu, tx: ab, rx: ba, done: make(chan struct{})}
	b := &pipeEnd{mac: macB, mtu: mtu, tx: ba, rx: ab, done: make(chan struct{})}
	a.peer, b.peer = b, a
	return a, b
}

type pipeEnd struct {
	mac  net.HardwareAddr
	mtu  int
	tx   chan<- []byte
	rx   <-chan []byte
	peer *pipeEnd

	once sync.Once
	done chan struct{}
}

func (p *pipeEnd) MAC() net.HardwareAddr { return p.mac }
func (p *pipeEnd) MTU() int              { return p.mtu }

// Transmit never blocks: a receiver that is itself transmitting (an ACK,
// say) must not wait on a sender that waits on it.
func (p *pipeEnd) Transmit(frame []byte) error {
	// Separate selects: with both ends closed, one select would pick
	// either case at random.
	select {
	case <-p.done:
		return syscall.ENETDOWN
	default:
	}
	select {
	case <-p.peer.done:
		return nil // the cable's far end is unplugged: the frame is lost
	default:
	}
	select {
	case p.tx <- frame:
	default: // ring full: drop
	}
	return nil
}

func (p *pipeEnd) Start(rx func([]byte)) {
	go func() {
		for {
			select {
			case <-p.done:
				return
			case f := <-p.rx:
				rx(f)
			}
		}
	}()
}

func (p *pipeEnd) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}
