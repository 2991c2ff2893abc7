package vfspb_test

import (
	"context"
	"encoding/binary"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

// The benchmarks weigh protobuf against a hand-written fixed layout for
// the hottest file call: a 4 KiB read, with the data either in a shared
// buffer (the reply carries only the count) or inline in the reply. The
// figures are recorded in docs/protocols.md.

const readSize = 4096

// fixedRead is the fixed layout: a request of five little-endian fields
// and a reply of errno, count and inline data. Decoding aliases the frame
// instead of copying, as a validated in-place layout (FIDL) can.
type fixedRead struct {
	file, length       uint64
	buffer             uint32
	regionOff, regionN uint64
}

const fixedReadSize = 4 + 8 + 8 + 4 + 8 + 8

func (r *fixedRead) encode(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, vfspb.VfsReadOrdinal)
	b = binary.LittleEndian.AppendUint64(b, r.file)
	b = binary.LittleEndian.AppendUint64(b, r.length)
	b = binary.LittleEndian.AppendUint32(b, r.buffer)
	b = binary.LittleEndian.AppendUint64(b, r.regionOff)
	return binary.LittleEndian.AppendUint64(b, r.regionN)
}

func (r *fixedRead) decode(b []byte) error {
	if len(b) != fixedReadSize || binary.LittleEndian.Uint32(b) != vfspb.VfsReadOrdinal {
		return syscall.EBADMSG
	}
	r.file = binary.LittleEndian.Uint64(b[4:])
	r.length = binary.LittleEndian.Uint64(b[12:])
	r.buffer = binary.LittleEndian.Uint32(b[20:])
	r.regionOff = binary.LittleEndian.Uint64(b[24:])
	r.regionN = binary.LittleEndian.Uint64(b[32:])
	return nil
}

func encodeFixedReply(b []byte, count uint64, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, count)
	return append(b, data...)
}

func decodeFixedReply(b []byte) (count uint64, data []byte, err error) {
	if len(b) < 12 || binary.LittleEndian.Uint32(b) != 0 {
		return 0, nil, syscall.EBADMSG
	}
	count = binary.LittleEndian.Uint64(b[4:])
	if data = b[12:]; len(data) != 0 && uint64(len(data)) != count {
		return 0, nil, syscall.EBADMSG
	}
	return count, data, nil
}

func BenchmarkReadFixed(b *testing.B) {
	for _, inline := range []bool{false, true} {
		b.Run(mode(inline), func(b *testing.B) {
			req := fixedRead{file: 42, length: readSize}
			if !inline {
				req.buffer, req.regionN = 1, readSize
			}
			payload := replyPayload(inline)
			var in fixedRead
			buf := make([]byte, 0, 64)
			rbuf := make([]byte, 0, 64+readSize)
			b.ReportAllocs()
			for b.Loop() {
				buf = req.encode(buf[:0])
				if err := in.decode(buf); err != nil {
					b.Fatal(err)
				}
				rbuf = encodeFixedReply(rbuf[:0], in.length, payload)
				if n, _, err := decodeFixedReply(rbuf); err != nil || n != readSize {
					b.Fatal(n, err)
				}
			}
		})
	}
}

func BenchmarkReadProtobuf(b *testing.B) {
	for _, inline := range []bool{false, true} {
		b.Run(mode(inline), func(b *testing.B) {
			req := &vfspb.ReadRequest{File: 42, Length: readSize}
			if !inline {
				req.Dest = &rpc.Region{Buffer: 1, Length: readSize}
			}
			payload := replyPayload(inline)
			in, out, got := new(vfspb.ReadRequest), new(vfspb.ReadReply), new(vfspb.ReadReply)
			buf := make([]byte, 0, 64)
			rbuf := make([]byte, 0, 64+readSize)
			opts := proto.MarshalOptions{}
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = opts.MarshalAppend(buf[:0], req)
				if err := proto.Unmarshal(buf, in); err != nil {
					b.Fatal(err)
				}
				out.Count, out.Data = in.Length, payload
				rbuf, _ = opts.MarshalAppend(rbuf[:0], out)
				if err := proto.Unmarshal(rbuf, got); err != nil || got.Count != readSize {
					b.Fatal(got, err)
				}
			}
		})
	}
}

// BenchmarkReadCall runs the whole generated path without a transport:
// client encoding with its frame header, dispatch, server decoding, reply
// encoding and client decoding.
func BenchmarkReadCall(b *testing.B) {
	for _, inline := range []bool{false, true} {
		b.Run(mode(inline), func(b *testing.B) {
			c := vfspb.NewVfsClient(loopback{vfspb.NewVfsDispatcher(readServer{payload: replyPayload(inline)})})
			req := &vfspb.ReadRequest{File: 42, Length: readSize}
			if !inline {
				req.Dest = &rpc.Region{Buffer: 1, Length: readSize}
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if rep, err := c.Read(ctx, req); err != nil || rep.Count != readSize {
					b.Fatal(rep, err)
				}
			}
		})
	}
}

func mode(inline bool) string {
	if inline {
		return "inline4k"
	}
	return "shared"
}

func replyPayload(inline bool) []byte {
	if inline {
		return make([]byte, readSize)
	}
	return nil
}

type readServer struct {
	vfspb.UnimplementedVfsServer
	payload []byte
}

func (s readServer) Read(_ context.Context, in *vfspb.ReadRequest) (*vfspb.ReadReply, error) {
	return &vfspb.ReadReply{Count: in.Length, Data: s.payload}, nil
}

// loopback is a Transport that calls a dispatcher directly.
type loopback struct{ d rpc.Dispatcher }

func (l loopback) Call(ctx context.Context, req rpc.Message) (rpc.Message, error) {
	rep, _ := l.d.Dispatch(ctx, req)
	return rep, nil
}

func (loopback) Release([]uint32) {}
