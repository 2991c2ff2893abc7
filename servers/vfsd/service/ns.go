package service

import (
	"context"
	"syscall"
	"time"

	"aramid/lib/linux"
	"aramid/lib/linux/dac"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

func timespec(t time.Time) *vfspb.Timespec {
	if t.IsZero() {
		return nil
	}
	return &vfspb.Timespec{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}
}

func statProto(st vfs.Stat) *vfspb.Stat {
	return &vfspb.Stat{Dev: st.Dev, Ino: st.Ino, Mode: st.Mode, Nlink: st.Nlink, Uid: st.UID,
		Gid: st.GID, Rdev: st.Rdev, Size: int64(st.Size), Blksize: 4096, Blocks: int64(st.Blocks),
		Atime: timespec(st.Atime), Mtime: timespec(st.Mtime), Ctime: timespec(st.Ctime),
		Btime: timespec(st.Crtime)}
}

func (s *Session) Stat(_ context.Context, req *vfspb.StatRequest) (*vfspb.StatReply, error) {
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), req.GetFlags(),
		req.GetFlags()&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	st, err := s.v.Stat(p, l)
	if err != nil {
		return nil, err
	}
	return &vfspb.StatReply{Stat: statProto(st)}, nil
}

func (s *Session) Mkdir(_ context.Context, req *vfspb.MkdirRequest) (*vfspb.MkdirReply, error) {
	p, err := s.proc(req, req.GetDir())
	if err != nil {
		return nil, err
	}
	return &vfspb.MkdirReply{}, s.v.Mkdir(p, vfs.Loc{}, string(req.GetPath()), req.GetMode()&^req.GetUmask())
}

func (s *Session) Mknod(_ context.Context, req *vfspb.MknodRequest) (*vfspb.MknodReply, error) {
	p, err := s.proc(req, req.GetDir())
	if err != nil {
		return nil, err
	}
	mode := req.GetMode()&syscall.S_IFMT | req.GetMode()&07777&^req.GetUmask()
	return &vfspb.MknodReply{}, s.v.Mknod(p, vfs.Loc{}, string(req.GetPath()), mode, req.GetRdev())
}

func (s *Session) Unlink(_ context.Context, req *vfspb.UnlinkRequest) (*vfspb.UnlinkReply, error) {
	p, err := s.proc(req, req.GetDir())
	if err != nil {
		return nil, err
	}
	switch req.GetFlags() {
	case 0:
		err = s.v.Unlink(p, vfs.Loc{}, string(req.GetPath()))
	case linux.AT_REMOVEDIR:
		err = s.v.Rmdir(p, vfs.Loc{}, string(req.GetPath()))
	default:
		err = syscall.EINVAL
	}
	return &vfspb.UnlinkReply{}, err
}

func (s *Session) Rename(_ context.Context, req *vfspb.RenameRequest) (*vfspb.RenameReply, error) {
	p, err := s.proc(req, req.GetOldDir())
	if err != nil {
		return nil, err
	}
	q, err := s.proc(req, req.GetNewDir())
	if err != nil {
		return nil, err
	}
	return &vfspb.RenameReply{}, s.v.Rename(p, p.Cwd, string(req.GetOldPath()), q.Cwd,
		string(req.GetNewPath()), req.GetFlags())
}

func (s *Session) Link(_ context.Context, req *vfspb.LinkRequest) (*vfspb.LinkReply, error) {
	if req.GetFlags()&^(linux.AT_SYMLINK_FOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return nil, syscall.EINVAL
	}
	p, old, err := s.target(req, req.GetOldDir(), req.GetOldPath(), req.GetFlags(),
		req.GetFlags()&linux.AT_SYMLINK_FOLLOW != 0)
	if err != nil {
		return nil, err
	}
	q, err := s.proc(req, req.GetNewDir())
	if err != nil {
		return nil, err
	}
	return &vfspb.LinkReply{}, s.v.Link(p, old, q.Cwd, string(req.GetNewPath()))
}

func (s *Session) Symlink(_ context.Context, req *vfspb.SymlinkRequest) (*vfspb.SymlinkReply, error) {
	p, err := s.proc(req, req.GetDir())
	if err != nil {
		return nil, err
	}
	return &vfspb.SymlinkReply{}, s.v.Symlink(p, string(req.GetTarget()), vfs.Loc{}, string(req.GetPath()))
}

func (s *Session) Readlink(_ context.Context, req *vfspb.ReadlinkRequest) (*vfspb.ReadlinkReply, error) {
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), linux.AT_EMPTY_PATH, false)
	if err != nil {
		return nil, err
	}
	t, err := s.v.ReadlinkLoc(p, l)
	if err != nil {
		return nil, err
	}
	return &vfspb.ReadlinkReply{Target: []byte(t)}, nil
}

