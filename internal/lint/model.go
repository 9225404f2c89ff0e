package lint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Rules read from the resolved compose model (Input.App).

// splitImage returns an image reference's tag and digest ("" when absent).
func splitImage(image string) (tag, digest string) {
	name, digest, _ := strings.Cut(image, "@")
	last := name[strings.LastIndexByte(name, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		tag = last[i+1:]
	}
	return tag, digest
}

func eachService(in *Input, f func(s recipe.Service) string) []string {
	var out []string
	for _, s := range in.App.Services {
		if msg := f(s); msg != "" {
			out = append(out, "service "+s.Name+": "+msg)
		}
	}
	return out
}

func healthchecks(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		switch h := s.Healthcheck; {
		case h != nil && (h.Disabled || len(h.Test) > 0 && h.Test[0] == "NONE"):
			return "healthcheck disabled"
		case h == nil || len(h.Test) == 0:
			return "no healthcheck"
		}
		return ""
	}), ""
}

func imagesTagged(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		if tag, digest := splitImage(s.Image); tag == "" && digest == "" {
			return "image " + s.Image + " has no tag"
		}
		return ""
	}), ""
}

func noLatest(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		if tag, digest := splitImage(s.Image); tag == "latest" && digest == "" {
			return "image " + s.Image
		}
		return ""
	}), ""
}

// semverLike is the shape of tag abra can order: numbers separated by dots,
// an optional leading v and an optional -suffix (1, v1.2, 1.27.3,
// 17-alpine, 1.0.6-social-amd64).
var semverLike = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}(-[0-9A-Za-z][0-9A-Za-z._-]*)?$`)

// semverImageTags leaves untagged and latest images to R003 and R004, and
// pinning by digest alone is as stable as it gets.
func semverImageTags(in *Input) ([]string, string) {
	return eachService(in, func(s recipe.Service) string {
		tag, _ := splitImage(s.Image)
		if tag == "" || tag == "latest" || semverLike.MatchString(tag) {
			return ""
		}
		return fmt.Sprintf("image %s: tag %q is not semver-like", s.Image, tag)
	}), ""
}

func appService(in *Input) ([]string, string) {
	if _, ok := in.App.Service("app"); ok {
		return nil, ""
	}
	var names []string
	for _, s := range in.App.Services {
		names = append(names, s.Name)
	}
	return []string{"no service is called app (services: " + strings.Join(names, ", ") + ")"}, ""
}

// traefikEnabled follows abra: an app whose .env.sample sets no DOMAIN is
// not web-facing and is skipped; otherwise some service must enable
// traefik. We also name each service that declares routers without it,
// since traefik ignores those routers.
func traefikEnabled(in *Input) ([]string, string) {
	if in.Recipe != nil {
		if v, ok := in.Recipe.Env.Lookup("DOMAIN"); !ok || strings.TrimSpace(v.Value) == "" {
			return nil, ".env.sample sets no DOMAIN: the app is not web-facing"
		}
	}
	enabled := false
	out := eachService(in, func(s recipe.Service) string {
		on := strings.EqualFold(strings.TrimSpace(s.Labels["traefik.enable"]), "true")
		enabled = enabled || on
		for k := range s.Labels {
			if isRouterLabel(k) && !on {
				return fmt.Sprintf("declares traefik routers but traefik.enable is %q", s.Labels["traefik.enable"])
			}
		}
		return ""
	})
	if !enabled && len(out) == 0 {
		out = append(out, "no service sets traefik.enable=true")
	}
	return out, ""
}

func isRouterLabel(k string) bool {
	for _, p := range []string{"traefik.http.routers.", "traefik.tcp.routers.", "traefik.udp.routers."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func versionLabel(in *Input) ([]string, string) {
	if in.App.Version != "" {
		return nil, ""
	}
	return []string{"no service has the label coop-cloud." + in.App.Stack + ".version"}, ""
}
