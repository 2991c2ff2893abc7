package rpc

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
)

// Mux serves several services on one channel, as a server does with its
// own protocol and Control. It routes each request by its method ordinal,
// which is unique across services because it hashes the full name.
type Mux struct {
	routes   map[uint32]Dispatcher
	services []string
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
		svc, _, _ := strings.Cut(strings.TrimPrefix(me.Name, "/"), "/")
		if !slices.Contains(m.services, svc) {
			m.services = append(m.services, svc)
		}
	}
	return nil
}

// Services lists the full names of the services m routes
// ("aramid.vfs.Vfs"), in the order they were added.
func (m *Mux) Services() []string { return slices.Clone(m.services) }

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
