// Package server is what every Aramid server process does beside its own
// work: it registers its names with init (lib/names), serves each
// connection its protocols and Control (proto/controlpb) through one
// rpc.Mux over the kernel's channels, and counts what it serves, so that
// init and the monitor can ask any server how it is.
//
// A server's main builds its engine, then calls New, Publish once per
// name, and Run.
package server

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/proto/controlpb"
	"aramid/proto/kchan"
	"aramid/proto/rpc"
)

// Open is called for each new connection to a published name. It routes
// the server's services for that connection on m, and returns what to do
// when the client closes the channel (nil if nothing).
type Open func(m *rpc.Mux) (release func(), err error)

// Server is one server process: its name, when it started and what it has
// served.
type Server struct {
	name  string
	start time.Time
	// Health, if set, says whether the server can do its work: Status
	// reports its error as the problem.
	Health func() error

	conns    atomic.Int64
	requests atomic.Uint64
	errs     chan error
}

// Procs is a server process's GOMAXPROCS. The kernel reports one CPU,
// but a server's goroutines spend their time blocked in system calls
// (each name's accept loop and each connection's serve loop in
// channel_read, a driver's interrupt loop in wait_many), and a goroutine
// blocked in a system call keeps its P. With fewer Ps than such
// goroutines, one whose call returns finds no P and waits, with the CPU
// idle, until Go's monitor takes one back from a blocked goroutine: a
// tick later at best, 10 ms when the monitor has backed off. Eight
// covers the blocked goroutines of netd and vfsd with Ps to spare; under
// nginx's load it doubled the requests served (docs/performance.md).
const Procs = 8

// New returns the runtime of the server called name ("vfsd"), and sets
// the process's GOMAXPROCS to Procs.
func New(name string) *Server {
	runtime.GOMAXPROCS(Procs)
	return &Server{name: name, start: time.Now(), errs: make(chan error, 1)}
}

// Publish registers name with init and serves each connection made to it
// with the services open routes, and Control.
func (s *Server) Publish(name string, open Open) error {
	svc, err := names.Register(name)
	if err != nil {
		return err
	}
	go func() {
		err := names.Accept(svc, func(conn ipc.Handle) {
			if err := s.Serve(context.Background(), conn, open); err != nil {
				fmt.Printf("%s: %s: %v\n", s.name, name, err)
			}
		})
		s.errs <- fmt.Errorf("%s: %w", name, err)
	}()
	return nil
}

// Run announces the server and waits until one of its names stops being
// served; then it exits with status 1, so that init restarts it.
func (s *Server) Run() {
	fmt.Printf("%s: serving (pid %d)\n", s.name, os.Getpid())
	fmt.Printf("%s: %v\n", s.name, <-s.errs)
	os.Exit(1)
}

// Serve answers the requests on channel conn until the client closes it,
// then runs the connection's release and closes conn.
func (s *Server) Serve(ctx context.Context, conn ipc.Handle, open Open) error {
	d, release, err := s.Connection(open)
	if err == nil {
		err = kchan.Serve(ctx, conn, d)
		if release != nil {
			release()
		}
	}
	ipc.Close(conn)
	return err
}

// Connection returns the dispatcher of one new connection: the services
// open routes and Control, with every request counted. The caller runs
// release when the connection ends.
func (s *Server) Connection(open Open) (d rpc.Dispatcher, release func(), err error) {
	m := rpc.NewMux()
	done, err := open(m)
	if err == nil {
		err = m.Add(controlpb.ControlMethods, controlpb.NewControlDispatcher(control{s: s, m: m}))
	}
	if err != nil {
		if done != nil {
			done()
		}
		return nil, nil, err
	}
	s.conns.Add(1)
	return counter{s: s, d: m}, func() {
		s.conns.Add(-1)
		if done != nil {
			done()
		}
	}, nil
}

// counter counts the requests a connection answers.
type counter struct {
	s *Server
	d rpc.Dispatcher
}

func (c counter) Dispatch(ctx context.Context, req rpc.Message) (rpc.Message, []uint32) {
	c.s.requests.Add(1)
	return c.d.Dispatch(ctx, req)
}
