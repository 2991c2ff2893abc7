package procd

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"aramid/proto/inproc"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
)

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func TestSelfIsTheCaller(t *testing.T) {
	f := newFixture(t)
	for _, pid := range []uint32{1, 42} {
		c := f.as(pid, rootCred)
		if got, err := c.readlink("self"); err != nil || got != map[uint32]string{1: "1", 42: "42"}[pid] {
			t.Errorf("readlink self as %d = %q, %v", pid, got, err)
		}
	}
	c := f.as(0, rootCred)
	_, err := c.readlink("self")
	wantErr(t, "readlink self with no pid", err, syscall.ENOENT)
	if got, _ := f.as(1, rootCred).readlink("mounts"); got != "self/mounts" {
		t.Errorf("readlink mounts = %q", got)
	}
	if got, _ := f.as(1, rootCred).readlink("net"); got != "self/net" {
		t.Errorf("readlink net = %q", got)
	}
}

// TestExitedProcessVanishes checks that procd serves nothing of a process
// once linuxd no longer has it: no directory, no files, no entry.
func TestExitedProcessVanishes(t *testing.T) {
	f := newFixture(t)
	c := f.as(1, rootCred)
	c.mustRead("42/status")
	f.linuxd.exit(42)
	_, err := c.read("42/status")
	wantErr(t, "read status of an exited process", err, syscall.ENOENT)
	_, err = c.lookup("42")
	wantErr(t, "lookup of an exited process", err, syscall.ENOENT)
	names, err := c.readdir("")
	if err != nil || slices.Contains(names, "42") {
		t.Errorf("readdir /proc after exit = %v, %v", names, err)
	}
	_, err = f.as(42, userCred).read("self/stat")
	wantErr(t, "self of an exited process", err, syscall.ENOENT)
}

// TestNoCopies checks procd asks linuxd on every read rather than
// answering from a copy: a changed process shows at once.
func TestNoCopies(t *testing.T) {
	f := newFixture(t)
	c := f.as(1, rootCred)
	before := f.linuxd.calls
	c.mustRead("1/comm")
	c.mustRead("1/comm")
	if f.linuxd.calls-before < 2 {
		t.Errorf("two reads made %d calls to linuxd", f.linuxd.calls-before)
	}
	f.linuxd.mu.Lock()
	f.linuxd.procs[1].Comm = []byte("renamed")
	f.linuxd.mu.Unlock()
	if got := c.mustRead("1/comm"); got != "renamed\n" {
		t.Errorf("comm after rename = %q", got)
	}
}

func TestReaddir(t *testing.T) {
	f := newFixture(t)
	c := f.as(1, rootCred)
	for path, want := range map[string][]string{
		"":                 {"cmdline", "cpuinfo", "filesystems", "loadavg", "meminfo", "mounts", "net", "self", "stat", "sys", "uptime", "version", "1", "42", "43"},
		"1":                pidFileNames,
		"1/fd":             {"0", "1", "2", "3"},
		"self/net":         {"raw", "raw6", "tcp", "tcp6", "udp", "udp6", "unix"},
		"net":              {"raw", "raw6", "tcp", "tcp6", "udp", "udp6", "unix"},
		"sys":              {"fs", "kernel", "net", "vm"},
		"sys/net":          {"core", "ipv4"},
		"sys/vm":           {"max_map_count", "overcommit_memory", "overcommit_ratio", "swappiness"},
		"sys/net/ipv4":     {"ip_forward", "ip_local_port_range", "tcp_syncookies"},
		"sys/kernel/../vm": {"max_map_count", "overcommit_memory", "overcommit_ratio", "swappiness"},
	} {
		got, err := c.readdir(path)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("readdir %q = %v, %v; want %v", path, got, err, want)
		}
	}
	// Every entry has its d_type.
	for _, dir := range []string{"", "1", "1/fd", "1/fdinfo", "net", "sys", "sys/net"} {
		r, err := c.c.ReadDir(ctx, &procpb.ReadDirRequest{Cred: rootCred, Pid: 1, Path: []byte(dir)})
		for _, e := range r.GetEntries() {
			if a, _ := c.lookup(strings.TrimPrefix(dir+"/"+string(e.Name), "/")); err != nil || e.Type<<12 != a.GetMode()&syscall.S_IFMT {
				t.Errorf("%s/%s: d_type %d, mode %o, %v", dir, e.Name, e.Type, a.GetMode(), err)
			}
		}
	}
	_, err := c.readdir("1/stat")
	wantErr(t, "readdir of a file", err, syscall.ENOTDIR)
	_, err = c.readdir("nonesuch")
	wantErr(t, "readdir of nothing", err, syscall.ENOENT)
}

