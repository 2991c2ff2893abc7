package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Result is one measurement that a guest printed on its console as
//
//	BENCH <name> ns=<ns per operation> n=<operations>
//
// Both sides use this one format: the Aramid kernel (or a process it runs)
// and linuxbench in the Linux reference. Further key=value fields are
// allowed and ignored, so a workload may print more than the harness reads.
type Result struct {
	Name string  `json:"-"`
	NS   float64 `json:"ns"`
	N    int64   `json:"n"`
}

func (r Result) String() string {
	return fmt.Sprintf("BENCH %s ns=%s n=%d", r.Name, strconv.FormatFloat(r.NS, 'g', -1, 64), r.N)
}

// ParseLine reads a BENCH line. It reports ok=false for any other line, and
// an error for a line that starts with BENCH but is malformed, so a typo in
// a workload is reported rather than silently ignored.
func ParseLine(line string) (r Result, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "BENCH" {
		return Result{}, false, nil
	}
	if len(f) < 2 || !validName(f[1]) {
		return Result{}, true, fmt.Errorf("BENCH line without a workload name: %q", line)
	}
	r.Name = f[1]
	seen := map[string]bool{}
	for _, kv := range f[2:] {
		k, v, found := strings.Cut(kv, "=")
		if !found || k == "" || seen[k] {
			return Result{}, true, fmt.Errorf("BENCH %s: bad or repeated field %q", r.Name, kv)
		}
		seen[k] = true
		switch k {
		case "ns":
			r.NS, err = strconv.ParseFloat(v, 64)
			if err != nil || r.NS <= 0 || math.IsInf(r.NS, 0) || math.IsNaN(r.NS) {
				return Result{}, true, fmt.Errorf("BENCH %s: ns=%q is not a positive number", r.Name, v)
			}
		case "n":
			r.N, err = strconv.ParseInt(v, 10, 64)
			if err != nil || r.N <= 0 {
				return Result{}, true, fmt.Errorf("BENCH %s: n=%q is not a positive count", r.Name, v)
			}
		}
	}
	if !seen["ns"] || !seen["n"] {
		return Result{}, true, fmt.Errorf("BENCH %s: want both ns= and n= in %q", r.Name, line)
	}
	return r, true, nil
}

// validName accepts lower-case letters, digits, '-', '_' and '.'.
func validName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != ""
}

// ParseConsole collects the BENCH results of a console transcript by name,
// in the order they appeared, and the errors of malformed BENCH lines.
func ParseConsole(out string) (map[string][]Result, []error) {
	res := map[string][]Result{}
	var errs []error
	for _, l := range strings.Split(out, "\n") {
		r, ok, err := ParseLine(l)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			res[r.Name] = append(res[r.Name], r)
		}
	}
	return res, errs
}

// Median is the median ns of rs; rs must not be empty. The median, not the
// mean, because a guest under TCG on a shared host sees rare long stalls.
func Median(rs []Result) float64 {
	ns := make([]float64, len(rs))
	for i, r := range rs {
		ns[i] = r.NS
	}
	sort.Float64s(ns)
	m := len(ns) / 2
	if len(ns)%2 == 1 {
		return ns[m]
	}
	return (ns[m-1] + ns[m]) / 2
}

// Spread is the smallest and largest ns of rs; rs must not be empty.
func Spread(rs []Result) (lo, hi float64) {
	lo, hi = rs[0].NS, rs[0].NS
	for _, r := range rs[1:] {
		lo, hi = math.Min(lo, r.NS), math.Max(hi, r.NS)
	}
	return lo, hi
}
