package rpc

import (
	"context"
	"fmt"
	"syscall"
)

// Mux serves several services on one channel, as a server does with its
// own protocol and Control. It routes each request by its method ordinal,
// which is unique across services because it hashes the full name.
type Mux struct {
	routes map[uint32]Dispatcher
}

// NewMux returns a Mux that routes nothing yet.
func NewMux() *Mux {
	return &Mux{routes: map[uint32]Dispatcher{}}
}

// Add routes the requests of methods to d. It fails if one of the
// ordinals is routed already.
func (m *Mux) Add(methods []Method, d Dispatcher) error {
	for _, me := range methods {
		if _, ok := m.routes[me.Ordinal]; ok {
			return fmt.Errorf("rpc: %s (ordinal %#x) is already routed", me.Name, me.Ordinal)
		}
	}
	for _, me := range methods {
		m.routes[me.Ordinal] = d
	}
	return nil
}

// Dispatch implements Dispatcher.
func (m *Mux) Dispatch(ctx context.Context, req Message) (Message, []uint32) {
	ord, _, err := SplitRequest(req)
	if err != nil {
		return ErrorReply(err), req.Handles
	}
	d, ok := m.routes[ord]
	if !ok {
		return ErrorReply(syscall.ENOSYS), req.Handles
	}
	return d.Dispatch(ctx, req)
}