func TestLookup(t *testing.T) {
	f := newFixture(t)
	c := f.as(42, userCred)
	for _, tc := range []struct {
		path     string
		mode     uint32
		uid, gid uint32
	}{
		{"", syscall.S_IFDIR | 0o555, 0, 0},
		{"self", syscall.S_IFLNK | 0o777, 0, 0},
		{"42", syscall.S_IFDIR | 0o555, 1000, 1000},
		{"42/environ", syscall.S_IFREG | 0o400, 1000, 1000},
		{"42/fd", syscall.S_IFDIR | 0o500, 1000, 1000},
		{"42/fd/0", syscall.S_IFLNK | 0o500, 1000, 1000},
		{"1/fd/0", syscall.S_IFLNK | 0o700, 0, 0}, // root's fd dir: lookup needs search, and this caller lacks it
		{"43", syscall.S_IFDIR | 0o555, 0, 0},     // undumpable: owned by root
		{"meminfo", syscall.S_IFREG | 0o444, 0, 0},
		{"sys/vm/overcommit_memory", syscall.S_IFREG | 0o644, 0, 0},
		{"sys/kernel/osrelease", syscall.S_IFREG | 0o444, 0, 0},
	} {
		a, err := c.lookup(tc.path)
		if tc.path == "1/fd/0" {
			wantErr(t, "lookup in another user's fd directory", err, syscall.EACCES)
			continue
		}
		if err != nil || a.Mode != tc.mode || a.Uid != tc.uid || a.Gid != tc.gid {
			t.Errorf("lookup %q = %v, %v; want mode %o uid %d gid %d", tc.path, a, err, tc.mode, tc.uid, tc.gid)
		}
	}
	a1, _ := c.lookup("42/stat")
	a2, _ := c.lookup("self/stat")
	a3, _ := c.lookup("1/stat")
	if a1.GetIno() != a2.GetIno() || a1.GetIno() == a3.GetIno() {
		t.Errorf("inode numbers: 42/stat %d, self/stat %d, 1/stat %d", a1.GetIno(), a2.GetIno(), a3.GetIno())
	}
	for _, p := range []string{"0", "042", "1/nonesuch", "net/nonesuch", "sys/vm/nonesuch", "1/fd/9", "1/fd/x"} {
		_, err := f.as(1, rootCred).lookup(p)
		wantErr(t, "lookup "+p, err, syscall.ENOENT)
	}
	_, err := c.lookup("meminfo/x")
	wantErr(t, "lookup below a file", err, syscall.ENOTDIR)
}

// TestPtraceGuards checks the files Linux shows only to a process's
// owner (with matching real, effective and saved ids) or to
// CAP_SYS_PTRACE.
func TestPtraceGuards(t *testing.T) {
	f := newFixture(t)
	user, root := f.as(42, userCred), f.as(1, rootCred)
	for _, p := range []string{"1/environ", "1/maps", "43/environ", "43/maps"} {
		_, err := user.read(p)
		wantErr(t, "user reads "+p, err, syscall.EACCES)
	}
	for _, p := range []string{"1/exe", "1/cwd", "1/root", "43/exe"} {
		_, err := user.readlink(p)
		wantErr(t, "user reads link "+p, err, syscall.EACCES)
	}
	_, err := user.readdir("1/fd")
	wantErr(t, "user lists root's fds", err, syscall.EACCES)
	_, err = user.readdir("1/fdinfo")
	wantErr(t, "user lists root's fdinfo", err, syscall.EACCES)
	_, err = user.read("1/fdinfo/0")
	wantErr(t, "user reads root's fdinfo", err, syscall.EACCES)
	_, err = user.readdir("43/fd")
	wantErr(t, "user lists an undumpable process's fds", err, syscall.EACCES)
	// Their own process, and root, may.
	if got := user.mustRead("42/environ"); got != "USER=me\x00" {
		t.Errorf("own environ = %q", got)
	}
	if got, err := user.readlink("self/exe"); err != nil || got != "/usr/bin/my prog" {
		t.Errorf("own exe = %q, %v", got, err)
	}
	if got, err := user.readlink("self/fd/0"); err != nil || got != "pipe:[77]" {
		t.Errorf("own fd 0 = %q, %v", got, err)
	}
	if got, err := root.readlink("43/exe"); err != nil || got != "/bin/su" {
		t.Errorf("root reads undumpable exe = %q, %v", got, err)
	}
	if got, err := root.readlink("1/fd/3"); err != nil || got != "socket:[1234]" {
		t.Errorf("root reads fd 3 = %q, %v", got, err)
	}
	// Everyone reads stat, status and cmdline.
	for _, p := range []string{"1/status", "1/cmdline", "43/stat"} {
		if _, err := user.read(p); err != nil {
			t.Errorf("user reads %s: %v", p, err)
		}
	}
	// A request with no credential is nobody.
	_, err = f.as(42, nil).read("42/environ")
	wantErr(t, "environ without a credential", err, syscall.EACCES)
}

