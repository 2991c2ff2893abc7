package syscalls

import (
	"encoding/binary"
	"syscall"

	"aramid/proto/authpb"
	"aramid/proto/netpb"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"socket":      {Fn: socket, Status: Partial, Note: "AF_INET and AF_INET6 through netd; AF_UNIX only as socketpair"},
		"socketpair":  {Fn: socketpair, Status: Partial, Note: "AF_UNIX SOCK_STREAM only"},
		"bind":        {Fn: bind},
		"listen":      {Fn: listen},
		"accept":      {Fn: func(c *Ctx) (uint64, error) { return accept(c, 0) }, MayBlock: waitsOnFD, Restart: true},
		"accept4":     {Fn: func(c *Ctx) (uint64, error) { return accept(c, c.Arg(3)) }, MayBlock: waitsOnFD, Restart: true},
		"connect":     {Fn: connect, MayBlock: waitsOnFD},
		"sendto":      {Fn: sendto, MayBlock: waitsOnFD, Restart: true},
		"recvfrom":    {Fn: recvfrom, MayBlock: waitsOnFD, Restart: true},
		"sendmsg":     {Fn: sendmsg, MayBlock: waitsOnFD, Restart: true, Status: Partial, Note: "control messages: SCM_RIGHTS on socketpairs only"},
		"recvmsg":     {Fn: recvmsg, MayBlock: waitsOnFD, Restart: true, Status: Partial, Note: "control messages: SCM_RIGHTS on socketpairs only"},
		"shutdown":    {Fn: shutdown},
		"getsockname": {Fn: func(c *Ctx) (uint64, error) { return sockname(c, false) }},
		"getpeername": {Fn: func(c *Ctx) (uint64, error) { return sockname(c, true) }},
		"setsockopt":  {Fn: setsockopt},
		"getsockopt":  {Fn: getsockopt},
	} {
		byName[name] = e
	}
}

// Socket constants.
const (
	afUnix       = 1
	afInet       = 2
	afInet6      = 10
	sockStream   = 1
	sockNonblock = 0o4000
	sockCloexec  = 0o2000000
	msgDontwait  = 0x40
)

// sock returns the netd socket behind fd: ENOTSOCK for any other file.
func sock(c *Ctx, fdArg uint64) (*file.Socket, *fd.Description, error) {
	d, err := c.P().FDs.Get(int(int32(fdArg)))
	if err != nil {
		return nil, nil, err
	}
	s, ok := d.File.(*file.Socket)
	if !ok {
		return nil, d, syscall.ENOTSOCK
	}
	return s, d, nil
}

// install puts a new file in the caller's table with SOCK_NONBLOCK and
// SOCK_CLOEXEC from flags.
func install(c *Ctx, f fd.File, flags uint64) (uint64, error) {
	n, err := c.P().FDs.Install(fd.NewDescription(f, syscall.O_RDWR|uint32(flags&sockNonblock)), 0, flags&sockCloexec != 0)
	return uint64(n), err
}

func socket(c *Ctx) (uint64, error) {
	domain, typ, proto := int(c.Arg(0)), c.Arg(1), int(c.Arg(2))
	flags := typ & (sockNonblock | sockCloexec)
	typ &^= flags
	if domain != afInet && domain != afInet6 || c.K.Net == nil {
		return 0, syscall.EAFNOSUPPORT
	}
	s, err := c.K.Net.NewSocket(domain, int(typ), proto)
	if err != nil {
		return 0, err
	}
	return install(c, s, flags)
}

func socketpair(c *Ctx) (uint64, error) {
	domain, typ := int(c.Arg(0)), c.Arg(1)
	flags := typ & (sockNonblock | sockCloexec)
	if domain != afUnix {
		return 0, syscall.EAFNOSUPPORT
	}
	if typ&^flags != sockStream {
		return 0, syscall.EOPNOTSUPP
	}
	a, b := file.NewSocketPair(c.K.Cond)
	fa, err := install(c, a, flags)
	if err != nil {
		b.Close()
		return 0, err
	}
	fb, err := install(c, b, flags)
	if err != nil {
		c.P().FDs.Close(int(fa))
		return 0, err
	}
	var sv [8]byte
	binary.LittleEndian.PutUint32(sv[:], uint32(fa))
	binary.LittleEndian.PutUint32(sv[4:], uint32(fb))
	return 0, c.T.Mem().WriteAt(sv[:], c.Arg(3))
}

