package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitScript(t *testing.T) {
	s := initScript(Workloads, 123, 4)
	for _, want := range []string{"#!/bin/sh\n", "\n/linuxbench pipe 123 4\n", "\n/linuxbench getpid 123 4\n", "\npoweroff -f\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("init script lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "poweroff") < strings.Index(s, "/linuxbench") {
		t.Errorf("init powers off before the workloads:\n%s", s)
	}
	dup := []Workload{Workloads[0], Workloads[0]}
	if c := strings.Count(initScript(dup, 1, 1), "/linuxbench"); c != 1 {
		t.Errorf("a workload listed twice runs %d times", c)
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
	if b := aramidBoots(Workloads); len(b) != 1 {
		t.Errorf("the ipc and getpid workloads share a boot, got %q", b)
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
	if err := writeInitramfs(out, busybox, busybox, "#!/bin/sh\n"); err != nil {
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
	for _, want := range []string{"init", "linuxbench", "bin/busybox", "bin/sh", "bin/poweroff", "dev/console", "proc", "sys"} {
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