func TestReadErrors(t *testing.T) {
	f := newFixture(t)
	c := f.as(1, rootCred)
	_, err := c.read("1")
	wantErr(t, "read a directory", err, syscall.EISDIR)
	_, err = c.readlink("1/stat")
	wantErr(t, "readlink a file", err, syscall.EINVAL)
	// A link out of /proc is vfsd's to follow.
	_, err = c.read("1/exe")
	wantErr(t, "read the exe link", err, syscall.ELOOP)
}

func TestReadOffsets(t *testing.T) {
	f := newFixture(t)
	whole := f.as(1, rootCred).mustRead("meminfo")
	r, err := f.as(1, rootCred).c.ReadFile(ctx, &procpb.ReadFileRequest{Pid: 1, Path: []byte("meminfo"), Offset: 10, Length: 7})
	if err != nil || string(r.Data) != whole[10:17] || r.Eof {
		t.Errorf("read 7 at 10 = %q, eof %v, %v", r.GetData(), r.GetEof(), err)
	}
	r, _ = f.as(1, rootCred).c.ReadFile(ctx, &procpb.ReadFileRequest{Pid: 1, Path: []byte("meminfo"), Offset: uint64(len(whole)), Length: 7})
	if len(r.Data) != 0 || !r.Eof {
		t.Errorf("read at the end = %q, eof %v", r.Data, r.Eof)
	}
}

func TestWrites(t *testing.T) {
	f := newFixture(t)
	root, user := f.as(1, rootCred), f.as(42, userCred)
	for _, tc := range []struct {
		c          *client
		path, data string
		want       error
	}{
		{root, "meminfo", "1", syscall.EIO},
		{user, "meminfo", "1", syscall.EACCES},
		{root, "1/stat", "1", syscall.EINVAL},
		{root, "1/maps", "1", syscall.EINVAL},
		{user, "42/stat", "1", syscall.EACCES},
		{root, "net/tcp", "1", syscall.EACCES},
		{root, "1", "1", syscall.EISDIR},
		{root, "sys/vm", "1", syscall.EISDIR},
		{root, "1/exe", "1", syscall.ELOOP},
		{root, "sys/kernel/osrelease", "7", syscall.EACCES},
		{user, "sys/vm/overcommit_memory", "1", syscall.EACCES},
		{root, "sys/vm/overcommit_memory", "3", syscall.EINVAL},
		{root, "sys/vm/max_map_count", "-1", syscall.EINVAL},
		{root, "sys/fs/file-max", "-1", syscall.EINVAL},
		{root, "42/comm", "x", syscall.EINVAL}, // only a process renames itself
		{user, "1/comm", "x", syscall.EACCES},
		{root, "nonesuch", "x", syscall.ENOENT},
	} {
		_, err := tc.c.write(tc.path, tc.data)
		wantErr(t, "write "+tc.path, err, tc.want)
	}
	for path, val := range map[string]string{
		"sys/vm/overcommit_memory":         "2",
		"sys/vm/max_map_count":             "262144",
		"sys/net/ipv4/ip_forward":          "1",
		"sys/net/ipv4/tcp_syncookies":      "0",
		"sys/fs/file-max":                  "9223372036854775807",
		"sys/kernel/hostname":              "aramid",
		"sys/net/ipv4/ip_local_port_range": "1024\t65535",
	} {
		if n, err := root.write(path, val+"\n"); err != nil || int(n) != len(val)+1 {
			t.Errorf("write %q to %s = %d, %v", val, path, n, err)
		}
		if got := user.mustRead(path); got != val+"\n" {
			t.Errorf("%s reads back %q, want %q", path, got, val+"\n")
		}
	}
	if n, err := user.write("self/comm", "new name that is too long"); err != nil || n != 25 {
		t.Errorf("rename self = %d, %v", n, err)
	}
	if got := user.mustRead("self/comm"); got != "new name that i\n" {
		t.Errorf("comm after rename = %q", got)
	}
}

