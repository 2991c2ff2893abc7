package rpc

import "context"

// Peer identifies the channel a request arrived on. Servers key
// per-client state by it: registered buffers, the channel a client asked
// to be notified on. Transports attach it to the context they pass to
// Dispatch; it is unique among a process's channels for their lifetime.
type Peer uint64

type peerKey struct{}

// WithPeer returns ctx carrying p; transports call it.
func WithPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// PeerOf returns the Peer a transport attached to ctx.
func PeerOf(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}
