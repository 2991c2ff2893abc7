package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgsDefaults(t *testing.T) {
	c, err := ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addrs:    []netip.Prefix{netip.MustParsePrefix("10.0.2.15/24"), netip.MustParsePrefix("fec0::15/64")},
		Gateways: []netip.Addr{netip.MustParseAddr("10.0.2.2"), netip.MustParseAddr("fec0::2")},
		DNS:      []netip.Addr{netip.MustParseAddr("10.0.2.3")},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ParseArgs(nil) = %+v, want QEMU user networking %+v", c, want)
	}
}

// Lists are comma-separated with spaces and empty items ignored; an empty
// value means none.
func TestParseArgsLists(t *testing.T) {
	c, err := ParseArgs([]string{"-addr", " 192.168.1.5/24 ,, 2001:db8::5/64,", "-gw", "2001:db8::1", "-dns", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addrs:    []netip.Prefix{netip.MustParsePrefix("192.168.1.5/24"), netip.MustParsePrefix("2001:db8::5/64")},
		Gateways: []netip.Addr{netip.MustParseAddr("2001:db8::1")},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ParseArgs = %+v, want %+v", c, want)
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-mtu", "9000"}, "-mtu"},
		{[]string{"stray"}, `unexpected argument "stray"`},
		{[]string{"-addr", "10.0.2.15"}, "-addr"},
		{[]string{"-gw", "10.0.2.256"}, "-gw"},
		{[]string{"-dns", "nameserver"}, "-dns"},
		{[]string{"-gw", "10.0.2.2,10.0.2.3"}, "two IPv4 gateways"},
		{[]string{"-gw", "fec0::2,fec0::3"}, "two IPv6 gateways"},
		{[]string{"-gw", "10.0.3.2"}, "gateway 10.0.3.2 is on no configured subnet"},
		{[]string{"-addr", "10.0.2.15/24", "-gw", "fec0::2"}, "gateway fec0::2 is on no configured subnet"},
	} {
		cfg, err := ParseArgs(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseArgs(%q) = %+v, %v; want an error with %q", c.args, cfg, err, c.want)
		}
	}
}

// A gateway on any configured subnet will do, not only the first one's,
// and the prefix counts, not only the address.
func TestCheckOnLink(t *testing.T) {
	c := Config{
		Addrs:    []netip.Prefix{netip.MustParsePrefix("fec0::15/64"), netip.MustParsePrefix("10.0.2.15/16"), netip.MustParsePrefix("192.168.7.7/24")},
		Gateways: []netip.Addr{netip.MustParseAddr("10.0.200.1"), netip.MustParseAddr("fec0::ffff")},
	}
	if err := c.Check(); err != nil {
		t.Errorf("Check(%+v) = %v, want nil", c, err)
	}
	if err := (Config{}).Check(); err != nil {
		t.Errorf("Check of the loopback-only config = %v, want nil", err)
	}
}
