package procd

import (
	"bytes"
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"aramid/lib/linux"
	"aramid/proto/procpb"
)

// sysctlKind names the Linux proc handler a tunable uses; each parses a
// write its own way.
type sysctlKind int

const (
	// intVec is proc_dointvec_minmax: signed ints, each within [min, max].
	intVec sysctlKind = iota
	// u8Vec is proc_dou8vec_minmax: one unsigned value within [min, max].
	u8Vec
	// ulongVec is proc_doulongvec_minmax: unsigned longs, no sign allowed.
	ulongVec
	// str is proc_dostring: text up to the first NUL or newline.
	str
)

// tunable is one file below /proc/sys.
type tunable struct {
	kind     sysctlKind
	mode     uint32 // 0644 writable by root, 0444 read-only
	n        int    // values in an int vector
	min, max int64
	maxlen   int // str: the buffer size, including the NUL
	// ordered requires a two-value vector to be non-decreasing and its
	// first value to be at least floor, as ip_local_port_range requires
	// its range to be ordered and above the privileged ports.
	ordered bool
	floor   int64
	// def is the value until the first write. A tunable with dyn set
	// computes it when read instead.
	def []int64
	dyn func(*Server, context.Context) string
	// text is a str tunable's value.
	text string
}

const intMax = math.MaxInt32

// newTunables returns Linux 6.1's defaults for the tunables Aramid keeps.
func newTunables(u UTS) map[string]*tunable {
	rw, ro := uint32(0o644), uint32(0o444)
	ival := func(min, max int64, def ...int64) *tunable {
		return &tunable{kind: intVec, mode: rw, n: len(def), min: min, max: max, def: def}
	}
	text := func(mode uint32, v string) *tunable {
		// __NEW_UTS_LEN is 64; the buffer holds it and a NUL.
		return &tunable{kind: str, mode: mode, maxlen: 65, text: v}
	}
	portRange := ival(1, 65535, 32768, 60999)
	// The floor is ip_unprivileged_port_start's default.
	portRange.ordered, portRange.floor = true, 1024
	return map[string]*tunable{
		"fs/file-max":                  {kind: ulongVec, mode: rw, n: 1, min: 0, max: math.MaxInt64, dyn: (*Server).defaultFileMax},
		"fs/nr_open":                   ival(64, 2147483584, 1048576),
		"kernel/cap_last_cap":          {kind: intVec, mode: ro, n: 1, def: []int64{40}},
		"kernel/domainname":            text(rw, linux.Domainname),
		"kernel/hostname":              text(rw, linux.Nodename),
		"kernel/ngroups_max":           {kind: intVec, mode: ro, n: 1, def: []int64{65536}},
		"kernel/osrelease":             text(ro, u.Release),
		"kernel/ostype":                text(ro, u.Sysname),
		"kernel/pid_max":               ival(301, 4194304, 32768),
		"kernel/version":               text(ro, u.Version),
		"net/core/somaxconn":           ival(0, intMax, 4096),
		"net/ipv4/ip_forward":          ival(math.MinInt32, intMax, 0),
		"net/ipv4/ip_local_port_range": portRange,
		"net/ipv4/tcp_syncookies":      {kind: u8Vec, mode: rw, n: 1, min: 0, max: 255, def: []int64{1}},
		"vm/max_map_count":             ival(0, intMax, 65530),
		"vm/overcommit_memory":         ival(0, 2, 0),
		"vm/overcommit_ratio":          ival(math.MinInt32, intMax, 50),
		"vm/swappiness":                ival(0, 200, 60),
	}
}

// sysctls is the /proc/sys tree and the values written to it.
type sysctls struct {
	mu    sync.Mutex
	files map[string]*tunable
	dirs  map[string][]string // directory -> sorted child names
}

func newSysctls(u UTS) *sysctls {
	s := &sysctls{files: newTunables(u), dirs: map[string][]string{}}
	seen := map[string]bool{}
	for p := range s.files {
		for dir, name := "", p; ; {
			i := strings.IndexByte(name, '/')
			child := name
			if i >= 0 {
				child = name[:i]
			}
			key := dir + "\x00" + child
			if !seen[key] {
				seen[key] = true
				s.dirs[dir] = append(s.dirs[dir], child)
			}
			if i < 0 {
				break
			}
			dir = strings.TrimPrefix(dir+"/"+child, "/")
			name = name[i+1:]
		}
	}
	for _, c := range s.dirs {
		sort.Strings(c)
	}
	return s
}

// read renders a tunable's value as Linux prints it.
func (s *sysctls) read(ctx context.Context, srv *Server, t *tunable) string {
	s.mu.Lock()
	text, vals := t.text, t.def
	s.mu.Unlock()
	switch {
	case t.kind == str:
		return text + "\n"
	case vals == nil:
		return t.dyn(srv, ctx) + "\n"
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, "\t") + "\n"
}

// sysctlPermitted is Linux's test_perm: root uses the owner bits, a
// member of group root the group bits, everyone else the other bits.
// Capabilities play no part.
func sysctlPermitted(c caller, mode uint32, want uint32) bool {
	switch {
	case c.cred.GetEuid() == 0:
		mode >>= 6
	case c.cred.GetEgid() == 0 || c.inGroups(0):
		mode >>= 3
	}
	return want&^mode&7 == 0
}

