// Package procd is the /proc server. vfsd forwards every lookup, readdir,
// read, readlink and write below its /proc mount to procd, which renders
// each file in the exact byte layout of Linux 6.1 from data it pulls, at
// read time, from the servers that own it: processes from linuxd, sockets
// from netd, memory, CPU and time from the kernel, and the mount table from
// vfsd. procd owns only the /proc/sys tunables, whose written values it
// keeps. See docs/procd.md for the design and the list of files.
package procd
