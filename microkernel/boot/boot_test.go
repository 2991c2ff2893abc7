package boot

import "testing"

func TestHasWord(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"aramid.smp", true},
		{"aramid.exit aramid.smp init", true},
		{"aramid.exit aramid.smp", true},
		{"aramid.smpx", false},
		{"xaramid.smp", false},
		{"aramid.sm", false},
		{"", false},
	} {
		var cmd [256]byte
		copy(cmd[:], c.line)
		if got := hasWord(&cmd, "aramid.smp"); got != c.want {
			t.Errorf("hasWord(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
