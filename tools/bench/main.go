// Command bench compares Aramid with Linux: it boots both in the same QEMU
// with the same machine flags (test/qemu's Flags), runs the matching
// workload in each, and prints ns per operation for both and the ratio
// Aramid/Linux. An absolute time under TCG says little about the kernel;
// the ratio against Linux on the same emulated machine, in the same run,
// is the figure to track. See docs/bench.md.
//
// Usage (make bench passes the paths):
//
//	bench -kernel build/kernel.elf -bundle build/bundle.cpio -prog build/bench/linuxbench
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"aramid/test/qemu"
)

type config struct {
	kernel, bundle, prog, busybox, linux, vmlinuz, work, system, devices string
	nginxDevices, systemBundle                                           string
	sizing
	boots   int
	timeout time.Duration
}

func main() {
	var c config
	var list string
	flag.StringVar(&c.kernel, "kernel", "build/kernel.elf", "Aramid kernel image")
	flag.StringVar(&c.bundle, "bundle", "build/bundle.cpio", "Aramid boot bundle (-initrd), with the root image; empty for none")
	flag.StringVar(&c.systemBundle, "system-bundle", "", "Aramid boot bundle of the Linux system's boots (make's SYSTEM_BUNDLE: its servers only); empty: -bundle")
	flag.StringVar(&c.system, "system", "", "Aramid command line of the Linux system (make's LINUX_APPEND), which the linuxd workloads extend")
	flag.StringVar(&c.devices, "devices", "", "QEMU options of the Linux system's devices (make's LINUX_DEVICES: the root disk, the network card)")
	flag.StringVar(&c.nginxDevices, "nginx-devices", "", "QEMU options of the nginx workloads' devices (make's LINUX_DEVICES on the nginx image)")
	flag.StringVar(&c.prog, "prog", "build/bench/linuxbench", "linuxbench, built with musl-gcc -static")
	flag.StringVar(&c.busybox, "busybox", "/bin/busybox", "static busybox for the Linux initramfs")
	flag.StringVar(&c.linux, "linux", "build/linux-ref", "Debian kernel package unpacked by make linux-ref")
	flag.StringVar(&c.vmlinuz, "vmlinuz", "", "Linux bzImage (default: the newest boot/vmlinuz-* under -linux)")
	flag.StringVar(&c.work, "work", "build/bench", "directory for the vmlinux, the initramfs, results.json and ratios.svg")
	flag.IntVar(&c.n, "n", 0, "operations per run (default: each workload's own)")
	flag.IntVar(&c.runs, "runs", 5, "runs per boot")
	flag.IntVar(&c.boots, "boots", 3, "boots of each system; the sides alternate")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "limit for each boot")
	flag.StringVar(&list, "w", "all", "workloads, comma-separated: all or "+keys())
	flag.Parse()
	ws, err := selectWorkloads(list)
	if err == nil {
		err = run(c, ws)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c config, ws []Workload) error {
	if c.n < 0 || c.runs <= 0 || c.boots <= 0 {
		return fmt.Errorf("-n must not be negative, -runs and -boots must be positive")
	}
	for _, w := range ws {
		if w.Linuxd && c.system == "" {
			return fmt.Errorf("%s runs under linuxd: -system must give the Linux system's command line", w.Key)
		}
		if w.Device == httpDevice && c.nginxDevices == "" {
			return fmt.Errorf("%s measures nginx: -nginx-devices must give the nginx image's devices", w.Key)
		}
		if (w.Device == shellDevice || w.Device == diskDevice || w.Device == netDevice) && c.devices == "" {
			return fmt.Errorf("%s measures the %s: -devices must give the Linux system's devices", w.Key, w.Device)
		}
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	native(c, ws)
	others, web := splitDevice(ws, httpDevice)
	others, shell := splitDevice(others, shellDevice)
	others, multi := splitCPUs(others)
	kernel, initrds, err := prepareLinux(c, others, web, shell, multi)
	if err != nil {
		return err
	}
	web, webMulti := splitCPUs(web)
	rec := Record{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), QEMU: qemuVersion()}
	linux, aramid := map[string]Results{}, map[string]Results{}
	for i := 1; i <= c.boots; i++ {
		tag := fmt.Sprintf("boot %d/%d", i, c.boots)
		if len(others) > 0 {
			if err := c.boots1(i, tag, kernel, initrds[0], others, &rec, linux, aramid); err != nil {
				return err
			}
		}
		if len(multi) > 0 {
			if err := c.boots1(i, tag, kernel, initrds[3], multi, &rec, linux, aramid); err != nil {
				return err
			}
		}
		for _, nw := range [][]Workload{web, webMulti} {
			if len(nw) == 0 {
				continue
			}
			if err := c.nginxBoots(i, tag, kernel, initrds[1], nw, linux, aramid); err != nil {
				return err
			}
		}
		if len(shell) > 0 {
			if err := c.shellBoots(i, tag, kernel, initrds[2], shell, linux, aramid); err != nil {
				return err
			}
		}
	}
	if rec.Workloads, err = rows(ws, c.sizing, c.system, linux, aramid); err != nil {
		return err
	}
	report(os.Stdout, rec.Workloads)
	if err := writeChartFile(filepath.Join(c.work, "ratios.svg"), rec.Workloads); err != nil {
		return err
	}
	return writeJSON(filepath.Join(c.work, "results.json"), rec)
}

