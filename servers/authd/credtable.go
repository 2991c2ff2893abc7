// Package authd is the credential server: it holds the credential of every
// Linux process and applies Linux's transitions to it when linuxd reports
// fork, execve or a setuid-family call. The rules themselves live in
// packages cred and dac; package service serves the auth protocol on a
// Server.
package authd

import (
	"sync"
	"syscall"

	"aramid/lib/linux/cred"
)

// InitPID is the process whose credential authd holds from the start:
// init, with root's credential. Every other credential descends from it
// through Fork.
const InitPID = 1

// Server is the table of credentials, keyed by the pid linuxd assigns.
type Server struct {
	mu    sync.RWMutex
	creds map[uint32]*cred.Cred
}

// New returns a server that knows only init.
func New() *Server {
	return &Server{creds: map[uint32]*cred.Cred{InitPID: cred.Root()}}
}

// Cred returns the credential of pid, or ESRCH. The result is never
// modified, so it may be kept and read without the lock.
func (s *Server) Cred(pid uint32) (*cred.Cred, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.creds[pid]
	if !ok {
		return nil, syscall.ESRCH
	}
	return c, nil
}

// Update replaces the credential of pid with the one change makes of it,
// with no other change to pid in between. It fails with ESRCH for an
// unknown pid, or with change's error, leaving the credential as it was.
func (s *Server) Update(pid uint32, change func(*cred.Cred) (*cred.Cred, error)) (*cred.Cred, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[pid]
	if !ok {
		return nil, syscall.ESRCH
	}
	n, err := change(c)
	if err != nil {
		return nil, err
	}
	s.creds[pid] = n
	return n, nil
}

// Fork gives child a copy of parent's credential: ESRCH if parent is
// unknown, EEXIST if child is known already.
func (s *Server) Fork(parent, child uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[parent]
	if !ok {
		return syscall.ESRCH
	}
	if _, taken := s.creds[child]; taken {
		return syscall.EEXIST
	}
	s.creds[child] = c.Fork()
	return nil
}

// Forget drops the credential of pid, which has exited, or fails with
// ESRCH.
func (s *Server) Forget(pid uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.creds[pid]; !ok {
		return syscall.ESRCH
	}
	delete(s.creds, pid)
	return nil
}
