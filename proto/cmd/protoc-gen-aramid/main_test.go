package main

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// request builds a plugin request for one file with service S whose
// methods are named by methods; a name ending in "+" is server-streaming.
func request(methods ...string) *pluginpb.CodeGeneratorRequest {
	msg := &descriptorpb.DescriptorProto{Name: proto.String("M")}
	svc := &descriptorpb.ServiceDescriptorProto{Name: proto.String("S")}
	for _, m := range methods {
		name, stream := strings.CutSuffix(m, "+")
		svc.Method = append(svc.Method, &descriptorpb.MethodDescriptorProto{
			Name: proto.String(name), InputType: proto.String(".t.M"), OutputType: proto.String(".t.M"),
			ServerStreaming: proto.Bool(stream),
		})
	}
	f := &descriptorpb.FileDescriptorProto{
		Name: proto.String("t/t.proto"), Package: proto.String("t"), Syntax: proto.String("proto3"),
		Options:     &descriptorpb.FileOptions{GoPackage: proto.String("aramid/t")},
		MessageType: []*descriptorpb.DescriptorProto{msg},
		Service:     []*descriptorpb.ServiceDescriptorProto{svc},
	}
	return &pluginpb.CodeGeneratorRequest{Parameter: proto.String("paths=source_relative"), FileToGenerate: []string{"t/t.proto"}, ProtoFile: []*descriptorpb.FileDescriptorProto{f}}
}

func run(t *testing.T, req *pluginpb.CodeGeneratorRequest) (string, error) {
	t.Helper()
	p, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := generate(p); err != nil {
		return "", err
	}
	resp := p.Response()
	if resp.Error != nil {
		t.Fatal(*resp.Error)
	}
	if len(resp.File) != 2 || resp.File[0].GetName() != "t/t_aramid.pb.go" || resp.File[1].GetName() != "t/t_aramid_test.go" {
		t.Fatalf("generated %v, want t/t_aramid.pb.go and t/t_aramid_test.go", resp.File)
	}
	if !strings.Contains(resp.File[1].GetContent(), "func FuzzSDispatcher(f *testing.F)") {
		t.Errorf("fuzz file lacks FuzzSDispatcher")
	}
	return resp.File[0].GetContent(), nil
}

func TestGenerate(t *testing.T) {
	out, err := run(t, request("Get", "Put"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"type SServer interface", "type SClient struct", "func NewSDispatcher(s SServer) rpc.Dispatcher",
		"SGetOrdinal uint32 = 0x", "case SPutOrdinal:", "type UnimplementedSServer struct{}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestRefuseStreaming(t *testing.T) {
	if _, err := run(t, request("Watch+")); err == nil || !strings.Contains(err.Error(), "streaming") {
		t.Errorf("streaming method: err = %v, want a streaming error", err)
	}
}

func TestRefuseCollision(t *testing.T) {
	p, err := protogen.Options{}.New(request("Get"))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Files[0]
	taken := map[uint32]string{}
	if err := checkFile(f, taken); err != nil {
		t.Fatal(err)
	}
	if err := checkFile(f, taken); err == nil || !strings.Contains(err.Error(), "collides") {
		t.Errorf("second check of the same method: err = %v, want a collision", err)
	}
}