// boots1 is boot i of each side for the workloads ws other than nginx's
// and the shell's, which all have the same CPU count: one Linux boot runs
// them all, and one Aramid boot each distinct command line. It adds their
// results to linux and aramid.
func (c config) boots1(i int, tag, kernel, initrd string, ws []Workload, rec *Record, linux, aramid map[string]Results) error {
	disk, netw := devices(ws)
	devs, port, err := c.bootDevices(ws)
	if err != nil {
		return err
	}
	cpus := ws[0].cpus()
	smp, name, tag := smpOptions(cpus, tag)
	extra := append([]string{"-initrd", initrd}, smp...)
	if disk || netw {
		extra = append(extra, devs...)
	}
	out, err := boot(tag+" Linux", kernel, linuxAppend, c.timeout, 0, c.sender(ws, port), extra...)
	saveConsole(c.work, fmt.Sprintf("linux%s-%d", name, i), out)
	if err != nil {
		return err
	}
	rec.Linux = linuxInfo(out)
	for cmd, res := range linuxRuns(out) {
		add(linux, linuxKey(cpus, cmd), res)
	}
	for j, cmdline := range c.aramidBoots(ws, c.system) {
		extra := smp
		if b := c.bundleFor(cmdline); b != "" {
			extra = append([]string{"-initrd", b}, smp...)
		}
		if strings.HasPrefix(cmdline, c.system) && c.system != "" {
			extra = append(extra, devs...)
		}
		out, err := boot(tag+" Aramid", c.kernel, cmdline, c.timeout, qemu.StatusSuccess, c.sender(c.runBy(ws, cmdline), port), extra...)
		saveConsole(c.work, fmt.Sprintf("aramid%s-%d-%d", name, i, j+1), out)
		if err != nil {
			fmt.Printf("bench: %s: %v\n", tag, err)
		}
		res, _ := ParseConsole(out) // boot reported malformed lines
		add(aramid, cmdline, res)
	}
	return nil
}

// smpOptions returns the QEMU options of a machine of cpus CPUs, the
// suffix of its consoles' file names and tag, which names its boots, with
// the CPU count: none of them for one CPU.
func smpOptions(cpus int, tag string) (opts []string, name, smpTag string) {
	if cpus == 1 {
		return nil, "", tag
	}
	return []string{"-smp", strconv.Itoa(cpus)}, fmt.Sprintf("-smp%d", cpus), fmt.Sprintf("%s -smp %d", tag, cpus)
}

// bundleFor is the boot bundle of the Aramid command line cmdline: the
// system bundle for the Linux system's boots, as make qemu boots it, and
// the whole bundle (with the test programs: echo and pinger for ipc)
// otherwise.
func (c config) bundleFor(cmdline string) string {
	if c.systemBundle != "" && c.system != "" && strings.HasPrefix(cmdline, c.system) {
		return c.systemBundle
	}
	return c.bundle
}

