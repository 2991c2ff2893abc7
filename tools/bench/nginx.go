package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"aramid/test/qemu"
)

// The nginx workloads boot each side on their own disk, mk/bench.mk's
// nginx image (Debian's nginx installed by Aramid once, the same bytes on
// both sides, snapshot=on), where the guest script nginxScript starts
// nginx with Debian's stock config and waits for a line on the console.
// Aramid runs it as linuxd's main task; Linux chroots into the mounted
// disk to run it. The host measures both figures of one boot through a
// forward to port 80: the time from QEMU's start until the first 200, and
// then wrk's requests per second.
const (
	nginxScript  = "/test/nginx-bench"
	nginxServing = "nginx-bench: serving"
	nginxURL     = "/hello.txt" // a small file of the package image
	httpPort     = 80
	wrkThreads   = "-t2"
	wrkConns     = "-c8"
)

// The BENCH names of the nginx figures, which the host, not the guest,
// measures.
const (
	nginxBoot    = "nginx-boot"
	nginxRPS     = "nginx-rps"
	nginxRPSSMP2 = "nginx-rps-smp2" // nginx-rps's figure on two CPUs
)

// nginxBoots boots Linux, then Aramid, on the nginx image once each,
// with the CPU count of web (which all have the same), and adds the
// figures the host measured to linux and aramid.
func (c config) nginxBoots(i int, tag, kernel, initrd string, web []Workload, linux, aramid map[string]Results) error {
	devs, port, err := nginxDevices(c.nginxDevices)
	if err != nil {
		return err
	}
	cpus := web[0].cpus()
	smp, name, tag := smpOptions(cpus, tag)
	res := Results{}
	extra := append(append([]string{"-initrd", initrd}, smp...), devs...)
	out, err := boot(tag+" Linux nginx", kernel, linuxAppend, c.timeout, 0, c.nginxHost(web, port, res), extra...)
	saveConsole(c.work, fmt.Sprintf("linux-nginx%s-%d", name, i), out)
	if err != nil {
		return err
	}
	add(linux, linuxKey(cpus, c.linuxCmd(web[0])), res)
	if devs, port, err = nginxDevices(c.nginxDevices); err != nil {
		return err
	}
	res = Results{}
	cmdline, _ := c.aramid(web[0], c.system)
	extra = append(append([]string{"-initrd", c.bundleFor(cmdline)}, smp...), devs...)
	out, err = boot(tag+" Aramid nginx", c.kernel, cmdline, c.timeout, qemu.StatusSuccess, c.nginxHost(web, port, res), extra...)
	saveConsole(c.work, fmt.Sprintf("aramid-nginx%s-%d", name, i), out)
	if err != nil {
		fmt.Printf("bench: %v\n", err)
	}
	add(aramid, cmdline, res)
	return nil
}

// nginxDevices returns the nginx image's devices with a forward from a
// free host port, which it returns, to the guest's port 80.
func nginxDevices(devices string) ([]string, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	devs, err := forward(strings.Fields(devices), port, httpPort)
	return devs, port, err
}

// nginxHost is the host side of an nginx boot: it polls the forward until
// nginx answers 200, which gives nginx-boot, runs wrk for nginx-rps if
// web has it (or nginx-rps-smp2, the same figure), puts the figures in
// res and lets the guest script end.
func (c config) nginxHost(web []Workload, port int, res Results) func(*qemu.VM) error {
	return func(vm *qemu.VM) error {
		start := time.Now()
		stopped := make(chan struct{})
		go func() {
			vm.Wait(c.timeout)
			close(stopped)
		}()
		url := fmt.Sprintf("http://127.0.0.1:%d%s", port, nginxURL)
		if err := firstOK(url, start.Add(c.timeout), stopped); err != nil {
			return err
		}
		res[nginxBoot] = []Result{{Name: nginxBoot, NS: float64(time.Since(start).Nanoseconds()), N: 1}}
		for _, w := range web {
			if w.LinuxName != nginxRPS {
				continue
			}
			rps, n, err := runWrk(url, c.ops(w))
			if err != nil {
				return err
			}
			res[nginxRPS] = []Result{{Name: nginxRPS, NS: 1e9 / rps, N: n}}
		}
		return vm.Type("\n")
	}
}

