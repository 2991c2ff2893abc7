package rpc_test

import (
	"context"
	"slices"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	"aramid/proto/examplepb"
	"aramid/proto/rpc"
	"aramid/proto/rpc/internal/carrierpb"
)

// transport answers every Call with reply (or err) and records what it
// was sent and what it was asked to release.
type transport struct {
	reply    rpc.Message
	err      error
	sent     []rpc.Message
	released []uint32
}

func (t *transport) Call(_ context.Context, req rpc.Message) (rpc.Message, error) {
	t.sent = append(t.sent, req)
	return t.reply, t.err
}

func (t *transport) Release(hs []uint32) { t.released = append(t.released, hs...) }

// withdrawReply is a reply frame carrying handles 30, 31 and 32 in
// Object and More.
func withdrawReply(t *testing.T) rpc.Message {
	t.Helper()
	rep, release := rpc.Reply(&examplepb.WithdrawReply{
		Object: &rpc.Handle{Value: 30},
		More:   []*rpc.Handle{{Value: 31}, {Value: 32}},
	}, nil)
	if release != nil {
		t.Fatalf("Reply released %v", release)
	}
	return rep
}

// TestInvoke drives the body of every generated client method: the
// request frame it sends, its handles in field order, the reply's
// handles bound back into the reply, and what it releases when the
// reply is bad.
func TestInvoke(t *testing.T) {
	ctx := context.Background()
	tr := &transport{reply: withdrawReply(t)}
	req := &examplepb.DepositRequest{Key: "k", Object: &rpc.Handle{Value: 7}, More: []*rpc.Handle{{Value: 8}, {Value: 9}}}
	got := new(examplepb.WithdrawReply)
	if err := rpc.Invoke(ctx, tr, 0x1234, req, got); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if len(tr.sent) != 1 || !slices.Equal(slices.Sorted(slices.Values(tr.sent[0].Handles)), []uint32{7, 8, 9}) {
		t.Fatalf("sent %+v, want one request carrying handles 7, 8, 9", tr.sent)
	}
	ord, body, err := rpc.SplitRequest(tr.sent[0])
	if err != nil || ord != 0x1234 {
		t.Errorf("request ordinal %#x, %v; want 0x1234", ord, err)
	}
	// The server receives each handle as another number: each must land
	// in the field it left from.
	var theirs []uint32
	for _, h := range tr.sent[0].Handles {
		theirs = append(theirs, h+100)
	}
	sent := new(examplepb.DepositRequest)
	if err := rpc.Unmarshal(body, theirs, sent); err != nil || sent.Key != "k" || sent.GetObject().GetValue() != 107 ||
		len(sent.More) != 2 || sent.More[0].GetValue() != 108 || sent.More[1].GetValue() != 109 {
		t.Errorf("server decodes %v, %v; want key k, handles 107, 108, 109", sent, err)
	}
	if req.Object.Value != 7 || req.More[0].Value != 8 || req.More[1].Value != 9 {
		t.Errorf("Invoke changed the caller's request to %v", req)
	}
	if got.GetObject().GetValue() != 30 || len(got.More) != 2 || got.More[0].GetValue() != 31 || got.More[1].GetValue() != 32 {
		t.Errorf("reply %v, want handles 30, 31, 32", got)
	}
	if len(tr.released) != 0 {
		t.Errorf("released %v after a good reply", tr.released)
	}

	// A reply whose handles do not match its Handle fields is refused,
	// and its handles are closed.
	bad := withdrawReply(t)
	bad.Handles = append(bad.Handles, 33)
	tr = &transport{reply: bad}
	if err := rpc.Invoke(ctx, tr, 1, &examplepb.WithdrawRequest{}, new(examplepb.WithdrawReply)); err != syscall.EBADMSG {
		t.Errorf("Invoke with a stray handle = %v, want EBADMSG", err)
	}
	if !slices.Equal(slices.Sorted(slices.Values(tr.released)), []uint32{30, 31, 32, 33}) {
		t.Errorf("released %v, want the reply's handles 30..33", tr.released)
	}

	// A transport error is returned as an errno.
	tr = &transport{err: context.DeadlineExceeded}
	if err := rpc.Invoke(ctx, tr, 1, &examplepb.WithdrawRequest{}, new(examplepb.WithdrawReply)); err != syscall.ETIMEDOUT {
		t.Errorf("Invoke over a timed-out transport = %v, want ETIMEDOUT", err)
	}

	// A request too large to encode is not sent; its handles are
	// released all the same.
	tr = &transport{}
	huge := &examplepb.DepositRequest{Key: string(make([]byte, rpc.MaxMessageSize)), Object: &rpc.Handle{Value: 4}, More: []*rpc.Handle{{Value: 5}}}
	if err := rpc.Invoke(ctx, tr, 1, huge, new(examplepb.DepositReply)); err != syscall.EMSGSIZE {
		t.Errorf("Invoke of an oversized request = %v, want EMSGSIZE", err)
	}
	if len(tr.sent) != 0 || !slices.Equal(slices.Sorted(slices.Values(tr.released)), []uint32{4, 5}) {
		t.Errorf("oversized request: sent %d, released %v; want nothing sent, 4 and 5 released", len(tr.sent), tr.released)
	}
}

