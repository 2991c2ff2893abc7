package procd

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"aramid/proto/procpb"
)

// FuzzSysctlWrite feeds arbitrary bytes to every tunable's parser: it
// must answer with a count or EINVAL, never panic, and a value it
// accepts must read back as a number in range.
func FuzzSysctlWrite(f *testing.F) {
	for _, in := range sysctlInputs {
		f.Add(in)
	}
	srv := New(nil, DefaultUTS)
	f.Fuzz(func(t *testing.T, in string) {
		for path, tun := range srv.sys.files {
			if tun.mode&0o200 == 0 {
				continue
			}
			n, err := srv.sys.write(tun, []byte(in))
			if err != nil && err != syscall.EINVAL {
				t.Fatalf("write %q to %s: %v", in, path, err)
			}
			if n > len(in) {
				t.Fatalf("write %q to %s consumed %d bytes", in, path, n)
			}
			out := srv.sys.read(context.Background(), srv, tun)
			if !strings.HasSuffix(out, "\n") {
				t.Fatalf("%s reads %q after writing %q", path, out, in)
			}
			if tun.kind != str {
				for _, v := range tun.def {
					if v < tun.min || v > tun.max {
						t.Fatalf("%s holds %d, outside [%d, %d], after writing %q", path, v, tun.min, tun.max, in)
					}
				}
			}
		}
	})
}

// FuzzPaths resolves arbitrary paths for lookup, read, readdir, readlink
// and write: every answer is a value or an errno.
func FuzzPaths(f *testing.F) {
	for _, p := range []string{"", "self", "self/fd/0", "1/../42/environ", "net/tcp", "sys/vm/../kernel/hostname",
		"1/fd/", "./1//stat", "4294967296", "00001", "self/net/unix", "sys/net/ipv4/ip_forward/x"} {
		f.Add(p, []byte("1\n"))
	}
	fx := newFixture(f)
	c := fx.as(42, userCred)
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		check := func(op string, err error) {
			if _, ok := err.(syscall.Errno); err != nil && !ok {
				t.Fatalf("%s %q: %v is not an errno", op, path, err)
			}
		}
		_, err := c.lookup(path)
		check("lookup", err)
		_, err = c.read(path)
		check("read", err)
		_, err = c.readdir(path)
		check("readdir", err)
		_, err = c.readlink(path)
		check("readlink", err)
		_, err = c.c.WriteFile(ctx, &procpb.WriteFileRequest{Cred: rootCred, Pid: 1, Path: []byte(path), Data: data})
		check("write", err)
	})
}