// write stores data into t as the Linux handler would, returning the
// count write(2) reports.
func (s *sysctls) write(t *tunable, data []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(data) == 0 {
		// proc_sys_call_handler returns 0 before any handler runs.
		return 0, nil
	}
	switch t.kind {
	case str:
		return s.writeString(t, data), nil
	case u8Vec:
		return writeUint(t, data)
	}
	vals := t.def
	if vals == nil {
		vals = make([]int64, t.n)
	}
	vals = append([]int64(nil), vals...)
	left, err := parseVec(t, data, vals)
	if err != nil {
		return 0, err
	}
	if t.ordered && (vals[1] < vals[0] || vals[0] < t.floor) {
		return 0, syscall.EINVAL
	}
	t.def = vals
	return len(data) - left, nil
}

func (s *sysctls) writeString(t *tunable, data []byte) int {
	end := bytes.IndexAny(data, "\x00\n")
	if end < 0 {
		end = len(data)
	}
	t.text = string(data[:min(end, t.maxlen-1)])
	return len(data)
}

// parseVec is __do_proc_dointvec and __do_proc_doulongvec_minmax for a
// write at offset 0: values separated by white space, each checked,
// stopping after t.n values. It returns the bytes left unconsumed.
func parseVec(t *tunable, p []byte, vals []int64) (int, error) {
	first := true
	var err error
	for i := 0; len(p) > 0 && i < t.n; i++ {
		p = skipSpaces(p)
		if len(p) == 0 {
			break
		}
		var u uint64
		var neg bool
		var n int
		if u, neg, n, err = getLong(p); err != nil {
			break
		}
		p = p[n:]
		var v int64
		if v, err = convert(t, u, neg); err != nil {
			break
		}
		vals[i] = v
		first = false
	}
	if err == nil && len(p) > 0 {
		p = skipSpaces(p)
	}
	if first && err == nil {
		err = syscall.EINVAL
	}
	return len(p), err
}

// convert applies the handler's conversion and range check.
func convert(t *tunable, u uint64, neg bool) (int64, error) {
	var v int64
	switch {
	case t.kind == ulongVec:
		if neg || u > math.MaxInt64 {
			return 0, syscall.EINVAL
		}
		v = int64(u)
	case neg:
		if u > intMax+1 {
			return 0, syscall.EINVAL
		}
		v = -int64(u)
	default:
		if u > intMax {
			return 0, syscall.EINVAL
		}
		v = int64(u)
	}
	if v < t.min || v > t.max {
		return 0, syscall.EINVAL
	}
	return v, nil
}

// writeUint is do_proc_douintvec_w for one value: a sign is refused, and
// on success the whole write counts as consumed.
func writeUint(t *tunable, p []byte) (int, error) {
	q := skipSpaces(p)
	if len(q) == 0 {
		return 0, syscall.EINVAL
	}
	u, neg, _, err := getLong(q)
	if err != nil || neg || u > math.MaxUint32 || int64(u) < t.min || int64(u) > t.max {
		return 0, syscall.EINVAL
	}
	t.def = []int64{int64(u)}
	return len(p), nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func skipSpaces(p []byte) []byte {
	for len(p) > 0 && isSpace(p[0]) {
		p = p[1:]
	}
	return p
}

// tmpBufLen is Linux's TMPBUFLEN: a number and its sign must fit in 21
// bytes, so that a longer run of digits is refused rather than split.
const tmpBufLen = 22

// getLong is Linux's proc_get_long: an optional '-', then a number in C
// notation (0x hex, leading-0 octal, else decimal), which must be
// followed by the end of the data or by a space, tab or newline.
func getLong(p []byte) (val uint64, neg bool, n int, err error) {
	tmp := p[:min(len(p), tmpBufLen-1)]
	i := 0
	if tmp[0] == '-' && len(p) > 1 {
		neg, i = true, 1
	}
	if i >= len(tmp) || tmp[i] < '0' || tmp[i] > '9' {
		return 0, false, 0, syscall.EINVAL
	}
	val, digits, ok := parseInteger(tmp[i:])
	if !ok {
		return 0, false, 0, syscall.EINVAL
	}
	n = i + digits
	if n == tmpBufLen-1 {
		return 0, false, 0, syscall.EINVAL
	}
	if n < len(p) && p[n] != ' ' && p[n] != '\t' && p[n] != '\n' {
		return 0, false, 0, syscall.EINVAL
	}
	return val, neg, n, nil
}

// parseInteger is strtoul with base 0 as the kernel's strtoul_lenient
// does it: it reports the bytes used and fails on overflow.
func parseInteger(s []byte) (uint64, int, bool) {
	base, i := uint64(10), 0
	if s[0] == '0' {
		base = 8
		if len(s) > 2 && (s[1]|0x20) == 'x' && isHex(s[2]) {
			base, i = 16, 2
		}
	}
	var v uint64
	for ; i < len(s); i++ {
		d, ok := digit(s[i])
		if !ok || d >= base {
			break
		}
		if v > (math.MaxUint64-d)/base {
			return 0, 0, false
		}
		v = v*base + d
	}
	return v, i, true
}

func isHex(c byte) bool { _, ok := digit(c); return ok }

func digit(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return uint64(c|0x20-'a') + 10, true
	}
	return 0, false
}

// defaultFileMax is Linux's boot-time file-max: about a tenth of memory
// in kB, and never below NR_FILE.
func (s *Server) defaultFileMax(ctx context.Context) string {
	const nrFile = 8192
	n := uint64(nrFile)
	if src := s.src.system(); src != nil {
		if m, err := src.GetSystem(ctx, &procpb.GetSystemRequest{}); err == nil {
			n = max(n, m.GetMemTotal()>>10/10)
		}
	}
	return strconv.FormatUint(n, 10)
}
