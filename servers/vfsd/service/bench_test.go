package service

import (
	"context"
	"syscall"
	"testing"

	"aramid/proto/inproc"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

// benchFile makes a 1 MiB file and opens it through the client.
func benchFile(b *testing.B) (*vfspb.VfsClient, *inproc.Table, uint64) {
	c, tab := client(b)
	ctx := context.Background()
	op, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/f"),
		Flags: syscall.O_CREAT | syscall.O_RDWR, Mode: 0644})
	if err != nil {
		b.Fatal(err)
	}
	for off := int64(0); off < 1<<20; off += 32 << 10 {
		data := &rpc.Data{Where: &rpc.Data_Inline{Inline: make([]byte, 32<<10)}}
		if _, err := c.Pwrite(ctx, &vfspb.PwriteRequest{File: op.File, Offset: off, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	return c, tab, op.File
}

func BenchmarkPreadInline32K(b *testing.B) {
	c, _, f := benchFile(b)
	b.SetBytes(32 << 10)
	for i := 0; b.Loop(); i++ {
		if _, err := c.Pread(context.Background(), &vfspb.PreadRequest{File: f,
			Offset: int64(i%32) << 15, Length: 32 << 10}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreadRegion256K(b *testing.B) {
	c, tab, f := benchFile(b)
	ctx := context.Background()
	reg, err := c.RegisterBuffer(ctx, &rpc.RegisterBufferRequest{
		Memory: &rpc.Handle{Value: tab.Install(inproc.NewMemory(256 << 10))}})
	if err != nil {
		b.Fatal(err)
	}
	dest := &rpc.Region{Buffer: reg.Buffer, Length: 256 << 10}
	b.SetBytes(256 << 10)
	for i := 0; b.Loop(); i++ {
		if _, err := c.Pread(ctx, &vfspb.PreadRequest{File: f, Offset: int64(i%4) << 18,
			Length: 256 << 10, Dest: dest}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStat(b *testing.B) {
	c, _, _ := benchFile(b)
	for b.Loop() {
		if _, err := c.Stat(context.Background(), &vfspb.StatRequest{Cred: root, Path: []byte("/f")}); err != nil {
			b.Fatal(err)
		}
	}
}
