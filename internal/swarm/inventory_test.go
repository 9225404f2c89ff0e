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

func TestStackObjects(t *testing.T) {
	const stack = "exam-1a2b3c_t_test"
	ns := map[string]string{LabelNamespace: stack}
	objs := []Object{
		{Resource: Resource{KindNetwork, stack + "_internal", "n1"}, Labels: ns},
		{Resource: Resource{KindNetwork, "proxy", "n2"}},
		{Resource: Resource{KindVolume, stack + "_data", stack + "_data"}},                        // by name
		{Resource: Resource{KindVolume, "leak", "leak"}, Labels: ns},                              // by label
		{Resource: Resource{KindVolume, "exam-1a2b3c_t_testx_data", "other"}},                     // a longer stack name
		{Resource: Resource{KindVolume, "exam-1a2b3c_t", "prefix-of-ours"}},                       // not "<stack>_"
		{Resource: Resource{KindContainer, "intruder", "c2"}, Volumes: []string{stack + "_data"}}, // holds our volume
		{Resource: Resource{KindContainer, "bystander", "c3"}, Volumes: []string{"other"}},
		{Resource: Resource{KindContainer, stack + "_app.1.abc", "c1"}, Labels: ns},
		{Resource: Resource{KindSecret, stack + "_s_v1", "s1"}},
		{Resource: Resource{KindConfig, "other_c_v1", "g1"}, Labels: map[string]string{LabelNamespace: "other"}},
		{Resource: Resource{KindService, stack + "_app", "v1"}, Labels: ns},
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