// bootDevices returns one boot's QEMU device options: -devices, with a
// forward from a free host port, which it returns, when ws measure the
// network.
func (c config) bootDevices(ws []Workload) (devs []string, port int, err error) {
	devs = strings.Fields(c.devices)
	if _, netw := devices(ws); !netw {
		return devs, 0, nil
	}
	if port, err = freePort(); err != nil {
		return nil, 0, err
	}
	devs, err = forward(devs, port, tcpPort)
	return devs, port, err
}

// sender is the host side of a boot that runs the workloads run: tcp-in's
// sender to the forwarded port, or nil.
func (c config) sender(run []Workload, port int) func(*qemu.VM) error {
	for _, w := range run {
		if w.Device == netDevice {
			mib := c.sends(w)
			return func(vm *qemu.VM) error { return send(vm, port, mib, c.timeout) }
		}
	}
	return nil
}

// runBy returns the workloads of ws that the Aramid command line cmdline
// runs.
func (c config) runBy(ws []Workload, cmdline string) []Workload {
	var run []Workload
	for _, w := range ws {
		if cl, _ := c.aramid(w, c.system); cl == cmdline {
			run = append(run, w)
		}
	}
	return run
}

// native runs linuxbench on the host, only to show that it works and what
// the host's own figure is; it takes no part in any ratio, because the
// host is not the emulated machine.
func native(c config, ws []Workload) {
	var figs []string
	for _, w := range ws {
		if w.Device != "" {
			continue // the host has neither the guest's disk nor its listener
		}
		out, err := exec.Command(c.prog, c.args(w)...).Output()
		res, errs := ParseConsole(string(out))
		if err != nil || len(errs) > 0 || len(res[w.LinuxName]) == 0 {
			fmt.Printf("bench: host native %s failed: %v %v\n", w.Key, err, errs)
			continue
		}
		figs = append(figs, fmt.Sprintf("%s %.1f ns", w.Key, Median(res[w.LinuxName])))
	}
	if len(figs) > 0 {
		fmt.Printf("bench: host native, a sanity check, not in any ratio: %s\n", strings.Join(figs, ", "))
	}
}

// prepareLinux returns the reference kernel to boot and its three
// initramfs: for the workloads others, for the nginx workloads web and
// for the shell workloads shell.
func prepareLinux(c config, others, web, shell, multi []Workload) (kernel string, initrds [4]string, err error) {
	vmlinuz := c.vmlinuz
	if vmlinuz == "" {
		if vmlinuz, err = newestVmlinuz(c.linux); err != nil {
			return "", initrds, err
		}
	}
	kernel, why, err := linuxKernel(vmlinuz, c.work)
	if err != nil {
		return "", initrds, err
	}
	var modules []Module
	var names []string
	if disk, netw := devices(others); disk || netw || len(web) > 0 || len(shell) > 0 {
		if modules, err = loadModules(modulesDir(c.linux, vmlinuz), deviceModules); err != nil {
			return "", initrds, err
		}
		for _, m := range modules {
			names = append(names, m.Name)
		}
	}
	initrds[0] = filepath.Join(c.work, "initramfs.cpio")
	if err := writeInitramfs(initrds[0], c.busybox, c.prog, modules, initScript(others, c.sizing, names)); err != nil {
		return "", initrds, err
	}
	if len(web) > 0 {
		initrds[1] = filepath.Join(c.work, "initramfs-nginx.cpio")
		if err := writeInitramfs(initrds[1], c.busybox, c.prog, modules, nginxInitScript(names, c.linuxCmd(web[0]))); err != nil {
			return "", initrds, err
		}
	}
	if len(shell) > 0 {
		initrds[2] = filepath.Join(c.work, "initramfs-shell.cpio")
		if err := writeInitramfs(initrds[2], c.busybox, c.prog, modules, nginxInitScript(names, shellCmd)); err != nil {
			return "", initrds, err
		}
	}
	if len(multi) > 0 {
		initrds[3] = filepath.Join(c.work, "initramfs-smp.cpio")
		if err := writeInitramfs(initrds[3], c.busybox, c.prog, nil, initScript(multi, c.sizing, nil)); err != nil {
			return "", initrds, err
		}
	}
	fmt.Printf("bench: Linux reference: %s; initramfs %s\n", why, initrds[0])
	return kernel, initrds, nil
}

