package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestInitScript(t *testing.T) {
	s := initScript(Workloads, sizing{n: 123, runs: 4}, nil)
	for _, want := range []string{"#!/bin/sh\n", "\n/test/linuxbench pipe 123 4\n", "\n/test/linuxbench getpid 123 4\n", "\n/test/linuxbench fork 123 4\n", "\npoweroff -f\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("init script lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "poweroff") < strings.Index(s, "/linuxbench") {
		t.Errorf("init powers off before the workloads:\n%s", s)
	}
	dup := []Workload{Workloads[0], Workloads[0]}
	if c := strings.Count(initScript(dup, sizing{n: 1, runs: 1}, nil), "\n"+benchPath); c != 1 {
		t.Errorf("a workload listed twice runs %d times", c)
	}
	if s := initScript(Workloads, sizing{runs: 2}, nil); !strings.Contains(s, "\n/test/linuxbench fork 500 2\n") {
		t.Errorf("without -n, fork does not run its own 500 operations:\n%s", s)
	}
}

func TestAramidCmdline(t *testing.T) {
	w, err := selectWorkloads("getppid-forwarded")
	if err != nil {
		t.Fatal(err)
	}
	cmdline, name := sizing{n: 100, runs: 3}.aramid(w[0], "aramid.exit vfsd")
	if want := "aramid.exit vfsd linuxd,/test/linuxbench,getppid,100,3!!"; cmdline != want || name != "getppid" {
		t.Errorf("got %q, %q; want %q, getppid", cmdline, name, want)
	}
	cmdline, name = sizing{runs: 3}.aramid(Workloads[0], "unused")
	if cmdline != Workloads[0].AramidAppend || name != "ipc-roundtrip" {
		t.Errorf("the kernel's own workload runs as %q, %q", cmdline, name)
	}
}

func TestGoal(t *testing.T) {
	le, ge := Goal{"<=", 1.5}, Goal{">=", 2}
	if le.String() != "<=1.5" || !le.Met(1.5) || le.Met(1.6) || !ge.Met(2) || ge.Met(1.9) {
		t.Errorf("goals: %v %v", le, ge)
	}
}

// TestLinuxRuns checks that two commands printing the same BENCH name
// keep their results apart.
func TestLinuxRuns(t *testing.T) {
	s := sizing{runs: 1}
	ws, err := selectWorkloads("ipc,pipe-pingpong")
	if err != nil {
		t.Fatal(err)
	}
	script := initScript(ws, s, nil)
	out := "linux-info: 6.1\r\n"
	for i, w := range ws {
		cmd := s.linuxCmd(w)
		if !strings.Contains(script, "\necho '"+runMarker+cmd+"'\n"+cmd+"\n") {
			t.Fatalf("init script does not announce %q:\n%s", cmd, script)
		}
		out += fmt.Sprintf("%s%s\r\nBENCH pipe-roundtrip ns=%d n=5\r\n", runMarker, cmd, 100*(i+1))
	}
	runs := linuxRuns(out)
	for i, w := range ws {
		rs := runs[s.linuxCmd(w)]["pipe-roundtrip"]
		if len(rs) != 1 || rs[0].NS != float64(100*(i+1)) {
			t.Errorf("%s: results %v", w.Key, rs)
		}
	}
}

func TestVersionLess(t *testing.T) {
	if !versionLess("/boot/vmlinuz-6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-56-amd64") {
		t.Error("6.1.0-9 sorts after 6.1.0-56")
	}
	if versionLess("/boot/vmlinuz-6.10.0-1-amd64", "/boot/vmlinuz-6.9.0-1-amd64") {
		t.Error("6.10 sorts before 6.9")
	}
}

func TestSelectWorkloads(t *testing.T) {
	ws, err := selectWorkloads("getpid,ipc")
	if err != nil || len(ws) != 2 || ws[0].Key != "getpid" {
		t.Errorf("got %v, %v", ws, err)
	}
	if _, err := selectWorkloads("ipc,nope"); err == nil {
		t.Error("an unknown workload was accepted")
	}
	s := sizing{runs: 3}
	if b := s.aramidBoots(Workloads[:2], "sys"); len(b) != 1 {
		t.Errorf("the ipc and getpid workloads share a boot, got %q", b)
	}
	// ipc and getpid share one boot, nginx-rps and nginx-boot another,
	// boot-shell and idle-memory a third.
	if b := s.aramidBoots(Workloads, "sys"); len(b) != len(Workloads)-3 {
		t.Errorf("each other linuxd workload has its own boot, got %q", b)
	}
}

// TestInitramfs builds the reference initramfs from the host's busybox and
// lists it with GNU cpio.
func TestInitramfs(t *testing.T) {
	const busybox = "/bin/busybox"
	if _, err := staticELF(busybox); err != nil {
		t.Skipf("no static busybox: %v", err)
	}
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("no cpio on this host")
	}
	out := filepath.Join(t.TempDir(), "initramfs.cpio")
	if err := writeInitramfs(out, busybox, busybox, nil, "#!/bin/sh\n"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = f
	list, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"init", "test/linuxbench", "bin/busybox", "bin/sh", "bin/poweroff", "dev/console", "proc", "sys"} {
		if !strings.Contains("\n"+string(list), "\n"+want+"\n") {
			t.Errorf("initramfs lacks %s:\n%s", want, list)
		}
	}
}

