package abra

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Backups go through `abra app cp`, abra's copy between the operator's
// machine and an app's container, of the paths the backupbot labels name
// (the backup package plans them and runs the hooks). abra's own `app
// backup create` and `app restore` drive the backup bot, a service of
// another recipe deployed on the server, keeping restic snapshots there;
// no stand-in could model that honestly without it, and recipe-test keeps
// the archive in its own output folder either way.

// copyTarget finds the app and service a container belongs to, for abra
// app cp; ok is false for a container of a stack abra did not deploy here,
// and for one on another node of the swarm: abra app cp finds an app's
// container through its server's engine, which holds only the containers
// of its own node, so that one is copied through its node's endpoint.
func (d *Deployer) copyTarget(ctx context.Context, containerID string) (a *appState, service string, ok bool, err error) {
	api, err := d.EngineOf(ctx, containerID)
	if err != nil {
		return nil, "", false, err
	}
	if api != d.API {
		d.copyProgress()(fmt.Sprintf("container %.12s runs on another node, which abra app cp does not reach (it copies through the server's engine): copying through that node's endpoint", containerID))
		return nil, "", false, nil
	}
	res, err := d.API.ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
	if err != nil {
		return nil, "", false, fmt.Errorf("inspect container %.12s: %w", containerID, err)
	}
	labels := res.Container.Config.Labels
	stack := labels[swarm.LabelNamespace]
	if a = d.app(stack); a == nil {
		return nil, "", false, nil
	}
	full := labels["com.docker.swarm.service.name"]
	if !strings.HasPrefix(full, stack+"_") {
		return nil, "", false, fmt.Errorf("container %.12s of stack %s has no service label", containerID, stack)
	}
	return a, strings.TrimPrefix(full, stack+"_"), true, nil
}

// ArchivePaths copies each path out of the container with `abra app cp`
// into a scratch folder, then writes it into tw under its absolute path
// without the leading "/", as swarm.Client.ArchivePaths does, so that the
// archive reads and restores the same either way.
func (d *Deployer) ArchivePaths(ctx context.Context, containerID string, paths []string, tw *tar.Writer) (int, error) {
	a, service, ok, err := d.copyTarget(ctx, containerID)
	if err != nil || !ok {
		if err != nil {
			return 0, err
		}
		return d.Client.ArchivePaths(ctx, containerID, paths, tw)
	}
	scratch, err := os.MkdirTemp(d.r.dir, "copy-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(scratch)
	n := 0
	for _, p := range paths {
		p = path.Clean(p)
		if !path.IsAbs(p) || p == "/" {
			return n, fmt.Errorf("archive %s: not an absolute path below /", p)
		}
		parent := filepath.Join(scratch, filepath.FromSlash(path.Dir(p)))
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return n, err
		}
		res, err := d.r.run(ctx, d.copyProgress(), []string{"app", "cp", a.domain, service + ":" + p, parent})
		if err != nil {
			if strings.Contains(res.Transcript, "Could not find the file") || strings.Contains(res.Transcript, "No such container:path") {
				return n, fmt.Errorf("archive %s from service %s: %w", p, service, swarm.ErrPathNotFound)
			}
			return n, fmt.Errorf("archive %s from service %s: %w", p, service, err)
		}
		k, err := tarTree(tw, scratch, strings.TrimPrefix(p, "/"))
		n += k
		if err != nil {
			return n, fmt.Errorf("archive %s from service %s: %w", p, service, err)
		}
	}
	return n, nil
}

// tarTree writes the tree at base/rel into tw, entries named by their path
// below base, symlinks as symlinks.
func tarTree(tw *tar.Writer, base, rel string) (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(base, filepath.FromSlash(rel)), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(base, p)
		hdr.Name = filepath.ToSlash(name)
		if info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n++
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, cerr := io.Copy(tw, f)
		return errors.Join(cerr, f.Close())
	})
	return n, err
}

// RestoreArchive extracts an archive written by ArchivePaths into a scratch
// folder (confined to it: no entry writes outside) and copies each of its
// top-level paths back into the container with `abra app cp`, which
// overwrites what is there, as restic restore does. abra app cp has no
// option to keep owners: restored files belong to the container's root.
func (d *Deployer) RestoreArchive(ctx context.Context, containerID string, archive io.Reader) error {
	a, service, ok, err := d.copyTarget(ctx, containerID)
	if err != nil || !ok {
		if err != nil {
			return err
		}
		return d.Client.RestoreArchive(ctx, containerID, archive)
	}
	scratch, err := os.MkdirTemp(d.r.dir, "restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	tops, err := extract(archive, scratch)
	if err != nil {
		return fmt.Errorf("restore into service %s: %w", service, err)
	}
	for _, top := range tops {
		dst := "/" + path.Dir(top)
		if _, err := d.r.run(ctx, d.copyProgress(), []string{"app", "cp", a.domain, filepath.Join(scratch, filepath.FromSlash(top)), service + ":" + dst}); err != nil {
			return fmt.Errorf("restore /%s into service %s: %w", top, service, err)
		}
	}
	return nil
}

// extract writes the archive's entries under dir through an os.Root, so
// that no name or symlink reaches outside it, and returns the top-level
// paths: entries whose parent is not in the archive.
func extract(archive io.Reader, dir string) ([]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	tr := tar.NewReader(archive)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if name == "." || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("archive entry %q is outside the archive's root", hdr.Name)
		}
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil && path.Dir(name) != "." {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, mode.Perm()|0o700); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		case tar.TypeReg:
			f, err := root.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode.Perm())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			_, cerr := io.Copy(f, tr)
			if err := errors.Join(cerr, f.Close()); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		case tar.TypeSymlink:
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		default:
			continue // devices, fifos: not app data abra copies
		}
		names = append(names, name)
	}
	var tops []string
	for _, n := range names {
		if !slices.Contains(names, path.Dir(n)) {
			tops = append(tops, n)
		}
	}
	return tops, nil
}
