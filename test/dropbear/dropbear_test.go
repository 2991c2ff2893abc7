// Package dropbear_test installs Debian's dropbear-bin inside Aramid and
// checks it end to end (make test-dropbear, issue 15): dropbearkey makes
// the host key, dropbear listens on port 22, and the host's OpenSSH
// client, pinning that key, logs in with a public key as root and as
// uid 1000, runs commands, is refused a root-only file as uid 1000, and
// copies 5 MiB both ways with scp.
package dropbear_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"aramid/test/packages"
)

const (
	hostKey = "/etc/dropbear/dropbear_ed25519_host_key"
	secret  = "only root may read this" // /secret, mode 0600
)

var publicKey = regexp.MustCompile(`(?m)^ssh-ed25519 \S+`)

// client is the host's ssh and scp set to log in to the guest with one
// key and to accept only the guest's host key.
type client struct {
	g    *packages.Guest
	port int
	opts []string
}

func TestDropbear(t *testing.T) {
	g := packages.Boot(t, 22)
	dir := t.TempDir()
	id := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aramid-test", "-f", id).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(id + ".pub")
	if err != nil {
		t.Fatal(err)
	}

	out := g.Must(t, "mkdir -p /etc/dropbear && dropbearkey -t ed25519 -f "+hostKey, 5*time.Minute)
	key := publicKey.FindString(out)
	if key == "" {
		t.Fatalf("dropbearkey printed no public key:\n%s", out)
	}
	port := g.HostPort(22)
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("aramid "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, home := range []string{"/root", "/home/user"} {
		g.Must(t, fmt.Sprintf("mkdir -p %[1]s/.ssh && echo '%[2]s' > %[1]s/.ssh/authorized_keys && chmod 700 %[1]s/.ssh && chmod 600 %[1]s/.ssh/authorized_keys",
			home, strings.TrimSpace(string(pub))), time.Minute)
	}
	g.Must(t, "chown -R 1000:1000 /home/user && echo '"+secret+"' > /secret && chmod 600 /secret", time.Minute)
	g.Must(t, "dropbear -E -r "+hostKey+" -p 22", 2*time.Minute)
	t.Run("proc-net-tcp", func(t *testing.T) {
		g.NeedProc(t)
		g.Listening(t, 22)
	})
	waitBanner(t, port, 2*time.Minute)

	c := &client{g: g, port: port, opts: []string{
		"-F", "/dev/null", "-i", id, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "HostKeyAlias=aramid",
		"-o", "ConnectTimeout=120", "-o", "LogLevel=ERROR",
	}}
	// dropbear logs to the console too (-E), so the line is marked.
	uname := marked(t, g, "uname", "uname -a")
	t.Run("root", func(t *testing.T) {
		c.login(t, "root", "uid=0(root) gid=0(root)", "0", uname)
	})
	t.Run("uid-1000", func(t *testing.T) {
		// busybox su sets the uid as dropbear does, without the network.
		if uid := marked(t, g, "uid", "su -s /bin/sh user -c 'id -u'"); uid != "1000" {
			t.Skipf("setuid has no effect in the guest yet (linuxd does not track credentials): su to user ran id -u as %s", uid)
		}
		c.login(t, "user", "uid=1000(user) gid=1000(user)", "1000", uname)
	})
	t.Run("scp", func(t *testing.T) {
		c.copyBothWays(t, filepath.Join(dir, "up.bin"), filepath.Join(dir, "down.bin"))
	})
}

// marked runs cmd in the guest with each line of its output prefixed by
// name=, and returns the first such line without the prefix: other
// programs (dropbear with -E, linuxd) write to the console too.
func marked(t *testing.T, g *packages.Guest, name, cmd string) string {
	t.Helper()
	out := g.Must(t, cmd+" | sed 's/^/"+name+"=/'", time.Minute)
	m := regexp.MustCompile(`(?m)^` + name + `=(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s printed nothing:\n%s", cmd, out)
	}
	return m[1]
}

// run runs the host's ssh or scp with the client's options and a time
// limit, and returns its output.
func (c *client) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	port := "-p"
	if name == "scp" {
		port = "-P"
	}
	all := append(append(append([]string{}, c.opts...), port, fmt.Sprint(c.port)), args...)
	out, err := exec.CommandContext(ctx, name, all...).CombinedOutput()
	return string(out), err
}

// login logs in as user, runs id and uname -a, and cat /proc/self/status
// once the guest serves /proc, and checks what they print, then checks
// that user can read the root-only file only if it is root.
func (c *client) login(t *testing.T, user, id, uid, uname string) {
	start := time.Now()
	out, err := c.run("ssh", user+"@127.0.0.1", "id; uname -a")
	if err != nil {
		t.Fatalf("ssh as %s: %v\n%s", user, err, out)
	}
	t.Logf("ssh as %s in %v:\n%s", user, time.Since(start).Round(time.Millisecond), out)
	for _, want := range []string{id, uname} {
		if !strings.Contains(out, want) {
			t.Errorf("ssh as %s: no %q in the output", user, want)
		}
	}
	t.Run("proc-self-status", func(t *testing.T) {
		c.g.NeedProc(t)
		out, err := c.run("ssh", user+"@127.0.0.1", "cat /proc/self/status")
		if err != nil {
			t.Fatalf("ssh as %s: %v\n%s", user, err, out)
		}
		if ids := fmt.Sprintf("Uid:\t%[1]s\t%[1]s\t%[1]s\t%[1]s", uid); !strings.Contains(out, ids) {
			t.Errorf("ssh as %s: no %q in the output", user, ids)
		}
	})
	out, err = c.run("ssh", user+"@127.0.0.1", "cat /secret")
	readable := err == nil && strings.Contains(out, secret)
	if readable != (user == "root") {
		t.Errorf("ssh as %s: cat of the 0600 root file: %v\n%s", user, err, out)
	}
}

// copyBothWays copies 5 MiB of random bytes to the guest with scp, checks
// the guest's sha256sum of them and copies them back.
func (c *client) copyBothWays(t *testing.T, up, down string) {
	data := make([]byte, 5<<20)
	rand.Read(data)
	if err := os.WriteFile(up, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// -O: the SCP protocol, since dropbear has no SFTP server; the guest's
	// end is openssh-client's scp.
	if out, err := c.run("scp", "-O", up, "root@127.0.0.1:/tmp/up.bin"); err != nil {
		t.Errorf("scp to the guest: %v\n%s", err, out)
		return
	}
	sum := sha256.Sum256(data)
	if out, err := c.run("ssh", "root@127.0.0.1", "sha256sum /tmp/up.bin"); err != nil || !strings.HasPrefix(out, hex.EncodeToString(sum[:])) {
		t.Errorf("the guest's copy differs: %v\n%s", err, out)
	}
	if out, err := c.run("scp", "-O", "root@127.0.0.1:/tmp/up.bin", down); err != nil {
		t.Errorf("scp from the guest: %v\n%s", err, out)
		return
	}
	if got, err := os.ReadFile(down); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the copy back differs from the original (%d bytes): %v", len(got), err)
	}
}

// waitBanner waits until dropbear greets a connection to the forwarded
// port; QEMU accepts the host's connection before the guest does, so an
// absent server shows as a closed connection.
func waitBanner(t *testing.T, port int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err == nil {
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			b := make([]byte, 64)
			n, err := conn.Read(b)
			conn.Close()
			if last = fmt.Sprintf("%q %v", b[:n], err); strings.HasPrefix(string(b[:n]), "SSH-2.0-dropbear") {
				return
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("no SSH banner on port %d within %v (last read %s)", port, timeout, last)
}
