package procd

import (
	"bytes"
	"testing"

	"aramid/proto/procpb"
)

// BenchmarkRenderStat measures rendering alone.
func BenchmarkRenderStat(b *testing.B) {
	p := testProcesses()[0]
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		renderStat(&buf, p, true)
	}
}

// BenchmarkReadStat measures what ps pays per process: a read of
// /proc/<pid>/stat through the generated client, procd, and a call to the
// process source, all over in-process channels.
func BenchmarkReadStat(b *testing.B) {
	f := newFixture(b)
	c := f.as(1, rootCred)
	req := &procpb.ReadFileRequest{Cred: rootCred, Pid: 1, Path: []byte("1/stat"), Length: 4096}
	for b.Loop() {
		if _, err := c.c.ReadFile(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadNetTCP measures /proc/net/tcp with the test's sockets.
func BenchmarkReadNetTCP(b *testing.B) {
	f := newFixture(b)
	c := f.as(1, rootCred)
	req := &procpb.ReadFileRequest{Cred: rootCred, Pid: 1, Path: []byte("net/tcp"), Length: 4096}
	for b.Loop() {
		if _, err := c.c.ReadFile(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