// TestReply is the tail of every generated dispatcher case.
func TestReply(t *testing.T) {
	m := &examplepb.WithdrawReply{Object: &rpc.Handle{Value: 3}, More: []*rpc.Handle{{Value: 4}}}
	rep, release := rpc.Reply(m, nil)
	if release != nil || !slices.Equal(slices.Sorted(slices.Values(rep.Handles)), []uint32{3, 4}) {
		t.Errorf("Reply = %v, release %v; want handles 3, 4 and nothing released", rep, release)
	}
	if rep.Data[0]|rep.Data[1]|rep.Data[2]|rep.Data[3] != 0 {
		t.Errorf("success reply has errno header %x", rep.Data[:4])
	}
	// A failed call sends only the errno, and the handles the reply
	// would have carried are closed.
	rep, release = rpc.Reply(m, syscall.ENOENT)
	if !proto.Equal(m, &examplepb.WithdrawReply{Object: &rpc.Handle{Value: 3}, More: []*rpc.Handle{{Value: 4}}}) {
		t.Errorf("Reply changed its message to %v", m)
	}
	if len(rep.Handles) != 0 || !slices.Equal(slices.Sorted(slices.Values(release)), []uint32{3, 4}) || string(rep.Data) != string(rpc.ErrorReply(syscall.ENOENT).Data) {
		t.Errorf("error Reply = %v, release %v; want ENOENT alone, 3 and 4 released", rep, release)
	}
	// So are those of a reply that cannot be encoded.
	many := &examplepb.WithdrawReply{}
	for i := range rpc.MaxHandles + 1 {
		many.More = append(many.More, &rpc.Handle{Value: uint32(i)})
	}
	rep, release = rpc.Reply(many, nil)
	if string(rep.Data) != string(rpc.ErrorReply(syscall.EMSGSIZE).Data) || len(release) != rpc.MaxHandles+1 {
		t.Errorf("Reply with too many handles = %x, %d released; want EMSGSIZE and all released", rep.Data, len(release))
	}
}

// TestLimits: a frame of exactly MaxMessageSize bytes and MaxHandles
// handles goes through; one byte or one handle more is EMSGSIZE, on
// both ends.
func TestLimits(t *testing.T) {
	// GetReply's encoding is a tag, a 3-byte length and the value: with
	// the 4-byte header, a value of MaxMessageSize-8 bytes fills a frame.
	full := &examplepb.GetReply{Value: make([]byte, rpc.MaxMessageSize-8)}
	rep, _ := rpc.Reply(full, nil)
	if len(rep.Data) != rpc.MaxMessageSize {
		t.Fatalf("full frame is %d bytes, want %d", len(rep.Data), rpc.MaxMessageSize)
	}
	if _, _, err := rpc.SplitRequest(rep); err != nil {
		t.Errorf("SplitRequest of a full frame: %v", err)
	}
	full.Value = append(full.Value, 0)
	if rep, _ := rpc.Reply(full, nil); string(rep.Data) != string(rpc.ErrorReply(syscall.EMSGSIZE).Data) {
		t.Errorf("Reply one byte over the limit = %x, want EMSGSIZE", rep.Data[:min(8, len(rep.Data))])
	}
	if _, _, err := rpc.SplitRequest(rpc.Message{Data: make([]byte, rpc.MaxMessageSize+1)}); err != syscall.EMSGSIZE {
		t.Errorf("SplitRequest one byte over the limit = %v, want EMSGSIZE", err)
	}
	hs := make([]uint32, rpc.MaxHandles)
	if _, _, err := rpc.SplitRequest(rpc.Message{Data: make([]byte, 4), Handles: hs}); err != nil {
		t.Errorf("SplitRequest with %d handles: %v", len(hs), err)
	}
	if _, _, err := rpc.SplitRequest(rpc.Message{Data: make([]byte, 4), Handles: append(hs, 0)}); err != syscall.EMSGSIZE {
		t.Errorf("SplitRequest with %d handles = %v, want EMSGSIZE", len(hs)+1, err)
	}
	if _, _, err := rpc.SplitRequest(rpc.Message{Data: make([]byte, 3)}); err != syscall.EBADMSG {
		t.Errorf("SplitRequest of 3 bytes = %v, want EBADMSG", err)
	}
	// A request may carry at most MaxHandles handles.
	many := &examplepb.DepositRequest{}
	for i := range rpc.MaxHandles {
		many.More = append(many.More, &rpc.Handle{Value: uint32(i)})
	}
	tr := &transport{reply: rpc.Message{Data: make([]byte, 4)}}
	if err := rpc.Invoke(context.Background(), tr, 1, many, new(examplepb.DepositReply)); err != nil || len(tr.sent) != 1 || len(tr.sent[0].Handles) != rpc.MaxHandles {
		t.Errorf("Invoke with %d handles: %v", rpc.MaxHandles, err)
	}
	many.More = append(many.More, &rpc.Handle{Value: 99})
	if err := rpc.Invoke(context.Background(), tr, 1, many, new(examplepb.DepositReply)); err != syscall.EMSGSIZE {
		t.Errorf("Invoke with %d handles = %v, want EMSGSIZE", rpc.MaxHandles+1, err)
	}
}

