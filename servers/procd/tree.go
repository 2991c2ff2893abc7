package procd

import (
	"bytes"
	"context"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"aramid/proto/procpb"
)

// nodeType is a /proc entry's file type, with its d_type value.
type nodeType uint8

const (
	dirNode  nodeType = 4  // DT_DIR
	fileNode nodeType = 8  // DT_REG
	linkNode nodeType = 10 // DT_LNK
)

// S_IFMT bits of each type.
var typeBits = map[nodeType]uint32{dirNode: syscall.S_IFDIR, fileNode: syscall.S_IFREG, linkNode: syscall.S_IFLNK}

// node is one resolved /proc path. The functions are set by type: list
// for directories, read (and write, for tunables) for files, link for
// symbolic links. check, when set, is the extra test Linux applies to
// reading the node, beyond its mode bits (ptrace access, mostly).
type node struct {
	typ      nodeType
	path     string // canonical: "self" resolved, for the inode number
	mode     uint32 // permission bits
	uid, gid uint32
	nlink    uint32

	list  func(context.Context) ([]dirent, error)
	read  func(context.Context) ([]byte, error)
	link  func(context.Context) (string, error)
	write func([]byte) (int, error)
	check func() error
	// perm, when set, replaces the mode-bit check (the fd directory).
	perm func(want uint32) error
	// noWrite is the errno of writing a file that has no write: EIO for
	// files directly below /proc, EINVAL for a process's files.
	noWrite syscall.Errno
	// tunable marks a /proc/sys file, whose write checks permission
	// itself, as proc_sys_permission does, with no capability override.
	tunable bool
}

type dirent struct {
	name string
	typ  nodeType
}

// ino is the inode number of a canonical path. Linux numbers /proc
// inodes dynamically; a hash keeps them stable across lookups, which is
// what tools that compare st_ino need. The root is 1, as on Linux.
func ino(path string) uint64 {
	if path == "" {
		return 1
	}
	h := fnv.New64a()
	h.Write([]byte(path))
	return h.Sum64() | 1<<32
}

// splitPath cleans a path below /proc into components. ".." never
// climbs above /proc: vfsd resolves paths that leave the mount.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// topFile is a file directly below /proc, rendered from one source.
type topFile func(s *Server, ctx context.Context, b *bytes.Buffer) error

var topFiles = map[string]topFile{
	"cmdline": withSystem(func(b *bytes.Buffer, m *procpb.SystemInfo) {
		b.Write(m.GetCmdline())
		b.WriteByte('\n')
	}),
	"cpuinfo":     withSystem(func(b *bytes.Buffer, m *procpb.SystemInfo) { renderCpuinfo(b, m.GetCpus()) }),
	"filesystems": withMounts(func(b *bytes.Buffer, m *procpb.ListMountsReply) { renderFilesystems(b, m.GetFilesystems()) }),
	"loadavg":     withSystem(renderLoadavg),
	"meminfo":     withSystem(renderMeminfo),
	"stat":        withSystem(renderProcStat),
	"uptime":      withSystem(renderUptime),
	"version": func(s *Server, _ context.Context, b *bytes.Buffer) error {
		renderVersion(b, s.uts)
		return nil
	},
}

func withSystem(f func(*bytes.Buffer, *procpb.SystemInfo)) topFile {
	return func(s *Server, ctx context.Context, b *bytes.Buffer) error {
		m, err := s.systemInfo(ctx)
		if err == nil {
			f(b, m)
		}
		return err
	}
}

func withMounts(f func(*bytes.Buffer, *procpb.ListMountsReply)) topFile {
	return func(s *Server, ctx context.Context, b *bytes.Buffer) error {
		data, err := withMountsRead(s, f)(ctx)
		b.Write(data)
		return err
	}
}

// withMountsRead renders from vfsd's mount table.
func withMountsRead(s *Server, f func(*bytes.Buffer, *procpb.ListMountsReply)) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		src := s.src.mountTable()
		if src == nil {
			return nil, errNoSource
		}
		m, err := src.ListMounts(ctx, &procpb.ListMountsRequest{})
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		f(&b, m)
		return b.Bytes(), nil
	}
}

// topLinks are the symbolic links directly below /proc: Linux serves the
// mount table and the network files per process, and links the global
// names to the caller's.
var topLinks = map[string]string{"mounts": "self/mounts", "net": "self/net", "self": ""}

// resolve finds the node for path as seen by c. With follow set, a
// final component that is one of the top-level links is followed, as
// open(2) and stat(2) do; lstat(2) and readlink(2) do not follow.
func (s *Server) resolve(ctx context.Context, c caller, path string, follow bool) (*node, error) {
	comps := splitPath(path)
	if len(comps) == 0 {
		return &node{typ: dirNode, mode: 0o555, nlink: 2, list: func(ctx context.Context) ([]dirent, error) {
			return s.rootEntries(ctx)
		}}, nil
	}
	head, rest := comps[0], comps[1:]
	if target, ok := topLinks[head]; ok {
		self := strconv.FormatUint(uint64(c.pid), 10)
		if len(rest) == 0 && !follow {
			return &node{typ: linkNode, path: head, mode: 0o777, nlink: 1, link: func(context.Context) (string, error) {
				if c.pid == 0 {
					return "", syscall.ENOENT
				}
				if target == "" {
					return self, nil
				}
				return target, nil
			}}, nil
		}
		// A path through a link is walked as Linux walks it: through
		// the caller's own directory.
		if head != "self" {
			rest = append([]string{head}, rest...)
		}
		if c.pid == 0 {
			return nil, syscall.ENOENT
		}
		head = self
	}
	if pid, err := strconv.ParseUint(head, 10, 32); err == nil && pid > 0 && head[0] != '0' {
		return s.resolvePid(ctx, c, uint32(pid), rest)
	}
	if head == "sys" {
		return s.resolveSys(c, rest)
	}
	f, ok := topFiles[head]
	if !ok {
		return nil, syscall.ENOENT
	}
	if len(rest) > 0 {
		return nil, syscall.ENOTDIR
	}
	return &node{typ: fileNode, path: head, mode: 0o444, nlink: 1, noWrite: syscall.EIO, read: func(ctx context.Context) ([]byte, error) {
		var b bytes.Buffer
		err := f(s, ctx, &b)
		return b.Bytes(), err
	}}, nil
}