// firstOK polls url every 50 ms until it answers 200, the deadline
// passes or the machine stops (stopped is closed). Until the guest
// listens, QEMU accepts the connection and then resets it.
func firstOK(url string, deadline time.Time, stopped <-chan struct{}) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-stopped:
			return fmt.Errorf("%s: the machine stopped before a 200: %v", url, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no 200 by the deadline: %v", url, err)
		}
	}
}

var (
	wrkRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in `)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk against url for secs seconds and returns its requests
// per second and requests. It prints wrk's latency figures: a rate can
// hide a few requests that took seconds, and the maximum shows them.
func runWrk(url string, secs int) (rps float64, n int64, err error) {
	out, err := exec.Command("wrk", wrkThreads, wrkConns, "--latency", "-d"+strconv.Itoa(secs)+"s", url).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	fmt.Print(wrkLatency(string(out)))
	return parseWrk(string(out))
}

// wrkLatency returns the lines of wrk's report about latency: the thread
// statistics' Latency line (average, deviation, maximum) and, with
// --latency, the distribution's percentiles, each prefixed "bench: wrk:".
func wrkLatency(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == "Latency" || strings.HasSuffix(f[0], "%") && len(f) == 2) {
			fmt.Fprintf(&b, "bench: wrk: %s\n", strings.Join(f, " "))
		}
	}
	return b.String()
}

// parseWrk reads wrk's report. A failed connect, read or write, or an
// answer other than 2xx or 3xx, fails the run; requests that took longer
// than wrk's 2 s timeout only count as not done, and are shown.
func parseWrk(out string) (rps float64, n int64, err error) {
	r, m := wrkRate.FindStringSubmatch(out), wrkRequests.FindStringSubmatch(out)
	if r == nil || m == nil || strings.Contains(out, "Non-2xx or 3xx responses") {
		return 0, 0, fmt.Errorf("wrk: no clean result:\n%s", out)
	}
	if e := wrkSocket.FindStringSubmatch(out); e != nil {
		if e[1] != "0" || e[2] != "0" || e[3] != "0" {
			return 0, 0, fmt.Errorf("wrk: socket errors:\n%s", out)
		}
		fmt.Printf("bench: wrk: %s requests timed out (over 2 s)\n", e[4])
	}
	rps, err = strconv.ParseFloat(r[1], 64)
	if err == nil {
		n, err = strconv.ParseInt(m[1], 10, 64)
	}
	if err == nil && (rps <= 0 || n <= 0) {
		err = fmt.Errorf("wrk: no requests done:\n%s", out)
	}
	return rps, n, err
}

// nginxInitScript is the reference's /init for the nginx boots: the
// modules, the nginx image mounted read-write at diskMount (its writes go
// to QEMU's snapshot) with /proc and /dev inside, the loopback and the
// network card up, and cmd: nginxScript chrooted into the image. The
// shell boots use it too, with the benchmark's root disk and a shell.
func nginxInitScript(modules []string, cmd string) string {
	var b strings.Builder
	scriptHead(&b)
	b.WriteString("mount -t devtmpfs devtmpfs /dev\n")
	for _, m := range modules {
		fmt.Fprintf(&b, "insmod /lib/modules/%s.ko\n", m)
	}
	b.WriteString("for i in 1 2 3 4 5; do [ -b /dev/vda ] || sleep 1; done\n")
	fmt.Fprintf(&b, "mount -t ext4 /dev/vda %[1]s\nmkdir -p %[1]s/proc %[1]s/dev\nmount -t proc proc %[1]s/proc\nmount -t devtmpfs devtmpfs %[1]s/dev\n", diskMount)
	fmt.Fprintf(&b, "ifconfig lo 127.0.0.1 up\nifconfig eth0 %s netmask 255.255.255.0 up\n", guestAddr)
	fmt.Fprintf(&b, "echo '%s%s'\n%s\npoweroff -f\n", runMarker, cmd, cmd)
	return b.String()
}
