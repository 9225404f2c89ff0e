package containers

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// ReadOutput splits Docker's multiplexed stream into stdout and stderr and
// keeps the first bytes of each, saying how many more there were.
func TestReadOutput(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(frame(stdcopy.Stdout, "out 1\n"))
	stream.Write(frame(stdcopy.Stderr, "err\n"))
	stream.Write(frame(stdcopy.Stdout, "out 2\n"))
	stdout, stderr, err := ReadOutput(bytes.NewReader(stream.Bytes()), 8)
	if err != nil || stdout != "out 1\nou\n[... 4 more bytes]" || stderr != "err\n" {
		t.Errorf("ReadOutput = %q, %q, %v", stdout, stderr, err)
	}
	// A stream that is not multiplexed is an error, not empty output.
	if _, _, err := ReadOutput(strings.NewReader("plain text, no frame headers"), 8); err == nil {
		t.Error("ReadOutput of an unframed stream: no error")
	}
}

// frame is one frame of the Engine's multiplexed stream, as its API
// documents it: the stream's number, three zero bytes, the payload's size
// (big-endian uint32), the payload.
func frame(stream stdcopy.StdType, payload string) []byte {
	b := []byte{byte(stream), 0, 0, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// ExecWithin names its own timeout, and only its own: a context that ends
// first is that context's error.
func TestExecWithin(t *testing.T) {
	block := func(ctx context.Context) (ExecResult, error) {
		<-ctx.Done()
		return ExecResult{}, ctx.Err()
	}
	_, err := ExecWithin(t.Context(), 20*time.Millisecond, block)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Timeout != 20*time.Millisecond || err.Error() != "still running after 20ms, abandoned" {
		t.Errorf("timed out: %v, want a *TimeoutError of 20ms", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ExecWithin(ctx, time.Minute, block); !errors.Is(err, context.Canceled) || errors.As(err, &te) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	res, err := ExecWithin(t.Context(), 0, func(ctx context.Context) (ExecResult, error) {
		if _, ok := ctx.Deadline(); ok {
			t.Error("timeout 0 set a deadline")
		}
		return ExecResult{ExitCode: 3}, nil
	})
	if err != nil || res.ExitCode != 3 {
		t.Errorf("timeout 0: %+v, %v", res, err)
	}
}
