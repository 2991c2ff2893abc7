package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	good := []struct {
		line string
		want Result
	}{
		{"BENCH ipc-roundtrip ns=252737.2 n=20000", Result{"ipc-roundtrip", 252737.2, 20000}},
		{"BENCH pipe-roundtrip ns=31.5 n=1\r", Result{"pipe-roundtrip", 31.5, 1}},
		{"  BENCH getpid n=7 ns=1e3 cycles=12", Result{"getpid", 1000, 7}},
	}
	for _, c := range good {
		r, ok, err := ParseLine(c.line)
		if !ok || err != nil || r != c.want {
			t.Errorf("ParseLine(%q) = %+v, %v, %v; want %+v", c.line, r, ok, err, c.want)
		}
	}
	for _, line := range []string{"", "kernel: started init", "BENCHMARK x ns=1 n=1", "[ 1.0] BENCH x ns=1 n=1"} {
		if _, ok, err := ParseLine(line); ok || err != nil {
			t.Errorf("ParseLine(%q) = %v, %v; want not a BENCH line", line, ok, err)
		}
	}
	for _, line := range []string{
		"BENCH",
		"BENCH ns=1 n=1",
		"BENCH Big ns=1 n=1",
		"BENCH x ns=1",
		"BENCH x n=1",
		"BENCH x ns=1 n=1 ns=2",
		"BENCH x ns=0 n=1",
		"BENCH x ns=-3 n=1",
		"BENCH x ns=NaN n=1",
		"BENCH x ns=Inf n=1",
		"BENCH x ns=1 n=0",
		"BENCH x ns=1 n=1.5",
		"BENCH x ns=1 n=1 junk",
		"BENCH x ns=1 n=1 =3",
	} {
		if _, ok, err := ParseLine(line); !ok || err == nil {
			t.Errorf("ParseLine(%q) = %v, %v; want an error", line, ok, err)
		}
	}
}

func TestParseConsole(t *testing.T) {
	out := "Aramid microkernel\nBENCH getpid ns=3809.7 n=20000\nBENCH ipc-roundtrip ns=10 n=5\r\n" +
		"BENCH ipc-roundtrip ns=30 n=5\nBENCH ipc-roundtrip ns=oops n=5\nkernel: exited normally\n"
	res, errs := ParseConsole(out)
	if len(errs) != 1 {
		t.Errorf("errors %v, want one", errs)
	}
	if len(res["getpid"]) != 1 || len(res["ipc-roundtrip"]) != 2 || len(res) != 2 {
		t.Fatalf("results %v", res)
	}
	if m := Median(res["ipc-roundtrip"]); m != 20 {
		t.Errorf("median %v, want 20", m)
	}
}

func TestMedianSpread(t *testing.T) {
	rs := []Result{{NS: 5}, {NS: 1}, {NS: 900}, {NS: 3}, {NS: 4}}
	if m := Median(rs); m != 4 {
		t.Errorf("median %v, want 4", m)
	}
	if lo, hi := Spread(rs); lo != 1 || hi != 900 {
		t.Errorf("spread %v..%v, want 1..900", lo, hi)
	}
}

// FuzzParseLine checks that no console line panics the parser and that
// every accepted line survives a round trip through String.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"BENCH ipc-roundtrip ns=252737.2 n=20000", "BENCH x ns=1e300 n=9223372036854775807", "BENCH", "hello"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok, err := ParseLine(line)
		if !ok || err != nil {
			return
		}
		r2, ok, err := ParseLine(r.String())
		if !ok || err != nil || r2 != r {
			t.Fatalf("%q parsed as %+v, which reparses as %+v, %v, %v", line, r, r2, ok, err)
		}
	})
}

func TestReport(t *testing.T) {
	ws, err := selectWorkloads("ipc,getpid,getppid-forwarded")
	if err != nil {
		t.Fatal(err)
	}
	s := sizing{runs: 1}
	linux := map[string]Results{
		s.linuxCmd(ws[0]): {"pipe-roundtrip": {{"pipe-roundtrip", 100, 10}, {"pipe-roundtrip", 300, 10}, {"pipe-roundtrip", 200, 10}}},
		s.linuxCmd(ws[1]): {"getpid": {{"getpid", 50, 10}}},
		s.linuxCmd(ws[2]): {"getppid": {{"getppid", 400, 10}}},
	}
	fwd, _ := s.aramid(ws[2], "sys")
	aramid := map[string]Results{
		ws[0].AramidAppend: {"ipc-roundtrip": {{"ipc-roundtrip", 50, 10}}},
		fwd:                {"getppid": {{"getppid", 8000, 10}}},
	}
	rs, err := rows(ws, s, "sys", linux, aramid)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	report(&out, rs)
	for _, want := range []string{
		"200.0", "3, 100-300", "0.25",
		"Aramid side: not available yet (printed no BENCH getpid line)",
		"\nBENCH name=ipc aramid=50.0 linux=200.0 unit=ns/op ratio=0.25 goal=<=0.5\n",
		"\nBENCH name=getpid aramid=- linux=50.0 unit=ns/op ratio=- goal=<=1.5\n",
		"\nBENCH name=getppid-forwarded aramid=8000.0 linux=400.0 unit=ns/op ratio=20.00 goal=<=15\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "printed no BENCH ipc-roundtrip") {
		t.Errorf("report calls a measured workload missing:\n%s", out.String())
	}
	if *rs[0].Met != true || *rs[2].Met != false || rs[1].Met != nil {
		t.Errorf("goals met: %v %v %v", rs[0].Met, rs[1].Met, rs[2].Met)
	}
	if _, err := rows(ws, s, "sys", map[string]Results{}, aramid); err == nil {
		t.Error("a missing Linux figure is not an error")
	}
}