// readSockaddr reads a struct sockaddr_in or sockaddr_in6 (or AF_UNSPEC,
// for connect's dissolve).
func readSockaddr(c *Ctx, addr, n uint64) (*netpb.SockAddr, error) {
	if n < 2 || n > 128 {
		return nil, syscall.EINVAL
	}
	b := make([]byte, n)
	if err := c.T.Mem().ReadAt(b, addr); err != nil {
		return nil, err
	}
	sa := &netpb.SockAddr{Family: uint32(binary.LittleEndian.Uint16(b))}
	switch sa.Family {
	case afInet:
		if n < 16 {
			return nil, syscall.EINVAL
		}
		sa.Port, sa.Addr = uint32(binary.BigEndian.Uint16(b[2:])), b[4:8]
	case afInet6:
		if n < 24 {
			return nil, syscall.EINVAL
		}
		sa.Port, sa.Flowinfo, sa.Addr = uint32(binary.BigEndian.Uint16(b[2:])), binary.BigEndian.Uint32(b[4:]), b[8:24]
		if n >= 28 {
			sa.ScopeId = binary.LittleEndian.Uint32(b[24:])
		}
	}
	return sa, nil
}

// sockaddrBytes lays out sa as struct sockaddr_in or sockaddr_in6.
func sockaddrBytes(sa *netpb.SockAddr) []byte {
	if sa.GetFamily() == afInet6 {
		b := make([]byte, 28)
		binary.LittleEndian.PutUint16(b, afInet6)
		binary.BigEndian.PutUint16(b[2:], uint16(sa.GetPort()))
		binary.BigEndian.PutUint32(b[4:], sa.GetFlowinfo())
		copy(b[8:24], sa.GetAddr())
		binary.LittleEndian.PutUint32(b[24:], sa.GetScopeId())
		return b
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, uint16(sa.GetFamily()))
	binary.BigEndian.PutUint16(b[2:], uint16(sa.GetPort()))
	copy(b[4:8], sa.GetAddr())
	return b
}

// writeSockaddr stores sa at addr, truncated to the caller's *lenp, and
// its full length at lenp, as accept and getsockname do.
func writeSockaddr(c *Ctx, sa *netpb.SockAddr, addr, lenp uint64) error {
	if addr == 0 || sa == nil {
		return nil
	}
	m := c.T.Mem()
	n, err := usermem.U32(m, lenp)
	if err != nil {
		return err
	}
	if int32(n) < 0 {
		return syscall.EINVAL
	}
	b := sockaddrBytes(sa)
	if err := m.WriteAt(b[:min(len(b), int(n))], addr); err != nil {
		return err
	}
	return usermem.PutU32(m, lenp, uint32(len(b)))
}

func bind(c *Ctx) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	sa, err := readSockaddr(c, c.Arg(1), c.Arg(2))
	if err != nil {
		return 0, err
	}
	return 0, s.Bind(authpb.FromCred(c.P().Cred), sa)
}

func listen(c *Ctx) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	return 0, s.Listen(int32(c.Arg(1)))
}

func accept(c *Ctx, flags uint64) (uint64, error) {
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return 0, syscall.EINVAL
	}
	s, d, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	ns, peer, err := s.Accept(wait(c, d))
	if err != nil {
		return 0, err
	}
	n, err := install(c, ns, flags)
	if err != nil {
		return 0, err
	}
	return n, writeSockaddr(c, peer, c.Arg(1), c.Arg(2))
}

func connect(c *Ctx) (uint64, error) {
	s, d, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	sa, err := readSockaddr(c, c.Arg(1), c.Arg(2))
	if err != nil {
		return 0, err
	}
	return 0, s.Connect(sa, wait(c, d))
}

// msgWait is how a send or receive with MSG_* flags waits.
func msgWait(c *Ctx, d *fd.Description, flags uint64) file.Wait {
	w := wait(c, d)
	w.NonBlock = w.NonBlock || flags&msgDontwait != 0
	return w
}

