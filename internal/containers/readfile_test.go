package containers_test

import (
	"strings"
	"testing"
)

// ReadFile reads files on a volume through the archive API, follows
// relative and absolute links, reads the service's swarm secret and config
// (which the archive API sees as empty mount points) with cat, and refuses
// what is not a readable regular file, naming it.
func TestReadFile(t *testing.T) {
	c, service, id := fixture(t)
	ctx := t.Context()
	setup := `set -e; bb=/bin/busybox
$bb mkdir -p /data/dir
printf 'hello\n' > /data/f
$bb ln -s f /data/rel
$bb ln -s /data/rel /data/abs
$bb dd if=/dev/zero of=/data/big bs=1024 count=4 2>/dev/null
for i in 1 2 3 4 5 6 7 8; do $bb ln -s chain$((i + 1)) /data/chain$i; done
$bb ln -s f /data/chain9`
	if res, err := c.ExecShell(ctx, id, setup, nil); err != nil || res.ExitCode != 0 {
		t.Fatalf("setting up files: %+v, %v", res, err)
	}
	for _, tc := range []struct {
		file, want string
	}{
		{"/data/f", "hello\n"},
		{"/data/rel", "hello\n"},        // a relative link
		{"/data/abs", "hello\n"},        // an absolute link to a relative one
		{"/data/./dir/../f", "hello\n"}, // cleaned
		{"/data/chain2", "hello\n"},     // 8 links: chain2 to chain9, then f
		{"/run/secrets/app_secret", "s3cr3t"},
		{"/etc/webapp/app.conf", "greeting = hi\n"},
	} {
		got, err := c.ReadFile(ctx, service, id, tc.file, 1024)
		if err != nil || string(got) != tc.want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	// Without the service, a secret is only its empty mount point.
	if got, err := c.ReadFile(ctx, "", id, "/run/secrets/app_secret", 1024); err != nil || len(got) != 0 {
		t.Errorf("ReadFile of a secret without its service = %q, %v; want the empty mount point", got, err)
	}
	for _, tc := range []struct {
		file, want string
	}{
		{"/data/dir", "/data/dir in container " + id[:12] + ": is a directory, not a file"},
		{"/data/nope", "/data/nope in container " + id[:12] + ": archive /data/nope from container " + id[:12] + ": no such file or directory"},
		{"/data/big", "/data/big in container " + id[:12] + ": is 4096 bytes, larger than the read limit of 1024 bytes"},
		{"/data/chain1", "/data/chain1 in container " + id[:12] + ": more than 8 symbolic links"},
		{"data/f", "read data/f: not an absolute path"},
	} {
		got, err := c.ReadFile(ctx, service, id, tc.file, 1024)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadFile(%s) = %q, %v; want an error with %q", tc.file, got, err, tc.want)
		}
	}
}