func TestRegisterSourceErrors(t *testing.T) {
	f := newFixture(t)
	own := inproc.NewTable()
	c := procpb.NewProcClient(f.ch.Transport(own))
	before := f.server.Len()
	h := own.Install(inproc.NewChannel(own, procpb.NewSystemSourceDispatcher(f.kernel)))
	_, err := c.RegisterSource(ctx, &procpb.RegisterSourceRequest{Kind: 99, Channel: &rpc.Handle{Value: h}})
	wantErr(t, "register an unknown kind", err, syscall.EINVAL)
	_, err = c.RegisterSource(ctx, &procpb.RegisterSourceRequest{Kind: procpb.SourceKind_SOURCE_SYSTEM})
	wantErr(t, "register without a channel", err, syscall.EINVAL)
	h = own.Install("not a channel")
	_, err = c.RegisterSource(ctx, &procpb.RegisterSourceRequest{Kind: procpb.SourceKind_SOURCE_SYSTEM, Channel: &rpc.Handle{Value: h}})
	wantErr(t, "register something that is not a channel", err, syscall.ENOTSOCK)
	if f.server.Len() != before {
		t.Errorf("procd kept %d handles of refused registrations", f.server.Len()-before)
	}
}

// TestNoSources checks what procd serves before any source registers.
func TestNoSources(t *testing.T) {
	tbl := inproc.NewTable()
	ch := inproc.NewChannel(tbl, procpb.NewProcDispatcher(New(tbl, DefaultUTS)))
	defer ch.Close()
	c := &client{t: t, c: procpb.NewProcClient(ch.Transport(inproc.NewTable())), pid: 1, cred: rootCred}
	if names, err := c.readdir(""); err != nil || slices.Contains(names, "1") {
		t.Errorf("readdir with no linuxd = %v, %v", names, err)
	}
	_, err := c.read("meminfo")
	wantErr(t, "meminfo with no kernel source", err, syscall.EIO)
	_, err = c.read("1/stat")
	wantErr(t, "a process with no linuxd", err, syscall.ENOENT)
	// /proc/net is the caller's; with no process, there is none.
	_, err = c.read("net/tcp")
	wantErr(t, "net/tcp with no linuxd", err, syscall.ENOENT)
	if got := c.mustRead("sys/fs/file-max"); got != "8192\n" {
		t.Errorf("file-max with no kernel source = %q", got)
	}
}

// TestReaddirLarge lists a /proc with more processes than one reply
// holds: the entries come in several calls, all of them, in order.
func TestReaddirLarge(t *testing.T) {
	f := newFixture(t)
	f.linuxd.mu.Lock()
	for pid := uint32(1000); pid < 11000; pid++ {
		f.linuxd.procs[pid] = &procpb.ProcessInfo{Pid: pid}
	}
	f.linuxd.mu.Unlock()
	c := f.as(1, rootCred)
	names, err := c.readdir("")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 12+3+10000 || names[len(names)-1] != "10999" {
		t.Errorf("readdir /proc: %d entries, last %q", len(names), names[len(names)-1])
	}
	if c.calls < 2 {
		t.Errorf("10000 entries came in %d reply", c.calls)
	}
}

// TestConcurrent reads, lists and writes from many clients while
// processes come and go; run it with -race (make test-procd).
func TestConcurrent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.as(1, rootCred)
			for j := 0; j < 50; j++ {
				pid := uint32(100 + i)
				f.linuxd.mu.Lock()
				f.linuxd.procs[pid] = &procpb.ProcessInfo{Pid: pid, Comm: []byte("w")}
				f.linuxd.mu.Unlock()
				c.read(fmt.Sprintf("%d/stat", pid))
				c.readdir("")
				c.write("sys/vm/swappiness", strconv.Itoa(j))
				c.read("sys/vm/swappiness")
				f.linuxd.exit(pid)
				if _, err := c.read(fmt.Sprintf("%d/status", pid)); !errors.Is(err, syscall.ENOENT) {
					t.Errorf("status of exited %d: %v", pid, err)
				}
			}
		}()
	}
	wg.Wait()
}
