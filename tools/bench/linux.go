package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"aramid/tools/cpio"
)

// linuxAppend is the reference kernel's command line: serial console, no
// boot chatter (every console byte costs time under TCG), and a reboot,
// which QEMU's -no-reboot turns into an exit, if init dies.
const linuxAppend = "console=ttyS0 quiet panic=-1"

// applets are the busybox commands the init script calls, linked to it.
var applets = []string{"[", "cat", "chroot", "ifconfig", "insmod", "mkdir", "mount", "poweroff", "sleep", "taskset", "uname"}

// The reference mounts the root disk here for the disk workloads and runs
// linuxbench chrooted into it, so that the same binary reads the same path
// as on Aramid, where the disk is the root.
const diskMount = "/mnt"

// guestAddr is the address QEMU's user network forwards to by default.
const guestAddr = "10.0.2.15"

// newestVmlinuz picks the kernel with the highest version among those
// unpacked under dir (dir/boot/vmlinuz-*, as make linux-ref leaves them).
func newestVmlinuz(dir string) (string, error) {
	images, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
	if len(images) == 0 {
		return "", fmt.Errorf("no %s/boot/vmlinuz-*: make linux-ref fetches Debian's kernel there", dir)
	}
	sort.Slice(images, func(i, j int) bool { return versionLess(images[i], images[j]) })
	return images[len(images)-1], nil
}

// versionLess compares names like vmlinuz-6.1.0-56-amd64 number by number.
func versionLess(a, b string) bool {
	fa, fb := strings.FieldsFunc(a, notDigit), strings.FieldsFunc(b, notDigit)
	for i := 0; i < len(fa) && i < len(fb); i++ {
		x, _ := strconv.Atoi(fa[i])
		y, _ := strconv.Atoi(fb[i])
		if x != y {
			return x < y
		}
	}
	return len(fa) < len(fb)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// initScript is /init: it prints the facts that explain the Linux figures
// (kernel release, clock source, Meltdown mitigation, which decides whether
// every system call switches page tables), sets up the devices that ws
// measure, runs each workload and powers off. Each workload's command is
// announced on a "linux-run: " line, so that results of two commands that
// print the same BENCH name (pipe with two sizes) stay apart. A failing
// workload does not stop the others; the harness notices its missing BENCH
// lines. modules are the kernel modules in the initramfs's /lib/modules,
// loaded in order.
func initScript(ws []Workload, s sizing, modules []string) string {
	var b strings.Builder
	scriptHead(&b)
	deviceSetup(&b, ws, modules)
	seen := map[string]bool{}
	for _, w := range ws {
		if cmd := s.linuxCmd(w); !seen[cmd] {
			seen[cmd] = true
			run := cmd
			if w.Device == diskDevice {
				run = "chroot " + diskMount + " " + cmd
			}
			fmt.Fprintf(&b, "echo '%s%s'\n%s\n", runMarker, cmd, run)
		}
	}
	b.WriteString("poweroff -f\n")
	return b.String()
}

// scriptHead writes the start of an init script: the shebang, /proc and
// /sys, and the linux-info line.
func scriptHead(b *strings.Builder) {
	b.WriteString("#!/bin/sh\nexport PATH=/bin\n")
	b.WriteString("mount -t proc proc /proc\nmount -t sysfs sysfs /sys\n")
	b.WriteString(`echo "linux-info: $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource), meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown)"` + "\n")
}

// deviceSetup writes the init script's part that loads the modules and,
// as ws need them, mounts the root disk read-only at diskMount (with /proc
// inside it, for linuxbench's drop_caches) and brings up the network card
// at the address that QEMU's hostfwd reaches.
func deviceSetup(b *strings.Builder, ws []Workload, modules []string) {
	disk, netw := devices(ws)
	if !disk && !netw {
		return
	}
	b.WriteString("mount -t devtmpfs devtmpfs /dev\n")
	for _, m := range modules {
		fmt.Fprintf(b, "insmod /lib/modules/%s.ko\n", m)
	}
	if disk {
		b.WriteString("for i in 1 2 3 4 5; do [ -b /dev/vda ] || sleep 1; done\n")
		fmt.Fprintf(b, "mount -t ext4 -o ro /dev/vda %s\nmount -t proc proc %s/proc\n", diskMount, diskMount)
	}
	if netw {
		fmt.Fprintf(b, "ifconfig eth0 %s netmask 255.255.255.0 up\n", guestAddr)
	}
}

// runMarker starts the line that announces a command in the init script.
const runMarker = "linux-run: "

// linuxRuns splits the reference's console at the lines initScript
// announces its commands with, and collects each command's BENCH results.
// Malformed BENCH lines are boot's to report.
func linuxRuns(out string) map[string]Results {
	sections := map[string]*strings.Builder{}
	cur := &strings.Builder{}
	for _, l := range strings.Split(out, "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), runMarker); ok {
			cur = &strings.Builder{}
			sections[cmd] = cur
			continue
		}
		cur.WriteString(l + "\n")
	}
	runs := map[string]Results{}
	for cmd, text := range sections {
		runs[cmd], _ = ParseConsole(text.String())
	}
	return runs
}

// staticELF reads an executable and checks that it needs no dynamic loader,
// since the initramfs has none.
func staticELF(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("%s is dynamically linked; the initramfs needs a static binary", path)
		}
	}
	return data, nil
}

// A Module is a kernel module for the initramfs: its name and its
// uncompressed object.
type Module struct {
	Name string
	Data []byte
}

// writeInitramfs builds the reference initramfs: busybox, linuxbench (at
// benchPath, as on Aramid), the kernel modules that the device workloads
// need in /lib/modules, and /init.
func writeInitramfs(out, busybox, prog string, modules []Module, script string) error {
	bb, err := staticELF(busybox)
	if err != nil {
		return err
	}
	lb, err := staticELF(prog)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	errs := []error{
		w.Dir("bin", 0o755), w.Dir("dev", 0o755), w.Dir("proc", 0o555), w.Dir("sys", 0o555), w.Dir("test", 0o755),
		w.Dir("mnt", 0o755), w.Dir("lib", 0o755), w.Dir("lib/modules", 0o755),
		w.CharDev("dev/console", 0o600, 5, 1),
		w.File("bin/busybox", 0o755, bb),
		w.Symlink("bin/sh", "busybox"),
		w.File(strings.TrimPrefix(benchPath, "/"), 0o755, lb),
		w.File("init", 0o755, []byte(script)),
	}
	for _, a := range applets {
		errs = append(errs, w.Symlink("bin/"+a, "busybox"))
	}
	for _, m := range modules {
		errs = append(errs, w.File("lib/modules/"+m.Name+".ko", 0o644, m.Data))
	}
	errs = append(errs, w.Close())
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
