package authentik

import (
	"embed"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// page is one page of an API v3 list.
type page[T any] struct {
	Pagination struct {
		Count int `json:"count"`
	} `json:"pagination"`
	Results []T `json:"results"`
}

// application is GET /api/v3/core/applications/{slug}/.
type application struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Provider    int    `json:"provider"`
	ProviderObj struct {
		PK   int    `json:"pk"`
		Name string `json:"name"`
	} `json:"provider_obj"`
}

// oauth2Provider is an OAuth2/OpenID provider of /api/v3/providers/oauth2/.
type oauth2Provider struct {
	PK           int    `json:"pk"`
	Name         string `json:"name"`
	ClientType   string `json:"client_type"`
	ClientID     string `json:"client_id"`
	SigningKey   string `json:"signing_key"`
	RedirectURIs []struct {
		MatchingMode string `json:"matching_mode"`
		URL          string `json:"url"`
	} `json:"redirect_uris"`
	AssignedApplicationSlug string `json:"assigned_application_slug"`
}

// akUser is a user of /api/v3/core/users/.
type akUser struct {
	PK       int    `json:"pk"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	IsActive bool   `json:"is_active"`
	Path     string `json:"path"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// checkDiscovery checks an application's discovery document: its issuer
// is the application's, its endpoints are authentik's under base, and it
// offers the authorization-code flow with PKCE S256.
func checkDiscovery(m sso.Metadata, issuer, base string) []string {
	var problems []string
	if m.Issuer != issuer {
		problems = append(problems, "issuer "+m.Issuer+", want "+issuer)
	}
	for name, got := range map[string]string{
		"authorization_endpoint": m.AuthorizationEndpoint, "token_endpoint": m.TokenEndpoint,
		"userinfo_endpoint": m.UserinfoEndpoint, "jwks_uri": m.JWKSURI,
	} {
		if !strings.HasPrefix(got, base+"/application/o/") {
			problems = append(problems, name+" "+got+" is not under "+base+"/application/o/")
		}
	}
	if m.JWKSURI != issuer+"jwks/" {
		problems = append(problems, "jwks_uri "+m.JWKSURI+", want the application's "+issuer+"jwks/")
	}
	if !m.SupportsGrant("authorization_code") || !strings.Contains(strings.Join(m.CodeChallengeMethodsSupported, " "), "S256") {
		problems = append(problems, "no authorization-code flow with PKCE S256")
	}
	return problems
}

// The documented answers decode into what the recipe tests read, and the
// documented discovery document passes the discovery check.
func TestParseDocumentedAnswers(t *testing.T) {
	var app application
	decodeFixture(t, "application.json", &app)
	if app.Slug != "rt-1-app" || app.Provider != 4 || app.ProviderObj.PK != app.Provider || app.ProviderObj.Name != app.Name {
		t.Errorf("application %+v", app)
	}
	var providers page[oauth2Provider]
	decodeFixture(t, "providers-oauth2.json", &providers)
	if len(providers.Results) != 1 || providers.Pagination.Count != 1 {
		t.Fatalf("providers %+v", providers)
	}
	p := providers.Results[0]
	if p.ClientID != "rt-app" || p.ClientType != "confidential" || p.SigningKey == "" || p.AssignedApplicationSlug != app.Slug ||
		len(p.RedirectURIs) != 1 || p.RedirectURIs[0].MatchingMode != "strict" {
		t.Errorf("provider %+v", p)
	}
	var users page[akUser]
	decodeFixture(t, "users.json", &users)
	if len(users.Results) != 1 || users.Results[0].Path != "recipe-test/rt-1" || !users.Results[0].IsActive || users.Results[0].Name != "Ada Lovelace" {
		t.Errorf("users %+v", users)
	}
	var m sso.Metadata
	decodeFixture(t, "openid-configuration.json", &m)
	if problems := checkDiscovery(m, "https://authentik.example.com/application/o/rt-1-app/", "https://authentik.example.com"); len(problems) > 0 {
		t.Errorf("documented discovery document: %v", problems)
	}
	m.JWKSURI = "https://elsewhere.example/jwks/"
	m.CodeChallengeMethodsSupported = []string{"plain"}
	if problems := checkDiscovery(m, "https://authentik.example.com/application/o/rt-1-app/", "https://authentik.example.com"); len(problems) != 3 {
		t.Errorf("a wrong discovery document: %v", problems)
	}
}
