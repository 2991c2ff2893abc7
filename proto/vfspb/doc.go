// Package vfspb is the vfs protocol (vfs.proto): the file system calls
// that linuxd forwards to vfsd.
//
// Paths are bytes, since Linux names need not be UTF-8, and resolve from
// dir, an open directory's file id, or from the root when dir is 0, as
// the *at system calls do. Flags and modes are Linux's values
// (lib/linux). Every call that checks permissions carries the caller's
// credential, pid and root. Bulk data travels in a registered shared
// memory buffer when the caller has one, and inline otherwise. Errors
// are the errnos the system call would return.
//
// The generated code gives VfsClient, the VfsServer interface that vfsd
// implements and NewVfsDispatcher. See docs/vfsd.md and docs/protocols.md.
package vfspb
