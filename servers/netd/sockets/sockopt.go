package sockets

import (
	"encoding/binary"
	"math"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"

	"aramid/lib/linux"
)

// Option names Linux has and package syscall lacks.
const (
	soReusePort    = linux.SO_REUSEPORT
	soProtocol     = linux.SO_PROTOCOL
	soDomain       = linux.SO_DOMAIN
	tcpKeepIdle    = linux.TCP_KEEPIDLE
	tcpKeepIntvl   = linux.TCP_KEEPINTVL
	tcpKeepCnt     = linux.TCP_KEEPCNT
	tcpSynCnt      = linux.TCP_SYNCNT
	tcpUserTimeout = linux.TCP_USER_TIMEOUT
)

// SetSockOpt sets an option, as setsockopt(2) does. val is the option's
// bytes in Linux's amd64 layout: an int, struct linger, or struct timeval.
// Options netd does not implement fail with ENOPROTOOPT, short values
// with EINVAL.
func (n *Stack) SetSockOpt(id ID, level, name int, val []byte) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	switch level {
	case syscall.SOL_SOCKET:
		return s.setSocketOpt(name, val)
	case syscall.IPPROTO_TCP:
		if s.stream() {
			return s.setTCPOpt(name, val)
		}
	case syscall.IPPROTO_IPV6:
		if s.family == syscall.AF_INET6 {
			return s.setIPv6Opt(name, val)
		}
	case syscall.IPPROTO_IP:
		if name == syscall.IP_TTL {
			v, err := ipIntVal(val)
			if err != nil || v < -1 || v == 0 || v > 255 {
				return syscall.EINVAL
			}
			return errno(s.ep.SetSockOptInt(tcpip.IPv4TTLOption, max(v, 0)))
		}
	}
	return syscall.ENOPROTOOPT
}

// GetSockOpt reads an option, as getsockopt(2) does, in the layout
// SetSockOpt takes. The caller truncates to the user's optlen.
func (n *Stack) GetSockOpt(id ID, level, name int) ([]byte, error) {
	s, err := n.lookup(id)
	if err != nil {
		return nil, err
	}
	switch level {
	case syscall.SOL_SOCKET:
		return s.socketOpt(name)
	case syscall.IPPROTO_TCP:
		if s.stream() {
			return s.tcpOpt(name)
		}
	case syscall.IPPROTO_IPV6:
		if s.family == syscall.AF_INET6 && name == syscall.IPV6_V6ONLY {
			return boolBytes(s.ep.SocketOptions().GetV6Only()), nil
		}
	case syscall.IPPROTO_IP:
		if name == syscall.IP_TTL {
			v, terr := s.ep.GetSockOptInt(tcpip.IPv4TTLOption)
			if v == 0 {
				v = 64 // the default, as Linux reports it
			}
			return intBytes(v), errno(terr)
		}
		return nil, syscall.ENOPROTOOPT
	case syscall.IPPROTO_UDP:
		if !s.stream() {
			return nil, syscall.ENOPROTOOPT
		}
	}
	// An IPv4 socket passes a level its transport does not know to
	// ip_getsockopt, which answers EOPNOTSUPP; IPv6's answers ENOPROTOOPT.
	if s.family == syscall.AF_INET {
		return nil, syscall.EOPNOTSUPP
	}
	return nil, syscall.ENOPROTOOPT
}

func (s *socket) setSocketOpt(name int, val []byte) error {
	so := s.ep.SocketOptions()
	switch name {
	case syscall.SO_LINGER:
		if len(val) < 8 {
			return syscall.EINVAL
		}
		so.SetLinger(linger(so.GetLinger(), val))
		return nil
	case syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO:
		d, err := timevalDuration(val)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if name == syscall.SO_RCVTIMEO {
			s.rcvTimeout = d
		} else {
			s.sndTimeout = d
		}
		return nil
	}
	v, err := intVal(val)
	if err != nil {
		return err
	}
	switch name {
	case syscall.SO_REUSEADDR:
		so.SetReuseAddress(v != 0)
	case soReusePort:
		so.SetReusePort(v != 0)
	case syscall.SO_KEEPALIVE:
		so.SetKeepAlive(v != 0)
	case syscall.SO_BROADCAST:
		so.SetBroadcast(v != 0)
	case syscall.SO_SNDBUF:
		lo, hi := so.SendBufferLimits()
		so.SetSendBufferSize(bufSize(v, lo, hi), true)
	case syscall.SO_RCVBUF:
		lo, hi := so.ReceiveBufferLimits()
		so.SetReceiveBufferSize(bufSize(v, lo, hi), true)
	default:
		return syscall.ENOPROTOOPT
	}
	return nil
}