func TestStaticELFRejectsDynamic(t *testing.T) {
	sh, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls")
	}
	if _, err := staticELF(sh); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("staticELF(%s) = %v, want a complaint about dynamic linking", sh, err)
	}
	text := filepath.Join(t.TempDir(), "text")
	os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755)
	if _, err := staticELF(text); err == nil {
		t.Error("a text file was accepted as an executable")
	}
}

// TestDeviceScript checks that the reference sets up the devices before
// the device workloads, runs disk-read chrooted into the mounted disk but
// announces it by its plain command, and leaves the devices alone for
// the other workloads.
func TestDeviceScript(t *testing.T) {
	ws, err := selectWorkloads("getpid,disk-read,tcp-in")
	if err != nil {
		t.Fatal(err)
	}
	s := initScript(ws, sizing{runs: 3}, []string{"jbd2", "ext4"})
	order := []string{
		"mount -t devtmpfs devtmpfs /dev\n",
		"insmod /lib/modules/jbd2.ko\ninsmod /lib/modules/ext4.ko\n",
		"mount -t ext4 -o ro /dev/vda /mnt\nmount -t proc proc /mnt/proc\n",
		"ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up\n",
		"echo 'linux-run: /test/linuxbench read /test/disk-read.bin 64 3'\nchroot /mnt /test/linuxbench read /test/disk-read.bin 64 3\n",
		"echo 'linux-run: /test/linuxbench tcp-in 5201 64 3'\n/test/linuxbench tcp-in 5201 64 3\n",
		"poweroff -f\n",
	}
	at := 0
	for _, want := range order {
		i := strings.Index(s[at:], want)
		if i < 0 {
			t.Fatalf("init script lacks %q after byte %d:\n%s", want, at, s)
		}
		at += i + len(want)
	}
	if s := initScript(ws[:1], sizing{runs: 1}, []string{"ext4"}); strings.Contains(s, "insmod") || strings.Contains(s, "/mnt") {
		t.Errorf("getpid alone sets up devices:\n%s", s)
	}
}