// rootEntries lists /proc: its fixed entries, self, then the processes.
func (s *Server) rootEntries(ctx context.Context) ([]dirent, error) {
	var es []dirent
	for name := range topFiles {
		es = append(es, dirent{name, fileNode})
	}
	for name := range topLinks {
		es = append(es, dirent{name, linkNode})
	}
	es = append(es, dirent{"sys", dirNode})
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	src := s.src.processes()
	if src == nil {
		return es, nil
	}
	r, err := src.ListProcesses(ctx, &procpb.ListProcessesRequest{})
	if err != nil {
		return nil, err
	}
	pids := append([]uint32(nil), r.GetPids()...)
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	for _, p := range pids {
		es = append(es, dirent{strconv.FormatUint(uint64(p), 10), dirNode})
	}
	return es, nil
}

// netFiles are the files of /proc/net and what each selects.
var netFiles = map[string]struct {
	family uint32
	proto  procpb.Protocol
}{
	"tcp":  {4, procpb.Protocol_PROTOCOL_TCP},
	"tcp6": {6, procpb.Protocol_PROTOCOL_TCP},
	"udp":  {4, procpb.Protocol_PROTOCOL_UDP},
	"udp6": {6, procpb.Protocol_PROTOCOL_UDP},
	"raw":  {4, procpb.Protocol_PROTOCOL_RAW},
	"raw6": {6, procpb.Protocol_PROTOCOL_RAW},
	"unix": {1, procpb.Protocol_PROTOCOL_UNSPECIFIED},
}

// resolveNet resolves /proc/<pid>/net below base. Aramid has one network
// namespace, so every process sees the same files.
func (s *Server) resolveNet(base string, rest []string) (*node, error) {
	if len(rest) == 0 {
		return &node{typ: dirNode, path: base + "/net", mode: 0o555, nlink: 2, list: func(context.Context) ([]dirent, error) {
			var es []dirent
			for name := range netFiles {
				es = append(es, dirent{name, fileNode})
			}
			sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
			return es, nil
		}}, nil
	}
	sel, ok := netFiles[rest[0]]
	if !ok {
		return nil, syscall.ENOENT
	}
	if len(rest) > 1 {
		return nil, syscall.ENOTDIR
	}
	return &node{typ: fileNode, path: base + "/net/" + rest[0], mode: 0o444, nlink: 1,
		read: func(ctx context.Context) ([]byte, error) { return s.renderSockets(ctx, sel.family, sel.proto) },
		// Linux refuses to open /proc/net files for writing even to root.
		write: func([]byte) (int, error) { return 0, syscall.EACCES },
	}, nil
}

// renderSockets asks netd for the sockets of one file and renders them.
// Without a socket source there are no sockets: the file has its header.
func (s *Server) renderSockets(ctx context.Context, family uint32, proto procpb.Protocol) ([]byte, error) {
	var r *procpb.ListSocketsReply
	if src := s.src.sockets(); src != nil {
		var err error
		if r, err = src.ListSockets(ctx, &procpb.ListSocketsRequest{Family: family, Protocol: proto}); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	words := 1
	if family == 6 {
		words = 4
	}
	var socks []*procpb.SocketEntry
	for _, e := range r.GetSockets() {
		if e.GetFamily() == family && e.GetProtocol() == proto {
			socks = append(socks, e)
		}
	}
	switch proto {
	case procpb.Protocol_PROTOCOL_TCP:
		renderTCP(&b, socks, words)
	case procpb.Protocol_PROTOCOL_UDP:
		renderUDP(&b, socks, words)
	case procpb.Protocol_PROTOCOL_RAW:
		renderRaw(&b, socks, words)
	default:
		renderUnix(&b, r.GetUnixSockets())
	}
	return b.Bytes(), nil
}

func (s *Server) resolveSys(c caller, rest []string) (*node, error) {
	rel := strings.Join(rest, "/")
	if kids, ok := s.sys.dirs[rel]; ok {
		return &node{typ: dirNode, path: "sys/" + rel, mode: 0o555, nlink: 2, list: func(context.Context) ([]dirent, error) {
			es := make([]dirent, len(kids))
			for i, k := range kids {
				es[i] = dirent{k, fileNode}
				if _, dir := s.sys.dirs[strings.TrimPrefix(rel+"/"+k, "/")]; dir {
					es[i].typ = dirNode
				}
			}
			return es, nil
		}}, nil
	}
	t, ok := s.sys.files[rel]
	if !ok {
		return nil, syscall.ENOENT
	}
	return &node{typ: fileNode, path: "sys/" + rel, mode: t.mode, nlink: 1, tunable: true,
		read: func(ctx context.Context) ([]byte, error) { return []byte(s.sys.read(ctx, s, t)), nil },
		write: func(data []byte) (int, error) {
			if !sysctlPermitted(c, t.mode, 2) {
				return 0, syscall.EACCES
			}
			return s.sys.write(t, data)
		},
	}, nil
}
