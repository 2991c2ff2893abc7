// Command vfscheck is a client of vfsd running as a real process: it makes
// a directory and a file, writes and reads it back, and checks permission
// errors, through the generated vfs client over kernel channels.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/linux/dac"
	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/controlpb"
	"aramid/proto/kchan"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

var (
	root = &authpb.Cred{CapEffective: uint64(dac.AllCaps)}
	user = &authpb.Cred{Fsuid: 1000, Fsgid: 1000, Euid: 1000, Egid: 1000}
)

func fail(format string, args ...any) {
	fmt.Printf("vfscheck: FAIL "+format+"\n", args...)
	os.Exit(1)
}

func want(what string, err error, errno syscall.Errno) {
	if (errno == 0 && err != nil) || (errno != 0 && !errors.Is(err, errno)) {
		fail("%s: %v, want %v", what, err, errno)
	}
}

// bulk writes 256 KiB to the file from a registered memory object and reads
// it back into another part of the object: file data that never travels in
// a message.
func bulk(c *vfspb.VfsClient, file uint64) {
	const size = 1 << 20
	h, err := ipc.CreateVMO(size)
	want("create a memory object", err, 0)
	mem, err := ipc.MapMemory(h)
	want("map it", err, 0)
	b := mem.Bytes()
	for i := 0; i < size/2; i++ {
		b[i] = byte(i * 13)
	}
	dup, err := ipc.Dup(h, abi.RightRead|abi.RightWrite|abi.RightMap|abi.RightTransfer)
	want("dup", err, 0)
	reg, err := c.RegisterBuffer(ctx, &rpc.RegisterBufferRequest{Memory: &rpc.Handle{Value: uint32(dup)}})
	want("register the buffer with vfsd", err, 0)
	const n = 256 << 10
	w, err := c.Pwrite(ctx, &vfspb.PwriteRequest{File: file, Offset: 4096,
		Data: &rpc.Data{Where: &rpc.Data_Region{Region: &rpc.Region{Buffer: reg.Buffer, Offset: 0, Length: n}}}})
	want("pwrite from the buffer", err, 0)
	if w.Count != n {
		fail("pwrote %d bytes, want %d", w.Count, n)
	}
	r, err := c.Pread(ctx, &vfspb.PreadRequest{File: file, Offset: 4096, Length: n,
		Dest: &rpc.Region{Buffer: reg.Buffer, Offset: size / 2, Length: n}})
	want("pread into the buffer", err, 0)
	if r.Count != n || string(b[size/2:size/2+n]) != string(b[:n]) {
		fail("bulk read back %d bytes that differ", r.Count)
	}
}

var ctx = context.Background()

func main() {
	h, err := names.Lookup("vfs")
	if err != nil {
		fail("lookup vfs: %v", err)
	}
	tr := kchan.NewClient(h)
	c := vfspb.NewVfsClient(tr)
	_, err = c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: root, Path: []byte("/srv"), Mode: 0o755})
	want("mkdir /srv", err, 0)
	_, err = c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: root, Path: []byte("/tmp"), Mode: 0o755})
	want("mkdir of the /tmp mount point", err, syscall.EEXIST)
	op, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/srv/hello"),
		Flags: syscall.O_CREAT | syscall.O_EXCL | syscall.O_RDWR, Mode: 0o644})
	want("create /tmp/hello", err, 0)
	text := []byte("hello from another process\n")
	w, err := c.Write(ctx, &vfspb.WriteRequest{File: op.File, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: text}}})
	want("write", err, 0)
	if w.Count != uint64(len(text)) {
		fail("wrote %d bytes, want %d", w.Count, len(text))
	}
	r, err := c.Pread(ctx, &vfspb.PreadRequest{File: op.File, Offset: 0, Length: 4096})
	want("pread", err, 0)
	if string(r.Data) != string(text) {
		fail("read back %q", r.Data)
	}
	st, err := c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/srv/hello")})
	want("stat", err, 0)
	if st.Stat.Size != int64(len(text)) || st.Stat.Mode != syscall.S_IFREG|0o644 {
		fail("stat size %d mode %o", st.Stat.Size, st.Stat.Mode)
	}
	_, err = c.Open(ctx, &vfspb.OpenRequest{Cred: user, Path: []byte("/srv/hello"), Flags: syscall.O_WRONLY})
	want("a user opening root's 0644 file for writing", err, syscall.EACCES)
	_, err = c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/srv/missing")})
	want("open of a missing file", err, syscall.ENOENT)
	null, err := c.Open(ctx, &vfspb.OpenRequest{Cred: user, Path: []byte("/dev/null"), Flags: syscall.O_RDWR})
	want("open /dev/null", err, 0)
	_, err = c.Write(ctx, &vfspb.WriteRequest{File: null.File, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: text}}})
	want("write /dev/null", err, 0)
	bulk(c, op.File)
	// vfsd serves Control beside vfs on the same channel (lib/server).
	s, err := controlpb.NewControlClient(tr).Status(ctx, &controlpb.StatusRequest{})
	want("Control.Status", err, 0)
	if s.Server != "vfsd" || !s.Healthy || s.Connections < 1 || s.Requests < 14 || s.HeapBytes == 0 || s.SysBytes < s.HeapBytes {
		fail("Control.Status: %v", s)
	}
	fmt.Println("VFSD PASS: create, write, read back, stat, /dev/null, bulk data in shared memory and DAC errnos across processes, Control.Status")
}
