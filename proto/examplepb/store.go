package examplepb

import (
	"context"
	"sync"
	"syscall"
)

// MemStore is a StoreServer that keeps everything in memory. It is the
// worked example of docs/protocols.md and the server of the round-trip
// tests.
type MemStore struct {
	// CloseHandle closes a handle in the server's table; MemStore calls it
	// for handles that Deposit replaces.
	CloseHandle func(h uint32) error

	mu      sync.Mutex
	values  map[string][]byte
	handles map[string]*WithdrawReply
}

// NewMemStore returns an empty store that closes replaced handles with
// closeHandle.
func NewMemStore(closeHandle func(uint32) error) *MemStore {
	return &MemStore{CloseHandle: closeHandle, values: map[string][]byte{}, handles: map[string]*WithdrawReply{}}
}

// Put implements StoreServer.
func (s *MemStore) Put(_ context.Context, in *PutRequest) (*PutReply, error) {
	if in.Key == "" {
		return nil, syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[in.Key] = in.Value
	return &PutReply{}, nil
}

// Get implements StoreServer.
func (s *MemStore) Get(_ context.Context, in *GetRequest) (*GetReply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[in.Key]
	if !ok {
		return nil, syscall.ENOENT
	}
	return &GetReply{Value: v}, nil
}

// Deposit implements StoreServer. It owns in's handles from here on.
func (s *MemStore) Deposit(_ context.Context, in *DepositRequest) (*DepositReply, error) {
	kept := &WithdrawReply{Object: in.Object, More: in.More}
	if in.Key == "" {
		s.closeAll(kept)
		return nil, syscall.EINVAL
	}
	s.mu.Lock()
	old := s.handles[in.Key]
	s.handles[in.Key] = kept
	s.mu.Unlock()
	s.closeAll(old)
	return &DepositReply{}, nil
}

// Withdraw implements StoreServer.
func (s *MemStore) Withdraw(_ context.Context, in *WithdrawRequest) (*WithdrawReply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept, ok := s.handles[in.Key]
	if !ok {
		return nil, syscall.ENOENT
	}
	delete(s.handles, in.Key)
	return kept, nil
}

func (s *MemStore) closeAll(r *WithdrawReply) {
	if r == nil {
		return
	}
	if r.Object != nil {
		s.CloseHandle(r.Object.Value)
	}
	for _, h := range r.More {
		s.CloseHandle(h.Value)
	}
}
