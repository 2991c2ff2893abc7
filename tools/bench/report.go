package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
)

// A Row is one workload's outcome: each side's median in the workload's
// unit and its runs as printed (ns per operation), the ratio Aramid/Linux
// of the medians and the goal. Aramid, Ratio and Met are nil when the
// Aramid side printed no figure. An absolute workload (idle-memory) has
// no Linux side and no ratio: its goal bounds Aramid's figure.
type Row struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Unit       string   `json:"unit"`
	Aramid     *float64 `json:"aramid"`
	Linux      *float64 `json:"linux"`
	Ratio      *float64 `json:"ratio"`
	Goal       Goal     `json:"goal"`
	Met        *bool    `json:"met"`
	AramidRuns []Result `json:"aramid_runs"`
	LinuxRuns  []Result `json:"linux_runs"`
	AramidName string   `json:"aramid_bench"`
	LinuxName  string   `json:"linux_bench"`
}

// Results are what a boot printed, by BENCH name.
type Results map[string][]Result

// rows pairs each workload's figures: linux holds the results of each of
// the reference's commands, aramid those of each Aramid command line. A
// missing Linux figure is an error: the reference must always work.
func rows(ws []Workload, s sizing, system string, linux, aramid map[string]Results) ([]Row, error) {
	var rs []Row
	for _, w := range ws {
		cmdline, name := s.aramid(w, system)
		r := Row{Name: w.Key, Title: w.Title, Unit: w.unit(), Goal: w.Goal, AramidName: name, LinuxName: w.LinuxName,
			AramidRuns: aramid[cmdline][name], LinuxRuns: linux[linuxKey(w.cpus(), s.linuxCmd(w))][w.LinuxName]}
		if w.Absolute {
			if len(r.AramidRuns) > 0 {
				a := inUnit(r.Unit, Median(r.AramidRuns))
				met := w.Goal.Met(a)
				r.Aramid, r.Met = &a, &met
			}
			rs = append(rs, r)
			continue
		}
		if len(r.LinuxRuns) == 0 {
			return nil, fmt.Errorf("%s: the Linux reference printed no BENCH %s line", w.Key, w.LinuxName)
		}
		l := inUnit(r.Unit, Median(r.LinuxRuns))
		r.Linux = &l
		if len(r.AramidRuns) > 0 {
			a := inUnit(r.Unit, Median(r.AramidRuns))
			ratio := a / l
			met := w.Goal.Met(ratio)
			r.Aramid, r.Ratio, r.Met = &a, &ratio, &met
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// report prints the table for people, with each side's median, runs and
// range, then one BENCH line per workload for programs:
//
//	BENCH name=<workload> aramid=<value> linux=<value> unit=<unit> ratio=<aramid/linux> goal=<goal>
//
// where aramid= and ratio= are "-" when Aramid printed no figure; an
// absolute workload's line is
//
//	BENCH name=<workload> value=<value> unit=<unit> goal=<goal>
func report(out io.Writer, rs []Row) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nworkload\tunit\tLinux\truns, range\tAramid\truns, range\tAramid/Linux\tgoal")
	for _, r := range rs {
		af, lf := "not available\t", "-\t"
		if r.Aramid != nil {
			af = figure(r.Unit, r.AramidRuns)
		}
		if r.Linux != nil {
			lf = figure(r.Unit, r.LinuxRuns)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Title, r.Unit, lf, af, optional(r.Ratio, 2), r.Goal)
	}
	tw.Flush()
	for _, r := range rs {
		if r.LinuxName == "" {
			fmt.Fprintf(out, "  %s: Aramid %s, absolute\n", r.Title, r.AramidName)
			continue
		}
		fmt.Fprintf(out, "  %s: Aramid %s vs Linux %s\n", r.Title, r.AramidName, r.LinuxName)
	}
	for _, r := range rs {
		if r.Aramid == nil {
			fmt.Fprintf(out, "Aramid side: not available yet (printed no BENCH %s line)\n", r.AramidName)
		}
	}
	fmt.Fprintln(out)
	for _, r := range rs {
		if r.Linux == nil {
			fmt.Fprintf(out, "BENCH name=%s value=%s unit=%s goal=%s\n", r.Name, optional(r.Aramid, 1), r.Unit, r.Goal)
			continue
		}
		fmt.Fprintf(out, "BENCH name=%s aramid=%s linux=%.1f unit=%s ratio=%s goal=%s\n",
			r.Name, optional(r.Aramid, 1), *r.Linux, r.Unit, optional(r.Ratio, 2), r.Goal)
	}
}

// optional formats *v with prec decimals, or "-" for nil.
func optional(v *float64, prec int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// figure is a median in unit, then the sample count and range, as two
// columns.
func figure(unit string, rs []Result) string {
	lo, hi := Spread(rs)
	lo, hi = inUnit(unit, lo), inUnit(unit, hi)
	return fmt.Sprintf("%.1f\t%d, %.0f-%.0f", inUnit(unit, Median(rs)), len(rs), min(lo, hi), max(lo, hi))
}

// A Record is results.json: when and where the figures were measured, and
// the rows.
type Record struct {
	Date      string `json:"date"`
	Machine   string `json:"machine"`
	QEMU      string `json:"qemu"`
	Linux     string `json:"linux"`
	Workloads []Row  `json:"workloads"`
}

// writeJSON writes rec indented, with goals as they print ("<=15", not
// "\u003c=15").
func writeJSON(path string, rec Record) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
