// Package nginx_test installs Debian's nginx-light inside Aramid and
// checks it end to end (make test-nginx, issue 15): the install, nginx -t,
// the master and its workers, port 80 listening, curl from the host
// through hostfwd getting files byte-exact, wrk for 10 s without errors,
// netd killed during a wrk run and new connections answered again within
// a second, nginx keeping its listening sockets (linuxd makes them again
// on the restarted netd), the stock config's IPv6 listener reached with
// busybox wget, and reload and quit replacing and then ending the workers.
package nginx_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"aramid/test/packages"
	"aramid/test/qemu"
)

// start runs nginx with a second error log, notices, at notice level,
// added with -g so the stock config stays unchanged: the master writes
// there each worker it starts and each that exits, which shows the workers
// even where ps cannot (no /proc).
const (
	notices = "/var/log/nginx/notice.log"
	start   = "nginx -g 'error_log " + notices + " notice;'"
)

var (
	started  = regexp.MustCompile(`start worker process (\d+)`)
	exited   = regexp.MustCompile(`worker process (\d+) exited with code 0`)
	requests = regexp.MustCompile(`(\d+) requests in `)
	pidLine  = regexp.MustCompile(`(?m)^\d+$`)
)

func TestNginx(t *testing.T) {
	www := os.Getenv("ARAMID_WWW")
	if www == "" {
		t.Skip("ARAMID_WWW not set; run make test-nginx")
	}
	g := packages.Boot(t, 80)
	base := fmt.Sprintf("http://127.0.0.1:%d", g.HostPort(80))

	if out, ok := g.Check(t, "nginx -t 2>&1", 2*time.Minute); ok && !strings.Contains(out, "test is successful") {
		t.Errorf("nginx -t passed without saying so:\n%s", out)
	}
	g.Check(t, "grep -F 'listen [::]:80 default_server;' /etc/nginx/sites-enabled/default", time.Minute)

	g.Must(t, start, 2*time.Minute)
	// A line of digits: linuxd's messages share the console.
	master := pidLine.FindString(g.Must(t, "cat /run/nginx.pid", time.Minute))
	if master == "" {
		t.Fatal("no pid in /run/nginx.pid")
	}
	workers := waitStarted(t, g, nil, 2*time.Minute)
	g.Check(t, "kill -0 "+master+" "+strings.Join(workers, " "), time.Minute)
	t.Run("ps", func(t *testing.T) {
		g.NeedProc(t)
		if out, _ := g.Check(t, "ps -o pid,args", time.Minute); !strings.Contains(out, "nginx: master process") || !strings.Contains(out, "nginx: worker process") {
			t.Errorf("ps does not show nginx's master and workers:\n%s", out)
		}
	})
	t.Run("proc-net-tcp", func(t *testing.T) {
		g.NeedProc(t)
		g.Listening(t, 80)
	})

	waitServing(t, base+"/hello.txt", 2*time.Minute)
	for _, f := range []string{"hello.txt", "10m.bin"} {
		exact(t, base+"/"+f, filepath.Join(www, f))
	}
	load(t, base+"/hello.txt")
	t.Run("netd-restart", func(t *testing.T) { netdRestart(t, g, base+"/hello.txt") })

	out, _ := g.Check(t, "wget -S -O /tmp/index.html 'http://[::1]/' 2>&1", 2*time.Minute)
	if !strings.Contains(out, "HTTP/1.1 200 OK") {
		t.Errorf("busybox wget of http://[::1]/ did not get 200:\n%s", out)
	}
	g.Check(t, "cmp /tmp/index.html /var/www/html/index.nginx-debian.html", time.Minute)

	g.Must(t, "nginx -s reload", 2*time.Minute)
	replaced := waitStarted(t, g, workers, 2*time.Minute)
	waitGone(t, g, workers, 2*time.Minute)
	exact(t, base+"/hello.txt", filepath.Join(www, "hello.txt"))

	g.Must(t, "nginx -s quit", 2*time.Minute)
	waitGone(t, g, replaced, 2*time.Minute)
	g.Must(t, fmt.Sprintf("while kill -0 %s 2>/dev/null; do sleep 1; done; [ ! -e /run/nginx.pid ]", master), 2*time.Minute)
}

// waitStarted waits for workers started according to the notice log
// other than those in old, and returns their pids once two polls a second
// apart agree (the master logs its workers one by one).
func waitStarted(t *testing.T, g *packages.Guest, old []string, timeout time.Duration) []string {
	t.Helper()
	var pids []string
	poll(t, g, "cat "+notices, timeout, func(log string) bool {
		var now []string
		for _, m := range started.FindAllStringSubmatch(log, -1) {
			if !contains(old, m[1]) && !contains(now, m[1]) {
				now = append(now, m[1])
			}
		}
		stable := len(now) > 0 && len(now) == len(pids)
		pids = now
		return stable
	})
	return pids
}

