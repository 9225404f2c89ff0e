package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Each grant a run used is shown in the report and kept in results.json.
func TestGrantsShown(t *testing.T) {
	run := &results.Run{Status: results.Pass, Recipe: "traefik", Residue: []string{}, Grants: []results.Grant{
		{Service: "app", Key: "volumes", Value: "/var/run/docker.sock", Reason: "reads service labels | from the Docker API"},
		{Key: "networks.public", Reason: "the operator's ingress network"},
	}}
	md := RenderMarkdown(run, MaxMarkdown)
	for _, want := range []string{
		"<b>Policy grants used (2, from the reviewed enrollment)</b>",
		"- `services.app.volumes /var/run/docker.sock`: reads service labels \\| from the Docker API\n",
		"- `networks.public`: the operator's ingress network\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	var buf bytes.Buffer
	if err := JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	var back results.Run
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Grants) != 2 || back.Grants[0] != run.Grants[0] {
		t.Errorf("results.json grants = %+v", back.Grants)
	}
	if md := RenderMarkdown(&results.Run{Status: results.Pass, Residue: []string{}}, MaxMarkdown); strings.Contains(md, "Policy grants") {
		t.Errorf("a run without grants shows them:\n%s", md)
	}
}
