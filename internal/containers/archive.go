package containers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// ErrPathNotFound is wrapped by ArchivePaths for a path the container does
// not have.
var ErrPathNotFound = errors.New("no such file or directory in the container")

// ArchivePaths copies files out of a container, as `docker cp` does, into
// tw: each path (absolute in the container, a file or a directory with
// everything under it) becomes entries named by their absolute path without
// the leading "/", so that the archive can be inspected as is and restored
// with RestoreArchive. It returns the number of entries written.
func (c *Client) ArchivePaths(ctx context.Context, containerID string, paths []string, tw *tar.Writer) (int, error) {
	n := 0
	api, err := c.EngineOf(ctx, containerID)
	if err != nil {
		return 0, fmt.Errorf("archive from container %.12s: %w", containerID, err)
	}
	for _, p := range paths {
		p = path.Clean(p)
		if !path.IsAbs(p) {
			return n, fmt.Errorf("archive %s: not an absolute path", p)
		}
		res, err := api.CopyFromContainer(ctx, containerID, client.CopyFromContainerOptions{SourcePath: p})
		if cerrdefs.IsNotFound(err) {
			return n, fmt.Errorf("archive %s from container %.12s: %w", p, containerID, ErrPathNotFound)
		}
		if err != nil {
			return n, fmt.Errorf("archive %s from container %.12s: %w", p, containerID, err)
		}
		// The daemon names entries after the path's base name: re-root
		// them at the path's parent.
		parent := strings.TrimPrefix(path.Dir(p), "/")
		k, err := copyEntries(tw, tar.NewReader(res.Content), parent)
		res.Content.Close()
		n += k
		if err != nil {
			return n, fmt.Errorf("archive %s from container %.12s: %w", p, containerID, err)
		}
	}
	return n, nil
}

func copyEntries(tw *tar.Writer, tr *tar.Reader, parent string) (int, error) {
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if parent != "" {
			hdr.Name = parent + "/" + hdr.Name
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return n, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return n, err
		}
		n++
	}
}

// RestoreArchive extracts an archive written by ArchivePaths into a
// container at the same absolute paths, keeping the files' owners and
// modes. Files in the archive overwrite the container's; files the archive
// does not hold are left alone (as restic restore does).
//
// The engine extracts as root, giving each file the owner its archive
// entry names: the owner it had when it was backed up. CopyUIDGID (docker
// cp -a) would instead chown every file to the container's configured
// user, looked up by name in the engine host's passwd database: an image
// whose USER is a name only it knows (mumble, node, ...) then fails
// every restore ("getent unable to find entry"), and a root-owned file
// restored into a non-root container would change owner.
func (c *Client) RestoreArchive(ctx context.Context, containerID string, archive io.Reader) error {
	api, err := c.EngineOf(ctx, containerID)
	if err != nil {
		return fmt.Errorf("restore into container %.12s: %w", containerID, err)
	}
	_, err = api.CopyToContainer(ctx, containerID, client.CopyToContainerOptions{
		DestinationPath: "/", Content: archive,
	})
	if err != nil {
		return fmt.Errorf("restore into container %.12s: %w", containerID, err)
	}
	return nil
}
