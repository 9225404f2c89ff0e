// Package harness is what a recipe's own tests import: the facts of the run
// they test (domain, base URL, stack, services, the ingress, secret
// values), as a typed Env, and helpers in the style of Terratest's, for
// this world: an HTTP client through the run's ingress with retries of
// what is retryable, TCP and UDP connections through the same ingress
// (DialTCP, DialUDP), waits with deadlines, JSON requests, a cookie jar,
// exec in a service's container, files from volumes, run-scoped
// credentials that are never logged, and a browser (chromedp and the system
// Chromium) through the same ingress.
//
// The runner's custom stage writes the facts to a JSON file and names it in
// $RECIPE_TEST_FACTS when it runs the tests. Run with plain `go test`,
// without it, every test that asks for its Env skips, saying so.
//
// It is the module's public package so that a recipe's tests may also live
// in the recipe's own repository, as a module that requires a released
// recipe-test (see docs/enroll-recipe.md); the facts file is the contract
// between such tests and the runner that runs them.
package harness

import "github.com/cc-ci/recipe-test/v2/internal/facts"

// FactsEnv names the environment variable holding the facts file's path.
const FactsEnv = facts.EnvVar

// Facts are what the runner knows about the deployed app under test (the
// facts file's JSON model, shared with the runner).
type Facts = facts.Facts

// Stream is a TCP or UDP way into the app, as the tests reach it.
type Stream = facts.Stream

// Dependency is what the run knows of an app deployed for this one.
type Dependency = facts.Dependency