// linger applies a struct linger to l as Linux does: l_onoff 0 turns
// lingering off and leaves the time alone, and l_linger is read as
// unsigned, so a negative time lingers for ever.
func linger(l tcpip.LingerOption, val []byte) tcpip.LingerOption {
	l.Enabled = binary.LittleEndian.Uint32(val) != 0
	if !l.Enabled {
		return l
	}
	l.Timeout = time.Duration(math.MaxInt64)
	if secs := int32(binary.LittleEndian.Uint32(val[4:])); secs >= 0 {
		l.Timeout = time.Duration(secs) * time.Second
	}
	return l
}

// bufSize is Linux's rule for SO_SNDBUF and SO_RCVBUF: clamp to the
// maximum, then double to leave room for bookkeeping, then raise to the
// minimum. getsockopt reports the doubled value.
func bufSize(v int, lo, hi int64) int64 {
	sz := min(int64(uint32(v)), hi)
	return min(max(2*sz, lo), math.MaxInt32)
}

func (s *socket) socketOpt(name int) ([]byte, error) {
	so := s.ep.SocketOptions()
	switch name {
	case syscall.SO_TYPE:
		return intBytes(s.typ), nil
	case soProtocol:
		return intBytes(s.proto), nil
	case soDomain:
		return intBytes(s.family), nil
	case syscall.SO_ACCEPTCONN:
		return boolBytes(so.GetAcceptConn()), nil
	case syscall.SO_ERROR:
		var e syscall.Errno
		if err := errno(s.ep.LastError()); err != nil {
			e = err.(syscall.Errno)
		}
		return intBytes(int(e)), nil
	case syscall.SO_REUSEADDR:
		return boolBytes(so.GetReuseAddress()), nil
	case soReusePort:
		return boolBytes(so.GetReusePort()), nil
	case syscall.SO_KEEPALIVE:
		return boolBytes(so.GetKeepAlive()), nil
	case syscall.SO_BROADCAST:
		return boolBytes(so.GetBroadcast()), nil
	case syscall.SO_SNDBUF:
		return intBytes(int(min(so.GetSendBufferSize(), math.MaxInt32))), nil
	case syscall.SO_RCVBUF:
		return intBytes(int(min(so.GetReceiveBufferSize(), math.MaxInt32))), nil
	case syscall.SO_LINGER:
		l := so.GetLinger()
		b := boolBytes(l.Enabled)
		return append(b, intBytes(int(l.Timeout/time.Second))...), nil
	case syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO:
		rcv, snd := s.timeouts()
		if name == syscall.SO_SNDTIMEO {
			rcv = snd
		}
		return timeval(rcv), nil
	}
	return nil, syscall.ENOPROTOOPT
}

func (s *socket) setTCPOpt(name int, val []byte) error {
	v, err := intVal(val)
	if err != nil {
		return err
	}
	switch name {
	case syscall.TCP_NODELAY:
		s.ep.SocketOptions().SetDelayOption(v == 0)
		return nil
	case syscall.TCP_CORK:
		s.ep.SocketOptions().SetCorkOption(v != 0)
		return nil
	case syscall.TCP_MAXSEG:
		return errno(s.ep.SetSockOptInt(tcpip.MaxSegOption, v))
	case tcpKeepIdle, tcpKeepIntvl:
		if v < 1 || v > 32767 {
			return syscall.EINVAL
		}
		d := time.Duration(v) * time.Second
		if name == tcpKeepIdle {
			opt := tcpip.KeepaliveIdleOption(d)
			return errno(s.ep.SetSockOpt(&opt))
		}
		opt := tcpip.KeepaliveIntervalOption(d)
		return errno(s.ep.SetSockOpt(&opt))
	case tcpKeepCnt, tcpSynCnt:
		if v < 1 || v > 127 {
			return syscall.EINVAL
		}
		if name == tcpKeepCnt {
			return errno(s.ep.SetSockOptInt(tcpip.KeepaliveCountOption, v))
		}
		return errno(s.ep.SetSockOptInt(tcpip.TCPSynCountOption, v))
	case tcpUserTimeout:
		if v < 0 {
			return syscall.EINVAL
		}
		opt := tcpip.TCPUserTimeoutOption(time.Duration(v) * time.Millisecond)
		return errno(s.ep.SetSockOpt(&opt))
	}
	return syscall.ENOPROTOOPT
}

