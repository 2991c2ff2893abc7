// Package file holds the kinds of open file a Linux process can have in
// linuxd: files of vfsd, pipes, and the console terminal.
package file

import (
	"context"
	"syscall"

	"aramid/proto/authpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

// maxInline bounds the bytes one read or write moves inline in a message
// (a message is at most 64 KiB with its header).
const maxInline = 60 << 10

// VFS is linuxd's connection to vfsd.
type VFS struct {
	C *vfspb.VfsClient
	// Bulk, when set, is memory vfsd and linuxd share (a registered
	// buffer): large reads and writes move through it, one request each,
	// instead of 60 KiB inline per message. Its user holds linuxd's lock.
	Bulk []byte
	// BulkID names Bulk in vfsd's requests (rpc.Region.Buffer).
	BulkID uint32
	// Conn, when set, is C's transport, which connects to vfsd's
	// successor when vfsd dies (redial.Transport). A file opened on a
	// vfsd that has since died is lost: its id means nothing, or
	// something else, to the successor.
	Conn Restartable
}

// Restartable is a connection to a server that init may restart.
type Restartable interface {
	// Gen changes when the server has been replaced.
	Gen() uint64
	// Check replaces the connection now if the server is known to be
	// gone.
	Check()
}

// gen is the generation of the vfsd that serves calls now.
func (v *VFS) gen() uint64 {
	if v.Conn == nil {
		return 0
	}
	return v.Conn.Gen()
}

// Check connects to vfsd's successor if vfsd has died since the last
// call. Calls that start from a path run it first: their request then
// reaches the successor, with the working directory opened again there,
// instead of failing for finding vfsd gone.
func (v *VFS) Check() {
	if v.Conn != nil {
		v.Conn.Check()
	}
}

// Caller is who asks vfsd, and relative to what: the credential, pid,
// root and the directory that relative paths start from (a vfsd file id;
// 0: the root).
type Caller struct {
	Cred *authpb.Cred
	PID  uint32
	Dir  uint64
}

// RootCred is the credential of uid 0 with every capability.
func RootCred() *authpb.Cred {
	const all = 1<<41 - 1
	return &authpb.Cred{CapEffective: all, CapPermitted: all, CapBounding: all}
}

// Open opens path and returns the file with its attributes.
func (v *VFS) Open(c Caller, path string, flags, mode, umask uint32) (*Node, error) {
	r, err := v.C.Open(context.Background(), &vfspb.OpenRequest{Cred: c.Cred, Pid: c.PID, Dir: c.Dir,
		Path: []byte(path), Flags: flags, Mode: mode, Umask: umask})
	if err != nil {
		return nil, err
	}
	return &Node{v: v, ID: r.GetFile(), Stat: r.GetStat(), gen: v.gen()}, nil
}

// Sync makes the root filesystem durable, for sync(2) and at power off:
// it fsyncs the root directory, which commits vfsd's ext4 journal (its
// other filesystems live in memory).
func (v *VFS) Sync() error {
	n, err := v.Open(Caller{Cred: RootCred()}, "/", syscall.O_RDONLY|syscall.O_DIRECTORY, 0, 0)
	if err != nil {
		return err
	}
	defer n.Close()
	_, err = v.C.Fsync(context.Background(), &vfspb.FsyncRequest{File: n.ID})
	return err
}

// Stat returns the attributes of path (flags: AT_SYMLINK_NOFOLLOW,
// AT_EMPTY_PATH).
func (v *VFS) Stat(c Caller, path string, flags uint32) (*vfspb.Stat, error) {
	r, err := v.C.Stat(context.Background(), &vfspb.StatRequest{Cred: c.Cred, Pid: c.PID, Dir: c.Dir, Path: []byte(path), Flags: flags})
	return r.GetStat(), err
}

// ReadFile reads the whole regular file at path, checking that c may
// execute it (execve).
func (v *VFS) ReadFile(c Caller, path string) ([]byte, error) {
	n, err := v.Open(c, path, syscall.O_RDONLY, 0, 0)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	st := n.Stat
	if st.GetMode()&syscall.S_IFMT != syscall.S_IFREG {
		return nil, syscall.EACCES
	}
	if st.GetMode()&0o111 == 0 {
		return nil, syscall.EACCES
	}
	buf := make([]byte, st.GetSize())
	for off := 0; off < len(buf); {
		k, err := n.Pread(buf[off:], int64(off))
		if err != nil {
			return nil, err
		}
		if k == 0 {
			return buf[:off], nil
		}
		off += k
	}
	return buf, nil
}

// Node is an open vfsd file.
type Node struct {
	v    *VFS
	ID   uint64
	Stat *vfspb.Stat
	// Path is where it was opened, for getcwd after fchdir.
	Path string
	gen  uint64 // the vfsd it was opened on
}

// ErrLost is what a file opened on a vfsd that has since died answers to
// reads, writes and everything else but close (docs/vfsd.md).
const ErrLost = syscall.EIO

// Lost reports whether the vfsd n was opened on has died.
func (n *Node) Lost() bool { return n.gen != n.v.gen() }

func ctx() context.Context { return context.Background() }

// bulk reports whether n bytes should move through the shared buffer,
// and how many fit.
func (v *VFS) bulk(n int) (int, bool) {
	return min(n, len(v.Bulk)), n > maxInline && v.Bulk != nil
}

// region is the first n bytes of the shared buffer, in a request.
func (v *VFS) region(n int) *rpc.Region {
	return &rpc.Region{Buffer: v.BulkID, Length: uint64(n)}
}

// read reads into b with do, whose reply carries the data inline or, for
// a large b, leaves it in the shared buffer.
func (v *VFS) read(b []byte, do func(length uint64, dest *rpc.Region) (*vfspb.ReadReply, error)) (int, error) {
	k, bulk := v.bulk(len(b))
	length, dest := uint64(min(len(b), maxInline)), (*rpc.Region)(nil)
	if bulk {
		length, dest = uint64(k), v.region(k)
	}
	r, err := do(length, dest)
	if err != nil {
		return 0, err
	}
	if bulk {
		return copy(b, v.Bulk[:r.GetCount()]), nil
	}
	return copy(b, r.GetData()), nil
}

// data is a write's payload: inline, or for a large b through the shared
// buffer.
func (v *VFS) data(b []byte) *rpc.Data {
	if k, ok := v.bulk(len(b)); ok {
		copy(v.Bulk, b[:k])
		return &rpc.Data{Where: &rpc.Data_Region{Region: v.region(k)}}
	}
	return &rpc.Data{Where: &rpc.Data_Inline{Inline: b[:min(len(b), maxInline)]}}
}

// Read implements fd.File.
func (n *Node) Read(b []byte) (int, error) {
	if n.Lost() {
		return 0, ErrLost
	}
	return n.v.read(b, func(length uint64, dest *rpc.Region) (*vfspb.ReadReply, error) {
		return n.v.C.Read(ctx(), &vfspb.ReadRequest{File: n.ID, Length: length, Dest: dest})
	})
}

// Write implements fd.File.
func (n *Node) Write(b []byte) (int, error) {
	if n.Lost() {
		return 0, ErrLost
	}
	r, err := n.v.C.Write(ctx(), &vfspb.WriteRequest{File: n.ID, Data: n.v.data(b)})
	return int(r.GetCount()), err
}

// Pread reads at off without moving the offset.
func (n *Node) Pread(b []byte, off int64) (int, error) {
	if n.Lost() {
		return 0, ErrLost
	}
	return n.v.read(b, func(length uint64, dest *rpc.Region) (*vfspb.ReadReply, error) {
		return n.v.C.Pread(ctx(), &vfspb.PreadRequest{File: n.ID, Offset: off, Length: length, Dest: dest})
	})
}

// Pwrite writes at off without moving the offset.
func (n *Node) Pwrite(b []byte, off int64) (int, error) {
	if n.Lost() {
		return 0, ErrLost
	}
	r, err := n.v.C.Pwrite(ctx(), &vfspb.PwriteRequest{File: n.ID, Offset: off, Data: n.v.data(b)})
	return int(r.GetCount()), err
}

// Seek moves the offset.
func (n *Node) Seek(off int64, whence int) (int64, error) {
	if n.Lost() {
		return 0, ErrLost
	}
	r, err := n.v.C.Seek(ctx(), &vfspb.SeekRequest{File: n.ID, Offset: off, Whence: uint32(whence)})
	return r.GetOffset(), err
}

// Fstat returns the file's attributes now.
func (n *Node) Fstat() (*vfspb.Stat, error) {
	if n.Lost() {
		return nil, ErrLost
	}
	const atEmptyPath = 0x1000
	r, err := n.v.C.Stat(ctx(), &vfspb.StatRequest{Dir: n.ID, Flags: atEmptyPath, Cred: RootCred()})
	return r.GetStat(), err
}

// Getdents returns directory entries that fit size bytes of dirent64.
func (n *Node) Getdents(size int) ([]*vfspb.Dirent, error) {
	if n.Lost() {
		return nil, ErrLost
	}
	r, err := n.v.C.Getdents(ctx(), &vfspb.GetdentsRequest{File: n.ID, Size: uint32(size)})
	return r.GetEntries(), err
}

// Close implements fd.File.
func (n *Node) Close() error {
	if n.Lost() {
		return nil // nothing of it is left to close
	}
	_, err := n.v.C.Close(ctx(), &vfspb.CloseRequest{File: n.ID})
	return err
}