func TestModuleName(t *testing.T) {
	for path, want := range map[string]string{
		"kernel/fs/ext4/ext4.ko":                      "ext4",
		"kernel/drivers/net/virtio_net.ko.xz":         "virtio_net",
		"kernel/drivers/hid/hid-generic.ko":           "hid_generic",
		"kernel/drivers/virtio/virtio_pci_modern_dev": "",
	} {
		if got, ok := moduleName(path); got != want || ok != (want != "") {
			t.Errorf("moduleName(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}

// TestLoadModules reads the modules of the kernel make linux-ref fetched,
// if there is one.
func TestLoadModules(t *testing.T) {
	dirs, _ := filepath.Glob("../../build/linux-ref/lib/modules/*")
	if len(dirs) == 0 {
		t.Skip("no kernel in build/linux-ref (make linux-ref)")
	}
	ms, err := loadModules(dirs[0], deviceModules)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[len(ms)-1].Name != "virtio_net" {
		t.Errorf("loaded %d modules, the last not virtio_net", len(ms))
	}
	deps, err := moduleDepends(ms[len(ms)-1].Data)
	if err != nil || !slices.Contains(deps, "net_failover") {
		t.Errorf("virtio_net depends on %v, %v; want net_failover among them", deps, err)
	}
	if _, err := loadModules(dirs[0], []string{"ext4", "jbd2"}); err == nil || !strings.Contains(err.Error(), "not loaded before it") {
		t.Errorf("ext4 before jbd2: %v", err)
	}
	if _, err := loadModules(dirs[0], []string{"no_such_module"}); err == nil {
		t.Error("a missing module was accepted")
	}
}

// TestNginxInitScript checks that the nginx boot's /init mounts the image
// writable (nginx writes its pid and logs), reaches the network and runs
// the command the harness files the figures under.
func TestNginxInitScript(t *testing.T) {
	ws, err := selectWorkloads(nginxBoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := sizing{runs: 1}.linuxCmd(ws[0])
	script := nginxInitScript([]string{"virtio_net"}, cmd)
	for _, want := range []string{
		"insmod /lib/modules/virtio_net.ko\n",
		"mount -t ext4 /dev/vda /mnt\n",
		"ifconfig eth0 " + guestAddr,
		"echo '" + runMarker + cmd + "'\n" + cmd + "\npoweroff -f\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the nginx init script lacks %q:\n%s", want, script)
		}
	}
	if cmd != "chroot /mnt /bin/sh "+nginxScript {
		t.Errorf("nginx's Linux command is %q", cmd)
	}
}

// TestBundleFor checks that the Linux system's boots get the system
// bundle and the others (ipc's echo and pinger) the whole one.
func TestBundleFor(t *testing.T) {
	c := config{bundle: "all.cpio", systemBundle: "system.cpio", system: "aramid.exit vfsd"}
	for cmdline, want := range map[string]string{
		"aramid.exit vfsd linuxd,/bin/sh!!": "system.cpio",
		"aramid.bench=ipc aramid.exit":      "all.cpio",
	} {
		if got := c.bundleFor(cmdline); got != want {
			t.Errorf("%q boots %s, want %s", cmdline, got, want)
		}
	}
	c.systemBundle = ""
	if got := c.bundleFor("aramid.exit vfsd linuxd,/bin/sh!!"); got != "all.cpio" {
		t.Errorf("without -system-bundle the system boots %s", got)
	}
}

// TestAcrossCPUs checks the cross-CPU workloads: linuxbench under taskset
// on CPU 0 on both sides, linuxd on CPU 1, a boot of two CPUs of their own,
// and the reference's results kept apart from the same command's on one
// CPU.
func TestAcrossCPUs(t *testing.T) {
	ws, err := selectWorkloads("ipc,getppid-forwarded,getppid-xcpu,ipc-xcpu")
	if err != nil {
		t.Fatal(err)
	}
	one, multi := splitCPUs(ws)
	if len(one) != 2 || len(multi) != 2 || multi[0].Key != "getppid-xcpu" || multi[1].Key != "ipc-xcpu" {
		t.Fatalf("splitCPUs: one %v, multi %v", one, multi)
	}
	s := sizing{n: 100, runs: 3}
	if got, want := s.linuxCmd(multi[0]), "taskset 1 /test/linuxbench getppid 100 3"; got != want {
		t.Errorf("reference command %q, want %q", got, want)
	}
	cmdline, _ := s.aramid(multi[0], "sys")
	if want := "sys aramid.smp linuxd,/usr/bin/taskset,1,/test/linuxbench,getppid,100,3@cpu1!!"; cmdline != want {
		t.Errorf("Aramid command line %q, want %q", cmdline, want)
	}
	if s.linuxCmd(multi[1]) != s.linuxCmd(one[0]) {
		t.Errorf("ipc-xcpu runs %q on Linux, ipc %q: want the same command", s.linuxCmd(multi[1]), s.linuxCmd(one[0]))
	}
	k1, k2 := linuxKey(one[0].cpus(), s.linuxCmd(one[0])), linuxKey(multi[1].cpus(), s.linuxCmd(multi[1]))
	if k1 == k2 {
		t.Errorf("the pipe results of one and two CPUs share the key %q", k1)
	}
	if script := initScript(multi, s, nil); !strings.Contains(script, "\ntaskset 1 /test/linuxbench getppid 100 3\n") {
		t.Errorf("init script does not run getppid under taskset:\n%s", script)
	}
}

// TestNginxSMP checks nginx-rps-smp2: boots of two CPUs of their own, with
// aramid.smp and nothing placed on Aramid, nginx-rps's figure and Linux
// command, and the reference's results kept apart from nginx-rps's.
func TestNginxSMP(t *testing.T) {
	ws, err := selectWorkloads("nginx-rps,nginx-boot,nginx-rps-smp2")
	if err != nil {
		t.Fatal(err)
	}
	one, multi := splitCPUs(ws)
	if len(one) != 2 || len(multi) != 1 || multi[0].Key != nginxRPSSMP2 || multi[0].LinuxName != nginxRPS {
		t.Fatalf("splitCPUs: one %v, multi %v", one, multi)
	}
	var s sizing
	cmdline, name := s.aramid(multi[0], "sys")
	if want := "sys aramid.smp linuxd,/bin/sh," + nginxScript + "!!"; cmdline != want || name != nginxRPS {
		t.Errorf("Aramid command line %q, BENCH name %q, want %q, %q", cmdline, name, want, nginxRPS)
	}
	if one1, _ := s.aramid(one[0], "sys"); one1 == cmdline {
		t.Errorf("nginx-rps and nginx-rps-smp2 share the Aramid boot %q", cmdline)
	}
	if s.linuxCmd(multi[0]) != s.linuxCmd(one[0]) {
		t.Errorf("nginx-rps-smp2 runs %q on Linux, nginx-rps %q: want the same command", s.linuxCmd(multi[0]), s.linuxCmd(one[0]))
	}
	k1, k2 := linuxKey(one[0].cpus(), s.linuxCmd(one[0])), linuxKey(multi[0].cpus(), s.linuxCmd(multi[0]))
	if k1 == k2 {
		t.Errorf("the nginx results of one and two CPUs share the key %q", k1)
	}
	if opts, suffix, tag := smpOptions(multi[0].cpus(), "boot 1/1"); strings.Join(opts, " ") != "-smp 2" || suffix != "-smp2" || tag != "boot 1/1 -smp 2" {
		t.Errorf("smpOptions(2) = %q, %q, %q", opts, suffix, tag)
	}
	if opts, suffix, tag := smpOptions(one[0].cpus(), "boot 1/1"); opts != nil || suffix != "" || tag != "boot 1/1" {
		t.Errorf("smpOptions(1) = %q, %q, %q", opts, suffix, tag)
	}
}