// boot starts one machine, waits for it to stop and returns its console
// output, with an error that carries the end of the console when it did
// not stop as expected (want is QEMU's exit status, 0 for a Linux
// power-off) or printed a malformed BENCH line. It shows what it measured,
// with the facts that explain the figures: the Linux reference's
// linux-info line and the Aramid kernel's closing counts (system calls,
// context switches). host, if not nil, is the host's side of the
// workload, run beside the machine; if it fails, the machine is stopped.
func boot(tag, kernel, cmdline string, timeout time.Duration, want int, host func(*qemu.VM) error, extra ...string) (string, error) {
	start := time.Now()
	vm, err := qemu.Start(kernel, cmdline, extra...)
	if err != nil {
		return "", err
	}
	hostErr := make(chan error, 1)
	if host == nil {
		hostErr <- nil
	} else {
		go func() {
			err := host(vm)
			if err != nil {
				vm.Kill()
			}
			hostErr <- err
		}()
	}
	status, err := vm.Wait(timeout)
	if herr := <-hostErr; err == nil && herr != nil {
		err = fmt.Errorf("host side: %v", herr)
	}
	out := vm.Output()
	res, errs := ParseConsole(out)
	if info := linuxInfo(out); info != "" {
		fmt.Printf("bench: %s: %s\n", tag, info)
	}
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimRight(l, "\r"); strings.HasPrefix(l, "kernel: ") && strings.HasSuffix(l, " context switches") {
			fmt.Printf("bench: %s: %s\n", tag, l)
		}
	}
	var got []string
	for name, rs := range res {
		got = append(got, fmt.Sprintf("%s×%d", name, len(rs)))
	}
	sort.Strings(got)
	fmt.Printf("bench: %s: %.1f s, status %d, %s\n", tag, time.Since(start).Seconds(), status, strings.Join(got, " "))
	if err == nil && status != want {
		err = fmt.Errorf("QEMU exit status %d, want %d", status, want)
	}
	if err == nil && len(errs) > 0 {
		err = fmt.Errorf("malformed BENCH lines: %v", errs)
	}
	if err != nil {
		return out, fmt.Errorf("%s: %v; console ends:\n%s", tag, err, tail(out, 15))
	}
	return out, nil
}

// saveConsole keeps a boot's console as work/console-name.txt, for a
// look at what the figures leave out (the kernel's counts, linuxbench's
// reads= of the streaming workloads, errors).
func saveConsole(work, name, out string) {
	if err := os.WriteFile(filepath.Join(work, "console-"+name+".txt"), []byte(out), 0o644); err != nil {
		fmt.Printf("bench: %v\n", err)
	}
}

// linuxInfo is what the reference's linux-info line says, or "".
func linuxInfo(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if info, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "linux-info: "); ok {
			return info
		}
	}
	return ""
}

// add merges res into the results of key.
func add(m map[string]Results, key string, res Results) {
	if m[key] == nil {
		m[key] = Results{}
	}
	for name, rs := range res {
		m[key][name] = append(m[key][name], rs...)
	}
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// machine names the host's CPU and how many the machine has, for the record.
func machine() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	model, cpus := "unknown CPU", 0
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "processor":
			cpus++
		}
	}
	return fmt.Sprintf("%d × %s", cpus, model)
}

func qemuVersion() string {
	out, _ := exec.Command("qemu-system-x86_64", "--version").Output()
	v, _, _ := strings.Cut(string(out), "\n")
	return v
}

// splitCPUs separates the workloads of more than one CPU, which have
// boots of their own, from the others. The multi-CPU workloads all have
// the same count (boots1 boots them together).
func splitCPUs(ws []Workload) (one, multi []Workload) {
	for _, w := range ws {
		if w.cpus() > 1 {
			multi = append(multi, w)
		} else {
			one = append(one, w)
		}
	}
	return one, multi
}

// splitDevice separates the workloads of device, which have boots of
// their own (the nginx and shell workloads), from the others.
func splitDevice(ws []Workload, device string) (others, own []Workload) {
	for _, w := range ws {
		if w.Device == device {
			own = append(own, w)
		} else {
			others = append(others, w)
		}
	}
	return others, own
}
