package procd

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"

	"aramid/proto/authpb"
	"aramid/test/needroot"
	"google.golang.org/protobuf/proto"
)

// sysctlInputs are writes that exercise Linux's number parsing: signs,
// bases, separators, overflow, trailing text.
var sysctlInputs = []string{
	"1", "0", "2", "-1", " 1\n", "1\n", "1 2", "1x", "0x1", "0X1f", "010", "08", "", " ", "\n",
	"+1", "99999999999", "2147483647", "2147483648", "-2147483648", "-2147483649", "1 garbage",
	"1\t", "0\n\n", "  -0", "\t1", "1\r", "1\v", "-", "--1", "1-", " -1 ", "0009", "255", "256",
	"4294967296", "18446744073709551615", "18446744073709551616", "123456789012345678901",
	"00000000000000000001", "000000000000000000001", "0x", "1 2 3", "\x001", "1\x00", "7 ", "65535",
	"1024 65535", "65535 1024", "1024\t2048\n", "0 100", "1 65536", "2000", "9 9",
}

// sysctlResult is what one write did: the count or errno of write(2),
// and the file's contents afterwards.
type sysctlResult struct {
	n     int
	errno syscall.Errno
	after string
}

func (r sysctlResult) String() string {
	return fmt.Sprintf("wrote %d errno %v -> %q", r.n, r.errno, r.after)
}

// hostSysctl writes to the host kernel's file with one write(2).
func hostSysctl(path, data string) (sysctlResult, error) {
	fd, err := syscall.Open(path, syscall.O_WRONLY, 0)
	if err != nil {
		return sysctlResult{}, err
	}
	var r sysctlResult
	r.n, err = syscall.Write(fd, []byte(data))
	if err != nil {
		r.n, r.errno = 0, err.(syscall.Errno)
	}
	syscall.Close(fd)
	after, err := os.ReadFile(path)
	r.after = string(after)
	return r, err
}

// TestSysctlAgainstHost writes every input to the per-network-namespace
// tunables of the host kernel, in a namespace of the test's own, and to
// procd, and requires the same count, errno and value read back. It
// covers each parser procd has: int vectors with and without bounds, a
// two-value ordered vector, and the u8 parser.
func TestSysctlAgainstHost(t *testing.T) {
	files := []struct{ path, baseline string }{
		{"net/ipv4/ip_forward", "5"},
		{"net/core/somaxconn", "100"},
		{"net/ipv4/tcp_syncookies", "5"},
		{"net/ipv4/ip_local_port_range", "3000 4000"},
	}
	type outcome struct {
		host []sysctlResult
		err  error
	}
	done := make(chan outcome)
	go func() {
		// The namespace belongs to this thread, which dies with the
		// goroutine because it is never unlocked.
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			done <- outcome{err: err}
			return
		}
		var out []sysctlResult
		for _, f := range files {
			for _, in := range sysctlInputs {
				if _, err := hostSysctl("/proc/sys/"+f.path, f.baseline); err != nil {
					done <- outcome{err: err}
					return
				}
				r, err := hostSysctl("/proc/sys/"+f.path, in)
				if err != nil {
					done <- outcome{err: err}
					return
				}
				out = append(out, r)
			}
		}
		done <- outcome{host: out}
	}()
	o := <-done
	if o.err != nil && !needroot.Root() {
		needroot.Skip(t, "servers/procd: sysctls against the host (private network namespace)")
	}
	if o.err != nil {
		t.Skipf("no private network namespace for the host comparison: %v", o.err)
	}
	f := newFixture(t)
	root := f.as(1, rootCred)
	i, cases := 0, 0
	for _, file := range files {
		for _, in := range sysctlInputs {
			if _, err := root.write("sys/"+file.path, file.baseline); err != nil {
				t.Fatalf("baseline %s: %v", file.path, err)
			}
			n, err := root.write("sys/"+file.path, in)
			got := sysctlResult{n: int(n), after: root.mustRead("sys/" + file.path)}
			if err != nil {
				got.errno = err.(syscall.Errno)
			}
			if want := o.host[i]; got != want {
				t.Errorf("write %q to %s:\nlinux  %v\nprocd  %v", in, file.path, want, got)
			}
			i++
			cases++
		}
	}
	t.Logf("%d sysctl writes agree with the host kernel", cases)
}