// send sends b from fd with flags, to the address at addr (if not 0).
func send(c *Ctx, fdArg uint64, b []byte, flags, addr, alen uint64) (uint64, error) {
	s, d, err := sock(c, fdArg)
	if err != nil {
		if d != nil && err == syscall.ENOTSOCK && addr == 0 {
			return writeAll(c, d, b) // send on a socketpair end
		}
		return 0, err
	}
	var to *netpb.SockAddr
	if addr != 0 {
		if to, err = readSockaddr(c, addr, alen); err != nil {
			return 0, err
		}
	}
	total := 0
	for total < len(b) {
		n, err := s.Send(b[total:], uint32(flags&^msgDontwait), to, msgWait(c, d, flags))
		total += n
		if err != nil {
			if err == syscall.EPIPE && flags&0x4000 == 0 { // MSG_NOSIGNAL
				c.K.Signal(c.P(), 13)
			}
			if total > 0 {
				break
			}
			return 0, err
		}
		if s.Type != sockStream || n == 0 {
			break
		}
	}
	return uint64(total), nil
}

func sendto(c *Ctx) (uint64, error) {
	b := make([]byte, min(c.Arg(2), 1<<20))
	if err := c.T.Mem().ReadAt(b, c.Arg(1)); err != nil {
		return 0, err
	}
	return send(c, c.Arg(0), b, c.Arg(3), c.Arg(4), c.Arg(5))
}

// recv receives up to n bytes on fd with flags; it returns them and the
// sender's address.
func recv(c *Ctx, fdArg uint64, n int, flags uint64) ([]byte, *netpb.SockAddr, uint32, error) {
	s, d, err := sock(c, fdArg)
	if err != nil {
		if d != nil && err == syscall.ENOTSOCK {
			b := make([]byte, n)
			k, err := readFD(c, d, b)
			return b[:k], nil, 0, err
		}
		return nil, nil, 0, err
	}
	r, err := s.Recv(n, uint32(flags&^msgDontwait), msgWait(c, d, flags))
	if err != nil {
		return nil, nil, 0, err
	}
	return r.GetData(), r.GetFrom(), r.GetFlags(), nil
}

func recvfrom(c *Ctx) (uint64, error) {
	data, from, _, err := recv(c, c.Arg(0), int(min(c.Arg(2), 1<<20)), c.Arg(3))
	if err != nil {
		return 0, err
	}
	if err := c.T.Mem().WriteAt(data, c.Arg(1)); err != nil {
		return 0, err
	}
	return uint64(len(data)), writeSockaddr(c, from, c.Arg(4), c.Arg(5))
}

// msghdr is struct msghdr.
type msghdr struct {
	Name               uint64
	NameLen            uint32
	_                  uint32
	Iov, IovLen        uint64
	Control, ControlLn uint64
	Flags              int32
	_                  uint32
}

func sendmsg(c *Ctx) (uint64, error) {
	var h msghdr
	if err := usermem.Read(c.T.Mem(), c.Arg(1), &h); err != nil {
		return 0, err
	}
	iov, err := iovecs(c, h.Iov, h.IovLen)
	if err != nil {
		return 0, err
	}
	all, err := gather(c, iov)
	if err != nil {
		return 0, err
	}
	if h.ControlLn != 0 {
		if err := sendRights(c, c.Arg(0), h.Control, h.ControlLn); err != nil {
			return 0, err
		}
	}
	return send(c, c.Arg(0), all, c.Arg(2), h.Name, uint64(h.NameLen))
}

// Control messages.
const (
	solSocket       = 1
	scmRights       = 1
	cmsgHdr         = 16 // struct cmsghdr: length, level, type
	msgCtrunc       = 0x8
	msgCmsgCloexec  = 0x40000000
	maxRightsPerMsg = 253 // SCM_MAX_FD
)

// sendRights passes the descriptors of an SCM_RIGHTS control message to
// the other end of a socketpair; other sockets cannot carry them.
func sendRights(c *Ctx, fdArg, addr, n uint64) error {
	d, err := c.P().FDs.Get(int(int32(fdArg)))
	if err != nil {
		return err
	}
	u, ok := d.File.(*file.UnixEnd)
	if !ok || n < cmsgHdr || n > cmsgHdr+4*maxRightsPerMsg {
		return syscall.EINVAL
	}
	b := make([]byte, n)
	if err := c.T.Mem().ReadAt(b, addr); err != nil {
		return err
	}
	le := binary.LittleEndian
	l := le.Uint64(b)
	if le.Uint32(b[8:]) != solSocket || le.Uint32(b[12:]) != scmRights || l < cmsgHdr || l > n {
		return syscall.EINVAL
	}
	var ds []*fd.Description
	for off := uint64(cmsgHdr); off+4 <= l; off += 4 {
		x, err := c.P().FDs.Get(int(int32(le.Uint32(b[off:]))))
		if err != nil {
			for _, y := range ds {
				y.DecRef()
			}
			return err
		}
		x.IncRef()
		ds = append(ds, x)
	}
	u.SendRights(ds)
	return nil
}

