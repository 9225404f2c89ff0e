package containers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/moby/moby/client"
)

// maxSymlinks bounds the symbolic links ReadFile follows.
const maxSymlinks = 8

// ReadFile returns the content of the file at the absolute path file in a
// container (on a volume it mounts, or in its image), read through the
// Engine's archive API as `docker cp` does, so the image needs no tools.
// Symbolic links are followed, up to 8. A missing path, one that is not a
// regular file, or one larger than maxBytes is an error.
//
// The archive API does not see swarm secrets and configs (it copies their
// empty mount points): when service (the swarm service the container is a
// task of; "" for none) mounts one at the path, the file is read with cat
// in the container instead, which needs cat, or /bin/busybox, in the image.
func (c *Client) ReadFile(ctx context.Context, service, containerID, file string, maxBytes int64) ([]byte, error) {
	if !path.IsAbs(file) {
		return nil, fmt.Errorf("read %s: not an absolute path", file)
	}
	p := path.Clean(file)
	for range maxSymlinks + 1 {
		data, link, err := c.readEntry(ctx, containerID, p, maxBytes)
		if err == nil && link == "" && len(data) == 0 && service != "" {
			data, err = c.readSwarmFile(ctx, service, containerID, p)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in container %.12s: %w", file, containerID, err)
		}
		if link == "" {
			return data, nil
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = path.Clean(link)
	}
	return nil, fmt.Errorf("read %s in container %.12s: more than %d symbolic links", file, containerID, maxSymlinks)
}

// readEntry reads the file at p in a container, or returns the target of
// the symbolic link at p.
func (c *Client) readEntry(ctx context.Context, containerID, p string, maxBytes int64) (data []byte, link string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tw := tar.NewWriter(pw)
		_, err := c.ArchivePaths(ctx, containerID, []string{p}, tw)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	defer func() {
		// Stop the copy (a directory's further entries are not read).
		cancel()
		pr.Close()
		<-done
	}()
	tr := tar.NewReader(pr)
	hdr, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, "", errors.New("the container sent no file")
	}
	if err != nil {
		return nil, "", err
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		return nil, hdr.Linkname, nil
	case tar.TypeReg:
	case tar.TypeDir:
		return nil, "", errors.New("is a directory, not a file")
	default:
		return nil, "", fmt.Errorf("not a regular file (tar type %q)", hdr.Typeflag)
	}
	if hdr.Size > maxBytes {
		return nil, "", fmt.Errorf("is %d bytes, larger than the read limit of %d bytes", hdr.Size, maxBytes)
	}
	if data, err = io.ReadAll(io.LimitReader(tr, maxBytes)); err != nil {
		return nil, "", fmt.Errorf("reading its content: %w", err)
	}
	return data, "", nil
}

// readSwarmFile reads the file at p with cat in the container when a secret
// or a config of the service is mounted there, and returns nothing (an
// empty file) otherwise.
func (c *Client) readSwarmFile(ctx context.Context, service, containerID, p string) ([]byte, error) {
	kind, err := c.swarmFileMount(ctx, service, p)
	if err != nil || kind == "" {
		return nil, err
	}
	q := shellQuote(p)
	res, err := c.ExecShell(ctx, containerID,
		"if command -v cat >/dev/null 2>&1; then exec cat -- "+q+"; else exec /bin/busybox cat -- "+q+"; fi", nil)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	if err != nil {
		return nil, fmt.Errorf("a swarm %s is mounted there, which the Engine's archive API does not see, and cat in the container failed: %w", kind, err)
	}
	return []byte(res.Stdout), nil
}

// swarmFileMount returns "secret" or "config" when the service mounts one
// at p, else "".
func (c *Client) swarmFileMount(ctx context.Context, service, p string) (string, error) {
	res, err := c.API.ServiceInspect(ctx, service, client.ServiceInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspecting service %s: %w", service, err)
	}
	cs := res.Service.Spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return "", nil
	}
	// As the Engine places them: a relative target under /run/secrets for
	// a secret, under / for a config.
	target := func(name, dir string) string {
		if path.IsAbs(name) {
			return path.Clean(name)
		}
		return path.Join(dir, name)
	}
	for _, s := range cs.Secrets {
		if s.File != nil && target(s.File.Name, "/run/secrets") == p {
			return "secret", nil
		}
	}
	for _, cf := range cs.Configs {
		if cf.File != nil && target(cf.File.Name, "/") == p {
			return "config", nil
		}
	}
	return "", nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
