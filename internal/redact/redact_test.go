package redact

import (
	"bytes"
	"fmt"
	"testing"
)

func TestRedact(t *testing.T) {
	var r Redactor
	r.Add("s3cr3t-value", "s3cr3t", "ab")
	var buf bytes.Buffer
	fmt.Fprintf(r.Writer(&buf), "token=s3cr3t-value other=s3cr3t short=ab\n")
	if got := buf.String(); got != "token=*** other=*** short=ab\n" {
		t.Errorf("got %q", got)
	}
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Error("nil redactor must pass through")
	}
}
