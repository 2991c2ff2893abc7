// Command ext4tool reads and edits ext4 images without root or loop
// mounts, using vfsd's ext4 engine.
//
//	ext4tool COMMAND IMAGE ARGS...
//
// Commands: ls, cat, stat, put HOSTFILE PATH, get PATH HOSTFILE, mkdir
// [-p], rm [-r], mv, ln [-s], chmod MODE, chown UID[:GID], truncate SIZE,
// manifest. Paths inside the image are absolute.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
)

const usage = `usage: ext4tool COMMAND IMAGE ARGS...
  ls IMAGE [PATH]             list a directory (or one entry)
  cat IMAGE PATH              write a file's contents to stdout
  stat IMAGE PATH             print an inode's attributes
  put IMAGE HOSTFILE PATH     copy a host file into the image
  get IMAGE PATH HOSTFILE     copy a file out of the image
  mkdir IMAGE [-p] PATH       make a directory
  rm IMAGE [-r] PATH          remove a file (or a tree with -r)
  mv IMAGE OLD NEW            rename
  ln IMAGE [-s] TARGET PATH   hard link (or symbolic link with -s)
  chmod IMAGE MODE PATH       set permission bits (octal)
  chown IMAGE UID[:GID] PATH  set owner
  truncate IMAGE SIZE PATH    set a file's size
  manifest IMAGE              print PATH TYPE PERM UID GID SIZE NLINK DIGEST per path
`

// readOnly lists the commands that open the image read-only.
var readOnly = map[string]bool{"ls": true, "cat": true, "stat": true, "get": true, "manifest": true}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ext4tool:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) (err error) {
	if len(args) < 2 {
		return usageErr("missing command or image")
	}
	cmd, image := args[0], args[1]
	flags, rest := splitFlags(args[2:])
	c, ok := commands[cmd]
	if !ok {
		return usageErr(fmt.Sprintf("unknown command %q", cmd))
	}
	for f := range flags {
		if !strings.Contains(c.flags, f) {
			return fmt.Errorf("%s: unknown flag -%s", cmd, f)
		}
	}
	if len(rest) < c.minArgs || len(rest) > c.maxArgs {
		return usageErr(cmd + ": wrong number of arguments")
	}
	dev, err := blockdev.OpenFile(image, readOnly[cmd])
	if err != nil {
		return err
	}
	defer dev.Close()
	fs, err := ext4.Open(dev, ext4.Options{ReadOnly: readOnly[cmd]})
	if err != nil {
		return fmt.Errorf("%s: %w", image, err)
	}
	defer func() {
		if cerr := fs.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing %s: %w", image, cerr)
		}
	}()
	t := &tool{fs: fs, out: stdout, flags: flags}
	return c.run(t, rest)
}

// usageErr is an error message followed by the usage text.
func usageErr(msg string) error {
	return fmt.Errorf("%s\n%s", msg, strings.TrimSuffix(usage, "\n"))
}

// splitFlags separates single-letter flags (-r, -s, -p) from arguments;
// "--" ends flag parsing.
func splitFlags(args []string) (map[string]bool, []string) {
	flags := map[string]bool{}
	var rest []string
	for k, a := range args {
		if a == "--" {
			return flags, append(rest, args[k+1:]...)
		}
		if len(a) > 1 && a[0] == '-' && !isNumber(a[1:]) {
			for _, c := range a[1:] {
				flags[string(c)] = true
			}
			continue
		}
		rest = append(rest, a)
	}
	return flags, rest
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

type command struct {
	minArgs, maxArgs int
	flags            string
	run              func(t *tool, args []string) error
}

var commands = map[string]command{
	"ls":       {0, 1, "", (*tool).ls},
	"cat":      {1, 1, "", (*tool).cat},
	"stat":     {1, 1, "", (*tool).stat},
	"put":      {2, 2, "", (*tool).put},
	"get":      {2, 2, "", (*tool).get},
	"mkdir":    {1, 1, "p", (*tool).mkdir},
	"rm":       {1, 1, "rf", (*tool).rm},
	"mv":       {2, 2, "", (*tool).mv},
	"ln":       {2, 2, "s", (*tool).ln},
	"chmod":    {2, 2, "", (*tool).chmod},
	"chown":    {2, 2, "", (*tool).chown},
	"truncate": {2, 2, "", (*tool).truncate},
	"manifest": {0, 0, "", (*tool).manifest},
}
