package service

import (
	"context"
	"io"
	"syscall"

	"aramid/lib/linux"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/vfs"
)

// readInto reads with read into the request's region or an inline buffer.
// io.EOF with nothing read is a read of 0 bytes, as pread(2) at the end
// of a file, not an error (the ext4 engine reports the end that way).
func (s *Session) readInto(dest *rpc.Region, length uint64, read func([]byte) (int, error)) (*vfspb.ReadReply, error) {
	if dest == nil {
		buf := make([]byte, min(length, maxInline))
		n, err := read(buf)
		if err != nil && n == 0 && err != io.EOF {
			return nil, err
		}
		return &vfspb.ReadReply{Count: uint64(n), Data: buf[:n]}, nil
	}
	mem, off, n, err := s.region(dest)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, min(uint64(n), length))
	got, err := read(buf)
	if err != nil && got == 0 && err != io.EOF {
		return nil, err
	}
	if _, err := mem.WriteAt(buf[:got], off); err != nil {
		return nil, syscall.EFAULT
	}
	return &vfspb.ReadReply{Count: uint64(got)}, nil
}

// payload returns a write's bytes, inline or from a registered region.
func (s *Session) payload(d *rpc.Data) ([]byte, error) {
	r := d.GetRegion()
	if r == nil {
		return d.GetInline(), nil
	}
	mem, off, n, err := s.region(r)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := mem.ReadAt(buf, off); err != nil {
		return nil, syscall.EFAULT
	}
	return buf, nil
}

func (s *Session) Read(_ context.Context, req *vfspb.ReadRequest) (*vfspb.ReadReply, error) {
	f, err := s.file(req.GetFile())
	if err != nil {
		return nil, err
	}
	return s.readInto(req.GetDest(), req.GetLength(), f.Read)
}

func (s *Session) Pread(_ context.Context, req *vfspb.PreadRequest) (*vfspb.ReadReply, error) {
	f, err := s.file(req.GetFile())
	if err != nil {
		return nil, err
	}
	return s.readInto(req.GetDest(), req.GetLength(), func(b []byte) (int, error) {
		return f.Pread(b, req.GetOffset())
	})
}

func (s *Session) Write(_ context.Context, req *vfspb.WriteRequest) (*vfspb.WriteReply, error) {
	return s.write(req.GetFile(), req.GetData(), (*vfs.File).Write)
}

func (s *Session) Pwrite(_ context.Context, req *vfspb.PwriteRequest) (*vfspb.WriteReply, error) {
	return s.write(req.GetFile(), req.GetData(), func(f *vfs.File, b []byte) (int, error) {
		return f.Pwrite(b, req.GetOffset())
	})
}

// write fetches a write's payload and hands it to w; a short write
// reports its count, not its error, as write(2) does.
func (s *Session) write(id uint64, d *rpc.Data, w func(*vfs.File, []byte) (int, error)) (*vfspb.WriteReply, error) {
	f, err := s.file(id)
	if err != nil {
		return nil, err
	}
	b, err := s.payload(d)
	if err != nil {
		return nil, err
	}
	n, err := w(f, b)
	if err != nil && n == 0 {
		return nil, err
	}
	return &vfspb.WriteReply{Count: uint64(n)}, nil
}

func (s *Session) Seek(_ context.Context, req *vfspb.SeekRequest) (*vfspb.SeekReply, error) {
	f, err := s.file(req.GetFile())
	if err != nil {
		return nil, err
	}
	off, err := f.Seek(req.GetOffset(), int(req.GetWhence()))
	if err != nil {
		return nil, err
	}
	return &vfspb.SeekReply{Offset: off}, nil
}

// Getdents returns entries that fit in req.Size bytes of linux_dirent64
// records, EINVAL if not even the first fits, as getdents64 does.
func (s *Session) Getdents(_ context.Context, req *vfspb.GetdentsRequest) (*vfspb.GetdentsReply, error) {
	f, err := s.file(req.GetFile())
	if err != nil {
		return nil, err
	}
	// Ask for as many entries as could fit; then give the surplus back
	// by seeking to the first entry that does not fit.
	size := min(req.GetSize(), maxInline)
	before, err := f.Seek(0, 1)
	if err != nil {
		return nil, err
	}
	ents, err := f.Getdents(int(size)/linux.Dirent64Size(1) + 1)
	if err != nil {
		return nil, err
	}
	rep := &vfspb.GetdentsReply{}
	used := uint32(0)
	for i, e := range ents {
		sz := uint32(linux.Dirent64Size(len(e.Name)))
		if used+sz > size {
			back := before
			if i > 0 {
				back = int64(ents[i-1].Next)
			}
			if _, err := f.Seek(back, 0); err != nil {
				return nil, err
			}
			if i == 0 {
				return nil, syscall.EINVAL
			}
			break
		}
		used += sz
		rep.Entries = append(rep.Entries, &vfspb.Dirent{Ino: e.Ino, Off: int64(e.Next),
			Type: uint32(e.Type), Name: []byte(e.Name)})
	}
	return rep, nil
}

func (s *Session) Fsync(_ context.Context, req *vfspb.FsyncRequest) (*vfspb.FsyncReply, error) {
	f, err := s.file(req.GetFile())
	if err != nil {
		return nil, err
	}
	return &vfspb.FsyncReply{}, f.Sync()
}