func TestPeer(t *testing.T) {
	ctx := context.Background()
	if p, ok := rpc.PeerOf(ctx); ok || p != 0 {
		t.Errorf("PeerOf(no peer) = %d, %v", p, ok)
	}
	if p, ok := rpc.PeerOf(rpc.WithPeer(ctx, 42)); !ok || p != 42 {
		t.Errorf("PeerOf(WithPeer 42) = %d, %v", p, ok)
	}
}

// TestUnmarshalHandles: every received handle is named by exactly one
// Handle field, by its index in the message's handle table.
func TestUnmarshalHandles(t *testing.T) {
	body := func(object uint32, more ...uint32) []byte {
		m := &examplepb.DepositRequest{Object: &rpc.Handle{Value: object}}
		for _, v := range more {
			m.More = append(m.More, &rpc.Handle{Value: v})
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name    string
		body    []byte
		handles []uint32
		want    []uint32 // Object, then More
		err     error
	}{
		{"in order", body(0, 1, 2), []uint32{50, 51, 52}, []uint32{50, 51, 52}, nil},
		{"any order", body(2, 0, 1), []uint32{50, 51, 52}, []uint32{52, 50, 51}, nil},
		{"index past the table", body(0, 1), []uint32{50}, nil, syscall.EBADMSG},
		{"index named twice", body(0, 0), []uint32{50, 51}, nil, syscall.EBADMSG},
		{"handle not named", body(0), []uint32{50, 51}, nil, syscall.EBADMSG},
		{"not protobuf", []byte{0xff}, nil, nil, syscall.EBADMSG},
	} {
		m := new(examplepb.DepositRequest)
		err := rpc.Unmarshal(c.body, c.handles, m)
		if err != c.err {
			t.Errorf("%s: Unmarshal = %v, want %v", c.name, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		got := []uint32{m.GetObject().GetValue()}
		for _, h := range m.More {
			got = append(got, h.GetValue())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: handles %v, want %v", c.name, got, c.want)
		}
	}
	// A message type without Handle fields takes no handles.
	if err := rpc.Unmarshal(nil, []uint32{1}, new(examplepb.GetReply)); err != syscall.EBADMSG {
		t.Errorf("handle with a GetReply = %v, want EBADMSG", err)
	}
}

// carrier is a message with handles base+1 ... base+8 in every shape:
// a field, a list, a map and nested messages.
func carrier(base uint32) *carrierpb.Carrier {
	h := func(v uint32) *rpc.Handle { return &rpc.Handle{Value: base + v} }
	return &carrierpb.Carrier{
		One:    h(1),
		List:   []*rpc.Handle{h(2), h(3)},
		ByName: map[string]*rpc.Handle{"a": h(4), "b": h(5)},
		Nested: &carrierpb.Carrier{
			One:    h(6),
			ByName: map[string]*rpc.Handle{"c": h(7)},
			Nested: &carrierpb.Carrier{List: []*rpc.Handle{h(8)}},
		},
		Counts: map[string]int32{"x": 1},
		Names:  []string{"n"},
	}
}

// TestHandleShapes sends handles in every shape a protocol may hold them
// and requires each to arrive in the field it left from.
func TestHandleShapes(t *testing.T) {
	all := []uint32{1, 2, 3, 4, 5, 6, 7, 8}
	rep, release := rpc.Reply(carrier(0), nil)
	if release != nil || !slices.Equal(slices.Sorted(slices.Values(rep.Handles)), all) {
		t.Fatalf("Reply carries %v, releases %v; want handles 1 to 8", rep.Handles, release)
	}
	theirs := make([]uint32, len(rep.Handles))
	for i, h := range rep.Handles {
		theirs[i] = h + 100
	}
	got := new(carrierpb.Carrier)
	if err := rpc.Unmarshal(rep.Data[4:], theirs, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, carrier(100)) {
		t.Errorf("received %v, want %v", got, carrier(100))
	}
	if _, release := rpc.Reply(carrier(0), syscall.EIO); !slices.Equal(slices.Sorted(slices.Values(release)), all) {
		t.Errorf("a failed Reply releases %v, want handles 1 to 8", release)
	}
}
