package syscalls

import (
	"encoding/binary"
	"syscall"
	"testing"

	"aramid/servers/linuxd/usermem"
)

// TestSocketsWithoutNetd: without netd every socket(2) is EAFNOSUPPORT;
// socketpair makes AF_UNIX stream pairs only (EAFNOSUPPORT, EOPNOTSUPP),
// with SOCK_NONBLOCK and SOCK_CLOEXEC; sendto and recvfrom move bytes
// across it; socket calls on other files are ENOTSOCK.
func TestSocketsWithoutNetd(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"socket(AF_INET)", nr("socket"), []uint64{afInet, sockStream, 0}, errno(syscall.EAFNOSUPPORT)},
		{"socket(AF_INET6)", nr("socket"), []uint64{afInet6, sockStream, 0}, errno(syscall.EAFNOSUPPORT)},
		{"socket(AF_UNIX)", nr("socket"), []uint64{afUnix, sockStream, 0}, errno(syscall.EAFNOSUPPORT)},
		{"socketpair(AF_INET)", nr("socketpair"), []uint64{afInet, sockStream, 0, scratch}, errno(syscall.EAFNOSUPPORT)},
		{"socketpair(SOCK_DGRAM)", nr("socketpair"), []uint64{afUnix, 2, 0, scratch}, errno(syscall.EOPNOTSUPP)},
		{"socketpair, bad pointer", nr("socketpair"), []uint64{afUnix, sockStream, 0, 0x1000}, errno(syscall.EFAULT)},
		{"socketpair", nr("socketpair"), []uint64{afUnix, sockStream | sockNonblock | sockCloexec, 0, scratch}, 0},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	a, _ := usermem.U32(m, scratch)
	b, _ := usermem.U32(m, scratch+4)
	for _, fdn := range []uint32{a, b} {
		if got := f.result(1, nr("fcntl"), uint64(fdn), fGetfl); got != syscall.O_RDWR|sockNonblock {
			t.Errorf("F_GETFL of %d = %#o, want O_RDWR|O_NONBLOCK", fdn, got)
		}
		if got := f.result(1, nr("fcntl"), uint64(fdn), fGetfd); got != 1 {
			t.Errorf("F_GETFD of %d = %d", fdn, got)
		}
	}
	m.WriteAt([]byte("hello"), scratch+64)
	if got := f.result(1, nr("sendto"), uint64(a), scratch+64, 5, 0, 0, 0); got != 5 {
		t.Fatalf("sendto = %d", got)
	}
	if got := f.result(1, nr("recvfrom"), uint64(b), scratch+128, 100, 0, scratch+256, scratch+300); got != 5 {
		t.Fatalf("recvfrom = %d", got)
	}
	got := make([]byte, 5)
	m.ReadAt(got, scratch+128)
	if string(got) != "hello" {
		t.Errorf("received %q", got)
	}
	if got := f.result(1, nr("recvfrom"), uint64(b), scratch+128, 100, 0, 0, 0); got != errno(syscall.EAGAIN) {
		t.Errorf("recvfrom of an empty non-blocking pair = %d, want EAGAIN", got)
	}
	if got := f.result(1, nr("sendto"), uint64(a), scratch+64, 5, 0, scratch+256, 16); got != errno(syscall.ENOTSOCK) {
		t.Errorf("sendto with an address on a socketpair = %d, want ENOTSOCK", got)
	}
	if got := f.result(1, nr("sendto"), uint64(a), 0x1000, 5, 0, 0, 0); got != errno(syscall.EFAULT) {
		t.Errorf("sendto from a bad buffer = %d", got)
	}
	r, _ := f.pipeFDs()
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"bind", []uint64{r, scratch, 16}}, {"listen", []uint64{r, 5}}, {"accept", []uint64{r, 0, 0}},
		{"connect", []uint64{r, scratch, 16}}, {"shutdown", []uint64{r, 2}}, {"getsockname", []uint64{r, scratch, scratch + 32}},
		{"getpeername", []uint64{r, scratch, scratch + 32}}, {"setsockopt", []uint64{r, 1, 2, scratch, 4}},
		{"getsockopt", []uint64{r, 1, 2, scratch, scratch + 32}}, {"accept4", []uint64{r, 0, 0, sockCloexec}},
	} {
		if got := f.result(1, nr(c.name), c.args...); got != errno(syscall.ENOTSOCK) {
			t.Errorf("%s on a pipe = %d, want ENOTSOCK", c.name, got)
		}
	}
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"accept4 with flag 1", []uint64{r, 0, 0, 1}, errno(syscall.EINVAL)},
		{"bind on a free fd", []uint64{55, scratch, 16}, errno(syscall.EBADF)},
	} {
		name := "accept4"
		if c.name[0] == 'b' {
			name = "bind"
		}
		if got := f.result(1, nr(name), c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestSendmsgRights: sendmsg's SCM_RIGHTS checks (level, type, lengths,
// descriptors that exist, socketpairs only) and recvmsg's answer.
func TestSendmsgRights(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	f.result(1, nr("socketpair"), afUnix, sockStream, 0, scratch)
	a, _ := usermem.U32(m, scratch)
	b, _ := usermem.U32(m, scratch+4)
	r, w := f.pipeFDs()
	const hdr, iov, ctl, data = scratch + 64, scratch + 128, scratch + 192, scratch + 512
	m.WriteAt([]byte("x"), data)
	usermem.Write(m, iov, [2]uint64{data, 1})
	cmsg := func(length uint64, level, typ uint32, fds ...uint32) {
		c := make([]byte, 16+4*len(fds))
		binary.LittleEndian.PutUint64(c, length)
		binary.LittleEndian.PutUint32(c[8:], level)
		binary.LittleEndian.PutUint32(c[12:], typ)
		for i, x := range fds {
			binary.LittleEndian.PutUint32(c[16+4*i:], x)
		}
		m.WriteAt(c, ctl)
	}
	send := func(to uint32, n uint64) int64 {
		usermem.Write(m, hdr, msghdr{Iov: iov, IovLen: 1, Control: ctl, ControlLn: n})
		return f.result(1, nr("sendmsg"), uint64(to), hdr, 0)
	}
	for _, c := range []struct {
		name       string
		to         uint32
		length     uint64 // cmsg_len; 0: the whole message
		level, typ uint32
		fds        []uint32
		want       int64
	}{
		{"level 2", a, 0, 2, scmRights, []uint32{uint32(r)}, errno(syscall.EINVAL)},
		{"type 2", a, 0, solSocket, 2, []uint32{uint32(r)}, errno(syscall.EINVAL)},
		{"cmsg_len past the buffer", a, 21, solSocket, scmRights, []uint32{uint32(r)}, errno(syscall.EINVAL)},
		{"cmsg_len 15", a, 15, solSocket, scmRights, []uint32{uint32(r)}, errno(syscall.EINVAL)},
		{"254 descriptors", a, 0, solSocket, scmRights, make([]uint32, 254), errno(syscall.EINVAL)},
		{"a free fd", a, 0, solSocket, scmRights, []uint32{uint32(r), 55}, errno(syscall.EBADF)},
		{"over a pipe", uint32(w), 0, solSocket, scmRights, []uint32{uint32(r)}, errno(syscall.EINVAL)},
		{"two descriptors", a, 0, solSocket, scmRights, []uint32{uint32(r), uint32(w)}, 1},
	} {
		n := uint64(16 + 4*len(c.fds))
		length := c.length
		if length == 0 {
			length = n
		}
		cmsg(length, c.level, c.typ, c.fds...)
		if got := send(c.to, n); got != c.want {
			t.Errorf("sendmsg %s = %d, want %d", c.name, got, c.want)
		}
	}
	cmsg(16, solSocket, scmRights)
	if got := send(a, 15); got != errno(syscall.EINVAL) {
		t.Errorf("sendmsg with 15 bytes of control = %d, want EINVAL", got)
	}
	usermem.Write(m, iov, [2]uint64{data + 8, 16})
	usermem.Write(m, hdr, msghdr{Name: scratch + 0x400, NameLen: 16, Iov: iov, IovLen: 1, Control: ctl, ControlLn: 64})
	if got := f.result(1, nr("recvmsg"), uint64(b), hdr, msgCmsgCloexec); got != 1 {
		t.Fatalf("recvmsg = %d", got)
	}
	var h msghdr
	usermem.Read(m, hdr, &h)
	if h.ControlLn != 24 || h.NameLen != 0 || h.Flags != 0 {
		t.Errorf("recvmsg header %+v, want 24 bytes of control for two descriptors and no name", h)
	}
	x, _ := usermem.U32(m, ctl+16)
	if got := f.result(1, nr("fcntl"), uint64(x), fGetfd); got != 1 {
		t.Errorf("MSG_CMSG_CLOEXEC: received fd %d has F_GETFD %d", x, got)
	}
	usermem.Write(m, hdr, msghdr{Iov: iov, IovLen: 1025})
	if got := f.result(1, nr("sendmsg"), uint64(a), hdr, 0); got != errno(syscall.EINVAL) {
		t.Errorf("sendmsg with 1025 iovecs = %d", got)
	}
	if got := f.result(1, nr("sendmsg"), uint64(a), 0x1000, 0); got != errno(syscall.EFAULT) {
		t.Errorf("sendmsg with a bad header = %d", got)
	}
}