func (s *socket) tcpOpt(name int) ([]byte, error) {
	switch name {
	case syscall.TCP_NODELAY:
		return boolBytes(!s.ep.SocketOptions().GetDelayOption()), nil
	case syscall.TCP_CORK:
		return boolBytes(s.ep.SocketOptions().GetCorkOption()), nil
	case syscall.TCP_MAXSEG:
		return s.intOpt(tcpip.MaxSegOption)
	case tcpKeepCnt:
		return s.intOpt(tcpip.KeepaliveCountOption)
	case tcpSynCnt:
		return s.intOpt(tcpip.TCPSynCountOption)
	case tcpKeepIdle:
		var opt tcpip.KeepaliveIdleOption
		terr := s.ep.GetSockOpt(&opt)
		return intBytes(int(time.Duration(opt) / time.Second)), errno(terr)
	case tcpKeepIntvl:
		var opt tcpip.KeepaliveIntervalOption
		terr := s.ep.GetSockOpt(&opt)
		return intBytes(int(time.Duration(opt) / time.Second)), errno(terr)
	case tcpUserTimeout:
		var opt tcpip.TCPUserTimeoutOption
		terr := s.ep.GetSockOpt(&opt)
		return intBytes(int(time.Duration(opt) / time.Millisecond)), errno(terr)
	}
	return nil, syscall.ENOPROTOOPT
}

func (s *socket) intOpt(opt tcpip.SockOptInt) ([]byte, error) {
	v, terr := s.ep.GetSockOptInt(opt)
	if terr != nil {
		return nil, errno(terr)
	}
	return intBytes(v), nil
}

// setIPv6Opt handles IPV6_V6ONLY, which Linux refuses once the socket
// is bound or connected.
func (s *socket) setIPv6Opt(name int, val []byte) error {
	if name != syscall.IPV6_V6ONLY {
		return syscall.ENOPROTOOPT
	}
	v, err := intVal(val)
	if err != nil {
		return err
	}
	if fa, terr := s.ep.GetLocalAddress(); terr == nil && fa.Port != 0 {
		return syscall.EINVAL
	}
	s.ep.SocketOptions().SetV6Only(v != 0)
	return nil
}

func intVal(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, syscall.EINVAL
	}
	return int(int32(binary.LittleEndian.Uint32(b))), nil
}

// ipIntVal reads an IPPROTO_IP option's value, which Linux also takes
// as a single unsigned byte.
func ipIntVal(b []byte) (int, error) {
	if len(b) > 0 && len(b) < 4 {
		return int(b[0]), nil
	}
	return intVal(b)
}

func intBytes(v int) []byte {
	return binary.LittleEndian.AppendUint32(nil, uint32(int32(v)))
}

func boolBytes(v bool) []byte {
	if v {
		return intBytes(1)
	}
	return intBytes(0)
}

// timevalDuration decodes a struct timeval as SO_RCVTIMEO takes it: EDOM
// for microseconds out of range, as Linux; zero is "wait forever", and a
// negative time, which Linux takes as "do not wait", is -1.
func timevalDuration(b []byte) (time.Duration, error) {
	if len(b) < 16 {
		return 0, syscall.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(b))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	if usec < 0 || usec >= 1e6 {
		return 0, syscall.EDOM
	}
	if sec < 0 {
		return -1, nil
	}
	if sec >= int64(math.MaxInt64/time.Second)-1 {
		return 0, nil
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

func timeval(d time.Duration) []byte {
	d = max(d, 0)
	b := binary.LittleEndian.AppendUint64(nil, uint64(d/time.Second))
	return binary.LittleEndian.AppendUint64(b, uint64(d%time.Second/time.Microsecond))
}
