package lint

// traefikLabels lists what Traefik would ignore, log or resolve in context
// in the recipe's traefik labels (recipe.LabelIssue): the recipe still
// loads and deploys, as with abra, but a maintainer should know which
// label does not do what it seems to.
func traefikLabels(in *Input) ([]string, string) {
	var out []string
	for _, i := range in.App.Traefik().Issues {
		out = append(out, i.String())
	}
	return out, ""
}