// recvRights installs descriptors received on a socketpair end and writes
// their SCM_RIGHTS message to the control buffer; it returns the control
// length and msg_flags bits.
func recvRights(c *Ctx, f fd.File, h *msghdr, flags uint64) (uint64, int32, error) {
	u, ok := f.(*file.UnixEnd)
	if !ok {
		return 0, 0, nil
	}
	ds := u.TakeRights()
	if ds == nil {
		return 0, 0, nil
	}
	need := uint64(cmsgHdr + 4*len(ds))
	if h.ControlLn < need {
		for _, d := range ds {
			d.DecRef()
		}
		return 0, msgCtrunc, nil
	}
	b := make([]byte, need)
	le := binary.LittleEndian
	le.PutUint64(b, need)
	le.PutUint32(b[8:], solSocket)
	le.PutUint32(b[12:], scmRights)
	for i, d := range ds {
		n, err := c.P().FDs.Install(d, 0, flags&msgCmsgCloexec != 0)
		if err != nil {
			return 0, 0, err
		}
		le.PutUint32(b[cmsgHdr+4*i:], uint32(n))
	}
	return (need + 7) &^ 7, 0, c.T.Mem().WriteAt(b, h.Control)
}

func recvmsg(c *Ctx) (uint64, error) {
	m := c.T.Mem()
	var h msghdr
	if err := usermem.Read(m, c.Arg(1), &h); err != nil {
		return 0, err
	}
	iov, err := iovecs(c, h.Iov, h.IovLen)
	if err != nil {
		return 0, err
	}
	size := uint64(0)
	for _, v := range iov {
		size += v[1]
	}
	data, from, flags, err := recv(c, c.Arg(0), int(min(size, 1<<20)), c.Arg(2))
	if err != nil {
		return 0, err
	}
	n := len(data)
	for _, v := range iov {
		k := min(uint64(len(data)), v[1])
		if err := m.WriteAt(data[:k], v[0]); err != nil {
			return 0, err
		}
		data = data[k:]
	}
	d, _ := c.P().FDs.Get(int(int32(c.Arg(0))))
	cl, cflags, err := recvRights(c, d.File, &h, c.Arg(2))
	if err != nil {
		return 0, err
	}
	if h.Name != 0 && from != nil {
		b := sockaddrBytes(from)
		if err := m.WriteAt(b[:min(len(b), int(h.NameLen))], h.Name); err != nil {
			return 0, err
		}
		h.NameLen = uint32(len(b))
	} else {
		h.NameLen = 0
	}
	h.ControlLn, h.Flags = cl, int32(flags)|cflags
	return uint64(n), usermem.Write(m, c.Arg(1), &h)
}

func shutdown(c *Ctx) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	return 0, s.Shutdown(uint32(c.Arg(1)))
}

func sockname(c *Ctx, peer bool) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	sa, err := s.Name(peer)
	if err != nil {
		return 0, err
	}
	return 0, writeSockaddr(c, sa, c.Arg(1), c.Arg(2))
}

func setsockopt(c *Ctx) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	if c.Arg(4) > 1024 {
		return 0, syscall.EINVAL
	}
	v := make([]byte, c.Arg(4))
	if err := c.T.Mem().ReadAt(v, c.Arg(3)); err != nil {
		return 0, err
	}
	return 0, s.SetSockOpt(int(c.Arg(1)), int(c.Arg(2)), v)
}

func getsockopt(c *Ctx) (uint64, error) {
	s, _, err := sock(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	m := c.T.Mem()
	n, err := usermem.U32(m, c.Arg(4))
	if err != nil {
		return 0, err
	}
	if int32(n) < 0 {
		return 0, syscall.EINVAL
	}
	v, err := s.GetSockOpt(int(c.Arg(1)), int(c.Arg(2)), int(min(n, 1024)))
	if err != nil {
		return 0, err
	}
	v = v[:min(len(v), int(n))]
	if err := m.WriteAt(v, c.Arg(3)); err != nil {
		return 0, err
	}
	return 0, usermem.PutU32(m, c.Arg(4), uint32(len(v)))
}