func TestWriteJSON(t *testing.T) {
	ratio, met := 0.25, true
	aramid, linux, linux2 := 50.0, 200.0, 50.0
	rec := Record{Date: "2026-12-06T09:00:00Z", Workloads: []Row{
		{Name: "ipc", Unit: nsPerOp, Aramid: &aramid, Linux: &linux, Ratio: &ratio, Met: &met, Goal: Goal{"<=", 0.5},
			LinuxRuns: []Result{{"pipe-roundtrip", 200, 10}}},
		{Name: "getpid", Unit: nsPerOp, Linux: &linux2, Goal: Goal{"<=", 1.5}},
	}}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := writeJSON(path, rec); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"goal": "<=0.5"`) {
		t.Errorf("results.json escapes the goal: %s", b)
	}
	var back struct {
		Date      string
		Workloads []map[string]any
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	w := back.Workloads
	if back.Date != rec.Date || len(w) != 2 || w[0]["goal"] != "<=0.5" || w[0]["ratio"] != 0.25 || w[0]["met"] != true ||
		w[1]["aramid"] != nil || w[1]["ratio"] != nil {
		t.Errorf("results.json reads back as %s", b)
	}
	if runs, _ := w[0]["linux_runs"].([]any); len(runs) != 1 || runs[0].(map[string]any)["ns"] != 200.0 {
		t.Errorf("linux_runs: %s", b)
	}
}

// TestReportThroughput checks that a device workload's figures are MiB/s
// (its operation is one MiB) and its ratio is Aramid's throughput over
// Linux's.
func TestReportThroughput(t *testing.T) {
	ws, err := selectWorkloads("disk-read")
	if err != nil {
		t.Fatal(err)
	}
	s := sizing{runs: 1}
	cmdline, _ := s.aramid(ws[0], "sys")
	linux := map[string]Results{s.linuxCmd(ws[0]): {"disk-read": {{"disk-read", 5e6, 64}, {"disk-read", 4e6, 64}, {"disk-read", 2e7, 64}}}}
	aramid := map[string]Results{cmdline: {"disk-read": {{"disk-read", 1e7, 64}}}}
	rs, err := rows(ws, s, "sys", linux, aramid)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	report(&out, rs)
	for _, want := range []string{
		"MiB/s  200.0  3, 50-250",
		"\nBENCH name=disk-read aramid=100.0 linux=200.0 unit=MiB/s ratio=0.50 goal=>=0.8\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if *rs[0].Met {
		t.Error("half Linux's throughput meets a goal of 0.8")
	}
}

// TestReportAbsolute checks that idle-memory, which has no Linux side, is
// reported in MiB against its goal, with a BENCH line of its own form.
func TestReportAbsolute(t *testing.T) {
	ws, err := selectWorkloads(idleMemory)
	if err != nil {
		t.Fatal(err)
	}
	s := sizing{runs: 1}
	cmdline, name := s.aramid(ws[0], "sys")
	if cmdline != "sys linuxd,/bin/sh!!" || name != idleMemory {
		t.Errorf("idle-memory boots %q and reads %q", cmdline, name)
	}
	aramid := map[string]Results{cmdline: {idleMemory: {{idleMemory, 48 << 20, 1}}}}
	rs, err := rows(ws, s, "sys", map[string]Results{}, aramid)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	report(&out, rs)
	for _, want := range []string{"\nBENCH name=idle-memory value=48.0 unit=MiB goal=<=64\n", "Aramid idle-memory, absolute\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if rs[0].Ratio != nil || rs[0].Met == nil || !*rs[0].Met {
		t.Errorf("48 MiB against <=64: ratio %v, met %v", rs[0].Ratio, rs[0].Met)
	}
	var svg strings.Builder
	if err := writeChart(&svg, rs); err != nil || !strings.Contains(svg.String(), "48.0 MiB (goal &lt;=64)") {
		t.Errorf("chart: %v\n%s", err, svg.String())
	}
}

func TestMemInUse(t *testing.T) {
	kib, err := memInUse("RAM 511 MiB, free 365 MiB; in use 149700 KiB; Go heap 0.1 MiB, 0 GC cycles")
	if err != nil || kib != 149700 {
		t.Errorf("got %d, %v", kib, err)
	}
	if _, err := memInUse("RAM 511 MiB, free 365 MiB"); err == nil {
		t.Error("a line without the figure was read")
	}
}