// waitGone waits until the master has logged every one of workers as
// exited and none of them is alive.
func waitGone(t *testing.T, g *packages.Guest, workers []string, timeout time.Duration) {
	t.Helper()
	poll(t, g, "cat "+notices, timeout, func(log string) bool {
		var gone []string
		for _, m := range exited.FindAllStringSubmatch(log, -1) {
			gone = append(gone, m[1])
		}
		for _, w := range workers {
			if !contains(gone, w) {
				return false
			}
		}
		return true
	})
	for _, w := range workers {
		if _, status, _ := g.Run("kill -0 "+w, time.Minute); status == 0 {
			t.Errorf("worker %s still alive after the master said it exited", w)
		}
	}
}

// poll runs cmd in the guest every second until done accepts its output.
func poll(t *testing.T, g *packages.Guest, cmd string, timeout time.Duration, done func(string) bool) {
	t.Helper()
	var out string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Second) {
		var err error
		if out, _, err = g.Run(cmd, time.Minute); err != nil {
			t.Fatal(err)
		}
		if done(out) {
			return
		}
	}
	t.Fatalf("%s: not as wanted within %v:\n%s", cmd, timeout, out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// curl fetches url with the host's curl into a file and returns the HTTP
// status and the body.
func curl(t *testing.T, url string, timeout time.Duration) (string, []byte, error) {
	body := filepath.Join(t.TempDir(), "body")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	code, err := exec.CommandContext(ctx, "curl", "-sS", "-o", body, "-w", "%{http_code}", url).Output()
	if err != nil {
		return "", nil, fmt.Errorf("curl %s: %w", url, err)
	}
	b, err := os.ReadFile(body)
	return string(code), b, err
}

// waitServing retries url until nginx answers; QEMU accepts the host's
// connection before the guest does, so a refusal shows as a reset.
func waitServing(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, _, err := curl(t, url, 30*time.Second)
		if err == nil && code == "200" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not answering %s within %v: status %q, %v", url, timeout, code, err)
		}
		time.Sleep(time.Second)
	}
}

// exact checks that url answers 200 with the bytes of file.
func exact(t *testing.T, url, file string) {
	t.Helper()
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, got, err := curl(t, url, 5*time.Minute)
	switch {
	case err != nil:
		t.Error(err)
	case code != "200":
		t.Errorf("%s: status %s, want 200", url, code)
	case !bytes.Equal(got, want):
		t.Errorf("%s: %d bytes differ from %s's %d", url, len(got), file, len(want))
	default:
		t.Logf("%s: 200, %d bytes as on the root, in %v", url, len(got), time.Since(start).Round(time.Millisecond))
	}
}

// load runs wrk against url for 10 s and wants requests done, no socket
// errors and no response but 2xx. wrk's timeout is 30 s because under
// TCG a few of Aramid's answers take seconds (7.7 s at most seen so far;
// the cause is not yet known): a latency to fix, not a lost request.
func load(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c8", "-d10s", "--timeout", "30s", url).CombinedOutput()
	t.Logf("wrk:\n%s", out)
	switch s, n := string(out), requests.FindStringSubmatch(string(out)); {
	case err != nil:
		t.Errorf("wrk: %v", err)
	case n == nil || n[1] == "0":
		t.Errorf("wrk reported no requests")
	case strings.Contains(s, "Socket errors"):
		t.Errorf("wrk saw socket errors")
	case strings.Contains(s, "Non-2xx"):
		t.Errorf("wrk saw responses other than 2xx")
	}
}

// netdRestart kills netd 3 s into a 10 s wrk run. New connections must be
// answered within qemu.RecoveryLimit of the kill (the goal is
// qemu.RecoveryGoal); the connections netd had are reset, and nginx
// serves on the same listening sockets afterwards, which the later steps
// (IPv6, reload, quit) use too.
func netdRestart(t *testing.T, g *packages.Guest, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wrk := exec.CommandContext(ctx, "wrk", "-t2", "-c8", "-d10s", "--timeout", "5s", url)
	var out bytes.Buffer
	wrk.Stdout, wrk.Stderr = &out, &out
	if err := wrk.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if _, _, err := g.WaitFor("init: a spare of netd is ready", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := g.KillServer("netd", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	recovered, err := qemu.FirstAnswer(url, killed, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	werr := wrk.Wait()
	t.Logf("netd killed 3 s into wrk: new connections answered %s; wrk:\n%s", qemu.Recovery(recovered), out.String())
	if recovered > qemu.RecoveryLimit {
		t.Errorf("new connections answered %v after netd's death, more than %v", recovered.Round(time.Millisecond), qemu.RecoveryLimit)
	}
	if n := requests.FindStringSubmatch(out.String()); werr != nil || n == nil || n[1] == "0" {
		t.Errorf("wrk across netd's restart: %v, no requests done", werr)
	}
	exact(t, url, filepath.Join(os.Getenv("ARAMID_WWW"), "hello.txt"))
}