// TestSysctlGlobalRules covers the tunables that are global on Linux,
// which a test must not change on the host, with Linux's rules.
func TestSysctlGlobalRules(t *testing.T) {
	f := newFixture(t)
	root := f.as(1, rootCred)
	for _, tc := range []struct {
		path, in string
		n        uint32
		err      error
		after    string
	}{
		{"vm/overcommit_memory", "1", 1, nil, "1\n"},
		{"vm/overcommit_memory", "3", 0, syscall.EINVAL, "1\n"},
		{"vm/overcommit_memory", "-1", 0, syscall.EINVAL, "1\n"},
		{"vm/overcommit_memory", "2 junk", 2, nil, "2\n"},
		{"vm/max_map_count", "-1", 0, syscall.EINVAL, "65530\n"},
		{"vm/max_map_count", "0x10000\n", 8, nil, "65536\n"},
		{"vm/max_map_count", "2147483648", 0, syscall.EINVAL, "65536\n"},
		{"fs/file-max", "-5 ", 0, syscall.EINVAL, "52428\n"},
		{"fs/file-max", " ", 0, syscall.EINVAL, "52428\n"},
		{"fs/file-max", "9223372036854775808", 0, syscall.EINVAL, "52428\n"},
		{"fs/file-max", "100000 7", 7, nil, "100000\n"},
		{"vm/swappiness", "201", 0, syscall.EINVAL, "60\n"},
		{"vm/swappiness", "200", 3, nil, "200\n"},
		{"kernel/pid_max", "300", 0, syscall.EINVAL, "32768\n"},
		{"kernel/hostname", "box\nignored", 11, nil, "box\n"},
		{"kernel/hostname", "a\x00b", 3, nil, "a\n"},
		{"kernel/hostname", string(make([]byte, 0)), 0, nil, "a\n"},
		{"kernel/domainname", "0123456789012345678901234567890123456789012345678901234567890123456789", 70, nil,
			"0123456789012345678901234567890123456789012345678901234567890123\n"},
	} {
		n, err := root.write("sys/"+tc.path, tc.in)
		if n != tc.n || err != tc.err && (err == nil || tc.err == nil || err.(syscall.Errno) != tc.err) {
			t.Errorf("write %q to %s = %d, %v; want %d, %v", tc.in, tc.path, n, err, tc.n, tc.err)
		}
		if got := root.mustRead("sys/" + tc.path); got != tc.after {
			t.Errorf("after writing %q, %s reads %q, want %q", tc.in, tc.path, got, tc.after)
		}
	}
}

// TestSysctlPermissions checks Linux's test_perm: only euid 0 writes,
// whatever the capabilities, and nobody writes a read-only tunable.
func TestSysctlPermissions(t *testing.T) {
	f := newFixture(t)
	capsNoRoot := proto.Clone(userCred).(*authpb.Cred)
	capsNoRoot.CapEffective = rootCred.CapEffective
	rootNoCaps := proto.Clone(rootCred).(*authpb.Cred)
	rootNoCaps.CapEffective = 0
	for _, tc := range []struct {
		name string
		c    *client
		path string
		err  error
	}{
		{"user with every capability", f.as(42, capsNoRoot), "vm/swappiness", syscall.EACCES},
		{"root without capabilities", f.as(1, rootNoCaps), "vm/swappiness", nil},
		{"root, read-only file", f.as(1, rootCred), "kernel/ostype", syscall.EACCES},
		{"root, read-only number", f.as(1, rootCred), "kernel/ngroups_max", syscall.EACCES},
	} {
		_, err := tc.c.write("sys/"+tc.path, "10")
		if err != tc.err && (err == nil || tc.err == nil || err.(syscall.Errno) != tc.err) {
			t.Errorf("%s writes %s: %v, want %v", tc.name, tc.path, err, tc.err)
		}
	}
}
