package swarm

import (
	"slices"
	"testing"
)

func TestResourceString(t *testing.T) {
	r := Resource{Kind: KindVolume, Name: "exam-1a2b3c_t_test_data", ID: "x"}
	if got, want := r.String(), "volume exam-1a2b3c_t_test_data"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestResourceStringOnNode(t *testing.T) {
	r := Resource{Kind: KindVolume, Name: "exam-1a2b3c_t_test_data", ID: "x", Node: "worker-1"}
	if got, want := r.String(), "volume exam-1a2b3c_t_test_data on node worker-1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestStackObjectsNodes: volumes are node-local; a container holds the
// volume of its own node only.
func TestStackObjectsNodes(t *testing.T) {
	const stack = "exam-1a2b3c_t_test"
	vol := func(node string) Object {
		return Object{Resource: Resource{Kind: KindVolume, Name: stack + "_data", ID: stack + "_data", Node: node}, NodeID: node}
	}
	objs := []Object{
		vol("w1"), vol("w2"),
		{Resource: Resource{Kind: KindContainer, Name: "holder", ID: "c1", Node: "w2"}, NodeID: "w2", Volumes: []string{stack + "_data"}},
		{Resource: Resource{Kind: KindContainer, Name: "same-name-elsewhere", ID: "c2", Node: "w3"}, NodeID: "w3", Volumes: []string{stack + "_data"}},
	}
	var got []string
	for _, o := range stackObjects(objs, stack) {
		got = append(got, o.String())
	}
	want := []string{
		"container holder on node w2",
		"volume " + stack + "_data on node w1",
		"volume " + stack + "_data on node w2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stackObjects:\n got  %q\n want %q", got, want)
	}
	if h := holdersOf(objs, vol("w1")); len(h) != 0 {
		t.Errorf("holders of the volume on w1: %q, want none (the holder is on w2)", h)
	}
	if h := holdersOf(objs, vol("w2")); !slices.Equal(h, []string{"container holder on node w2"}) {
		t.Errorf("holders of the volume on w2: %q", h)
	}
}

func TestStackObjects(t *testing.T) {
	const stack = "exam-1a2b3c_t_test"
	ns := map[string]string{LabelNamespace: stack}
	objs := []Object{
		{Resource: Resource{Kind: KindNetwork, Name: stack + "_internal", ID: "n1"}, Labels: ns},
		{Resource: Resource{Kind: KindNetwork, Name: "proxy", ID: "n2"}},
		{Resource: Resource{Kind: KindVolume, Name: stack + "_data", ID: stack + "_data"}},                        // by name
		{Resource: Resource{Kind: KindVolume, Name: "leak", ID: "leak"}, Labels: ns},                              // by label
		{Resource: Resource{Kind: KindVolume, Name: "exam-1a2b3c_t_testx_data", ID: "other"}},                     // a longer stack name
		{Resource: Resource{Kind: KindVolume, Name: "exam-1a2b3c_t", ID: "prefix-of-ours"}},                       // not "<stack>_"
		{Resource: Resource{Kind: KindContainer, Name: "intruder", ID: "c2"}, Volumes: []string{stack + "_data"}}, // holds our volume
		{Resource: Resource{Kind: KindContainer, Name: "bystander", ID: "c3"}, Volumes: []string{"other"}},
		{Resource: Resource{Kind: KindContainer, Name: stack + "_app.1.abc", ID: "c1"}, Labels: ns},
		{Resource: Resource{Kind: KindSecret, Name: stack + "_s_v1", ID: "s1"}},
		{Resource: Resource{Kind: KindConfig, Name: "other_c_v1", ID: "g1"}, Labels: map[string]string{LabelNamespace: "other"}},
		{Resource: Resource{Kind: KindService, Name: stack + "_app", ID: "v1"}, Labels: ns},
	}
	var got []string
	for _, o := range stackObjects(objs, stack) {
		got = append(got, o.String())
	}
	want := []string{
		"service " + stack + "_app",
		"container " + stack + "_app.1.abc",
		"container intruder",
		"volume " + stack + "_data",
		"volume leak",
		"secret " + stack + "_s_v1",
		"network " + stack + "_internal",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stackObjects:\n got  %q\n want %q", got, want)
	}
}

func TestContainerName(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"/web"}, "web"},
		{[]string{"/db/web_db", "/db"}, "db"},
		{nil, ""},
	} {
		if got := containerName(tc.in); got != tc.want {
			t.Errorf("containerName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	if got := plural(1, "service"); got != "1 service" {
		t.Errorf("plural(1) = %q", got)
	}
	if got := plural(3, "container"); got != "3 containers" {
		t.Errorf("plural(3) = %q", got)
	}
}
