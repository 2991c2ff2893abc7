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

var (
	publicKey = regexp.MustCompile(`(?m)^ssh-ed25519 \S+`)
	unameLine = regexp.MustCompile(`(?m)^uname=(.*)$`)
)

// client is the host's ssh and scp set to log in to the guest with one
// key and to accept only the guest's host key.
type client struct {
	t    *testing.T
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

	out := g.Must("mkdir -p /etc/dropbear && dropbearkey -t ed25519 -f "+hostKey, 5*time.Minute)
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
		g.Must(fmt.Sprintf("mkdir -p %[1]s/.ssh && echo '%[2]s' > %[1]s/.ssh/authorized_keys && chmod 700 %[1]s/.ssh && chmod 600 %[1]s/.ssh/authorized_keys",
			home, strings.TrimSpace(string(pub))), time.Minute)
	}
	g.Must("chown -R 1000:1000 /home/user && echo '"+secret+"' > /secret && chmod 600 /secret", time.Minute)
	g.Must("dropbear -E -r "+hostKey+" -p 22", 2*time.Minute)
	g.Listening(22)
	waitBanner(t, port, 2*time.Minute)

	c := &client{t: t, port: port, opts: []string{
		"-F", "/dev/null", "-i", id, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "HostKeyAlias=aramid",
		"-o", "ConnectTimeout=120", "-o", "LogLevel=ERROR",
	}}
	// dropbear logs to the console too (-E), so the line is marked.
	uname := unameLine.FindStringSubmatch(g.Must("uname -a | sed 's/^/uname=/'", time.Minute))
	if uname == nil {
		t.Fatal("no uname -a output")
	}
	c.login("root", "uid=0(root) gid=0(root)", "0", uname[1])
	c.login("user", "uid=1000(user) gid=1000(user)", "1000", uname[1])
	c.copyBothWays(filepath.Join(dir, "up.bin"), filepath.Join(dir, "down.bin"))
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

// login logs in as user, runs id, uname -a and cat /proc/self/status and
// checks what they print, then checks that user can read the root-only
// file only if it is root.
func (c *client) login(user, id, uid, uname string) {
	t := c.t
	start := time.Now()
	out, err := c.run("ssh", user+"@127.0.0.1", "id; uname -a; cat /proc/self/status")
	if err != nil {
		t.Errorf("ssh as %s: %v\n%s", user, err, out)
		return
	}
	t.Logf("ssh as %s in %v:\n%s", user, time.Since(start).Round(time.Millisecond), out)
	ids := fmt.Sprintf("Uid:\t%[1]s\t%[1]s\t%[1]s\t%[1]s", uid)
	for _, want := range []string{id, uname, ids} {
		if !strings.Contains(out, want) {
			t.Errorf("ssh as %s: no %q in the output", user, want)
		}
	}
	out, err = c.run("ssh", user+"@127.0.0.1", "cat /secret")
	readable := err == nil && strings.Contains(out, secret)
	if readable != (user == "root") {
		t.Errorf("ssh as %s: cat of the 0600 root file: %v\n%s", user, err, out)
	}
}

// copyBothWays copies 5 MiB of random bytes to the guest with scp, checks
// the guest's sha256sum of them and copies them back.
func (c *client) copyBothWays(up, down string) {
	t := c.t
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
