package main

import (
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
	linux := map[string][]Result{
		"pipe-roundtrip": {{"pipe-roundtrip", 100, 10}, {"pipe-roundtrip", 300, 10}, {"pipe-roundtrip", 200, 10}},
		"getpid":         {{"getpid", 50, 10}},
	}
	aramid := map[string][]Result{"ipc-roundtrip": {{"ipc-roundtrip", 50, 10}}}
	var out strings.Builder
	if err := report(&out, Workloads, linux, aramid); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"200.0", "3, 100-300", "0.25", "Aramid side: not available yet (kernel printed no BENCH getpid line)"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "not available yet (kernel printed no BENCH ipc-roundtrip") {
		t.Errorf("report calls a measured workload missing:\n%s", s)
	}
	if err := report(&out, Workloads, map[string][]Result{}, aramid); err == nil {
		t.Error("a missing Linux figure is not an error")
	}
}