func (s *Session) Chmod(_ context.Context, req *vfspb.ChmodRequest) (*vfspb.ChmodReply, error) {
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), req.GetFlags(),
		req.GetFlags()&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return &vfspb.ChmodReply{}, s.v.Chmod(p, l, req.GetMode())
}

// id widens a chown id, keeping 0xffffffff as -1 ("unchanged").
func id(v uint32) int64 {
	if v == 0xffffffff {
		return -1
	}
	return int64(v)
}

func (s *Session) Chown(_ context.Context, req *vfspb.ChownRequest) (*vfspb.ChownReply, error) {
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), req.GetFlags(),
		req.GetFlags()&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return &vfspb.ChownReply{}, s.v.Chown(p, l, id(req.GetUid()), id(req.GetGid()))
}

func utime(ts *vfspb.Timespec) (vfs.Time, error) {
	switch {
	case ts == nil || ts.GetNsec() == linux.UTIME_NOW:
		return vfs.Time{Now: true}, nil
	case ts.GetNsec() == linux.UTIME_OMIT:
		return vfs.Time{Omit: true}, nil
	case ts.GetNsec() >= 1e9:
		return vfs.Time{}, syscall.EINVAL
	}
	return vfs.Time{T: time.Unix(ts.GetSec(), int64(ts.GetNsec()))}, nil
}

func (s *Session) Utimens(_ context.Context, req *vfspb.UtimensRequest) (*vfspb.UtimensReply, error) {
	a, err := utime(req.GetAtime())
	if err != nil {
		return nil, err
	}
	m, err := utime(req.GetMtime())
	if err != nil {
		return nil, err
	}
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), req.GetFlags(),
		req.GetFlags()&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return &vfspb.UtimensReply{}, s.v.Utimens(p, l, a, m)
}

func (s *Session) Truncate(_ context.Context, req *vfspb.TruncateRequest) (*vfspb.TruncateReply, error) {
	if req.GetFlags()&linux.AT_EMPTY_PATH != 0 && len(req.GetPath()) == 0 {
		// ftruncate: the file must be open for writing, whatever its mode.
		f, err := s.file(req.GetDir())
		if err != nil {
			return nil, err
		}
		return &vfspb.TruncateReply{}, f.Truncate(req.GetLength())
	}
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), 0, true)
	if err != nil {
		return nil, err
	}
	return &vfspb.TruncateReply{}, s.v.Truncate(p, l, req.GetLength())
}

func (s *Session) Statfs(_ context.Context, req *vfspb.StatfsRequest) (*vfspb.StatfsReply, error) {
	p, l, err := s.target(req, req.GetDir(), req.GetPath(), req.GetFlags(), true)
	if err != nil {
		return nil, err
	}
	st, err := s.v.Statfs(p, l)
	if err != nil {
		return nil, err
	}
	return &vfspb.StatfsReply{Type: st.Type, Bsize: uint64(st.BlockSize), Blocks: st.Blocks,
		Bfree: st.FreeBlocks, Bavail: st.AvailBlocks, Files: st.Files, Ffree: st.FreeFiles,
		Fsid: l.M.Dev, Namelen: uint64(st.NameLen), Frsize: uint64(st.BlockSize),
		Flags: l.M.Flags}, nil
}

// Mount attaches a new tmpfs; other filesystem types are mounted by
// vfsd's configuration, not by request. It needs CAP_SYS_ADMIN.
func (s *Session) Mount(_ context.Context, req *vfspb.MountRequest) (*vfspb.MountReply, error) {
	p, at, err := s.target(req, req.GetDir(), req.GetTarget(), 0, true)
	if err != nil {
		return nil, err
	}
	if !p.Cred.Caps.Has(dac.CapSysAdmin) {
		return nil, syscall.EPERM
	}
	if req.GetFstype() != "tmpfs" {
		return nil, syscall.ENODEV
	}
	_, err = s.v.Mount(at, tmpfs.New(tmpfs.Options{Mode: 01777}),
		req.GetFlags()&(vfs.ReadOnly|vfs.NoSuid|vfs.NoDev|vfs.NoExec))
	return &vfspb.MountReply{}, err
}

func (s *Session) Umount(_ context.Context, req *vfspb.UmountRequest) (*vfspb.UmountReply, error) {
	p, at, err := s.target(req, req.GetDir(), req.GetTarget(), 0, true)
	if err != nil {
		return nil, err
	}
	if !p.Cred.Caps.Has(dac.CapSysAdmin) {
		return nil, syscall.EPERM
	}
	return &vfspb.UmountReply{}, s.v.Unmount(at)
}
