// pulumi-resource-testprov: a small resource provider for the real-CLI suite and benchmark (test/cli, bench).
// It stores nothing anywhere: every resource's state lives only in the Pulumi state, so the server under test
// is the single source of truth. Built by `npm run cli:install` (scripts/cli-install.mjs) against the same pinned
// sdk/v3 as the CLI. Resource types (see schema.go):
//   - testprov:index:Item   inputs value, payloadBytes (deterministic filler of that size in the outputs),
//     replaceKey (a change replaces the resource), secret (always a secret output), sleepMs (slow create/update).
//   - testprov:index:Group  a component (Construct) registering `count` Items as its children.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	providerName    = "testprov"
	providerVersion = "0.0.1"
	itemType        = "testprov:index:Item"
	groupType       = "testprov:index:Group"
)

func main() {
	err := provider.Main(providerName, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &testProvider{}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type testProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

var marshalOptions = plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOptions)
}

func unmarshalOldsNews(olds, news *structpb.Struct) (resource.PropertyMap, resource.PropertyMap, error) {
	o, err := unmarshal(olds)
	if err != nil {
		return nil, nil, err
	}
	n, err := unmarshal(news)
	return o, n, err
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

func (p *testProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

func (p *testProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (p *testProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *testProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *testProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *testProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *testProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if v, ok := news["value"]; !ok || v.IsNull() {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{
			{Property: "value", Reason: "missing required property 'value'"},
		}}, nil
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// inputKeys are the inputs an Item compares in Diff; replaceKey forces a replacement.
var inputKeys = []resource.PropertyKey{"value", "payloadBytes", "replaceKey", "secret", "sleepMs"}

func (p *testProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := unmarshalOldsNews(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, key := range inputKeys {
		o, n := olds[key], news[key]
		if o.DeepEquals(n) {
			continue
		}
		diffs = append(diffs, string(key))
		kind := pulumirpc.PropertyDiff_UPDATE
		if key == "replaceKey" {
			replaces = append(replaces, string(key))
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		detailed[string(key)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: diffs, Replaces: replaces, DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

// outputs derives an Item's outputs from its inputs: the inputs themselves, a filler payload of payloadBytes
// bytes, the secret echoed as a secret output, and a revision counter.
func outputs(inputs resource.PropertyMap, revision float64) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, key := range inputKeys {
		if v, ok := inputs[key]; ok && !v.IsNull() {
			out[key] = v
		}
	}
	if n, ok := inputs["payloadBytes"]; ok && n.IsNumber() && n.NumberValue() > 0 {
		seed := "x"
		if v, ok := inputs["value"]; ok && v.IsString() {
			seed = v.StringValue()
		}
		out["payload"] = resource.NewStringProperty(filler(seed, int(n.NumberValue())))
	}
	if s, ok := inputs["secret"]; ok && !s.IsNull() {
		out["secretEcho"] = resource.MakeSecret(s)
	}
	out["revision"] = resource.NewNumberProperty(revision)
	return out
}

func filler(seed string, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(seed)
		b.WriteString(";")
	}
	return b.String()[:size]
}

func sleepFor(inputs resource.PropertyMap, preview bool) {
	if preview {
		return
	}
	if ms, ok := inputs["sleepMs"]; ok && ms.IsNumber() && ms.NumberValue() > 0 {
		time.Sleep(time.Duration(ms.NumberValue()) * time.Millisecond)
	}
}

func newID(urn string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := urn[strings.LastIndex(urn, "::")+2:]
	return name + "-" + hex.EncodeToString(b)
}

func (p *testProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	sleepFor(inputs, req.GetPreview())
	props, err := marshal(outputs(inputs, 1))
	if err != nil {
		return nil, err
	}
	id := ""
	if !req.GetPreview() {
		id = newID(req.GetUrn())
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *testProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, news, err := unmarshalOldsNews(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	sleepFor(news, req.GetPreview())
	revision := 1.0
	if r, ok := olds["revision"]; ok && r.IsNumber() {
		revision = r.NumberValue() + 1
	}
	props, err := marshal(outputs(news, revision))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read answers refresh (the state is unchanged: nothing exists outside it) and import (an id alone becomes an
// Item whose value is that id).
func (p *testProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetProperties() != nil && len(req.GetProperties().GetFields()) > 0 {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	inputs := resource.PropertyMap{"value": resource.NewStringProperty(req.GetId())}
	in, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	out, err := marshal(outputs(inputs, 1))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: out, Inputs: in}, nil
}

func (p *testProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Construct registers a Group component and `count` Items parented to it through the engine's resource monitor.
func (p *testProvider) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	if req.GetType() != groupType {
		return nil, fmt.Errorf("unknown component type %q", req.GetType())
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	count := 0
	if n, ok := inputs["count"]; ok && n.IsNumber() {
		count = int(n.NumberValue())
	}
	conn, err := grpc.NewClient(req.GetMonitorEndpoint(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	monitor := pulumirpc.NewResourceMonitorClient(conn)
	empty, _ := structpb.NewStruct(map[string]any{})
	group, err := monitor.RegisterResource(ctx, &pulumirpc.RegisterResourceRequest{
		Type: groupType, Name: req.GetName(), Parent: req.GetParent(), Custom: false, Object: empty,
	})
	if err != nil {
		return nil, err
	}
	names := make([]resource.PropertyValue, 0, count)
	for i := 0; i < count; i++ {
		name := fmt.Sprintf("%s-item-%d", req.GetName(), i)
		object, err := structpb.NewStruct(map[string]any{"value": name})
		if err != nil {
			return nil, err
		}
		if _, err := monitor.RegisterResource(ctx, &pulumirpc.RegisterResourceRequest{
			Type: itemType, Name: name, Parent: group.GetUrn(), Custom: true, Object: object, AcceptSecrets: true,
		}); err != nil {
			return nil, err
		}
		names = append(names, resource.NewStringProperty(name))
	}
	state, err := marshal(resource.PropertyMap{"names": resource.NewArrayProperty(names)})
	if err != nil {
		return nil, err
	}
	if _, err := monitor.RegisterResourceOutputs(ctx, &pulumirpc.RegisterResourceOutputsRequest{
		Urn: group.GetUrn(), Outputs: state,
	}); err != nil {
		return nil, err
	}
	return &pulumirpc.ConstructResponse{Urn: group.GetUrn(), State: state}, nil
}
