package server

import (
	"context"
	"runtime"
	"syscall"
	"time"

	"aramid/proto/controlpb"
	"aramid/proto/rpc"
)

// ControlVersion is the version of the Control protocol this package
// speaks; Hello refuses a caller that speaks another.
const ControlVersion = 1

// control serves Control on one connection, whose services m routes.
// ProcessForked, ProcessExited and Shutdown are ENOSYS until a server has
// per-process state or state to flush.
type control struct {
	controlpb.UnimplementedControlServer
	s *Server
	m *rpc.Mux
}

func (c control) Hello(_ context.Context, req *controlpb.HelloRequest) (*controlpb.HelloReply, error) {
	if req.GetVersion() != ControlVersion {
		return nil, syscall.EPROTONOSUPPORT
	}
	return &controlpb.HelloReply{Server: c.s.name, Version: ControlVersion, Services: c.m.Services()}, nil
}

func (c control) Status(context.Context, *controlpb.StatusRequest) (*controlpb.StatusReply, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep := &controlpb.StatusReply{
		Server:      c.s.name,
		Healthy:     true,
		UptimeNs:    uint64(time.Since(c.s.start)),
		Connections: uint64(c.s.conns.Load()),
		Requests:    c.s.requests.Load(),
		HeapBytes:   ms.HeapAlloc,
		SysBytes:    ms.Sys,
		Goroutines:  uint32(runtime.NumGoroutine()),
	}
	if c.s.Health != nil {
		if err := c.s.Health(); err != nil {
			rep.Healthy, rep.Problem = false, err.Error()
		}
	}
	return rep, nil
}
