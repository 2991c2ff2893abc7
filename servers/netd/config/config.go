// Package config is netd's static network configuration: the addresses,
// gateways and name servers init gives it on the command line.
package config

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Config is netd's static network configuration, given by init on the
// command line. The zero Interface list means loopback only.
type Config struct {
	// Addrs are the external interface's addresses with their prefixes.
	Addrs []netip.Prefix
	// Gateways are the default routers, at most one per IP version.
	Gateways []netip.Addr
	// DNS lists the name servers, which netd only reports: resolv.conf
	// is written from it by whoever builds the root file system.
	DNS []netip.Addr
}

// QEMU user networking (slirp) puts the guest at 10.0.2.15/24 behind a
// router at 10.0.2.2 with a DNS forwarder at 10.0.2.3, and uses fec0::/64
// for IPv6 with the same host numbers.
const (
	DefaultAddrs    = "10.0.2.15/24,fec0::15/64"
	DefaultGateways = "10.0.2.2,fec0::2"
	DefaultDNS      = "10.0.2.3"
)

// ParseArgs reads the configuration from init's arguments:
//
//	-addr 10.0.2.15/24,fec0::15/64 -gw 10.0.2.2,fec0::2 -dns 10.0.2.3
//
// Each flag takes a comma-separated list and defaults to QEMU's user-net
// values; an empty value means none.
func ParseArgs(args []string) (Config, error) {
	fs := flag.NewFlagSet("netd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addrs := fs.String("addr", DefaultAddrs, "interface addresses with prefix lengths")
	gws := fs.String("gw", DefaultGateways, "default gateways")
	dns := fs.String("dns", DefaultDNS, "name servers")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("netd: unexpected argument %q", fs.Arg(0))
	}
	var c Config
	var err error
	if c.Addrs, err = parseList(*addrs, netip.ParsePrefix); err != nil {
		return Config{}, fmt.Errorf("netd: -addr: %w", err)
	}
	if c.Gateways, err = parseList(*gws, netip.ParseAddr); err != nil {
		return Config{}, fmt.Errorf("netd: -gw: %w", err)
	}
	if c.DNS, err = parseList(*dns, netip.ParseAddr); err != nil {
		return Config{}, fmt.Errorf("netd: -dns: %w", err)
	}
	return c, c.Check()
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Check rejects a configuration the stack would misroute: a gateway must
// be on a configured subnet, and there is one per IP version.
func (c Config) Check() error {
	seen := map[bool]bool{}
	for _, gw := range c.Gateways {
		if seen[gw.Is4()] {
			return fmt.Errorf("netd: two IPv%d gateways", version(gw))
		}
		seen[gw.Is4()] = true
		onLink := false
		for _, p := range c.Addrs {
			onLink = onLink || p.Masked().Contains(gw)
		}
		if !onLink {
			return fmt.Errorf("netd: gateway %v is on no configured subnet", gw)
		}
	}
	return nil
}

func version(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}
