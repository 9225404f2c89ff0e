#!/usr/bin/env bash
# Makes a release commit and its tag: action.yml is set to run the image
# the release workflow (.github/workflows/release.yml) will publish for the
# tag, committed, and tagged. Push both afterwards (the script prints how);
# the tag's push runs the workflow, which publishes the image and moves the
# major version's tags.
#
# The image is $RECIPE_TEST_REGISTRY/$RECIPE_TEST_IMAGE (default
# ghcr.io/cc-ci/recipe-test), as the workflow's repository variables of the
# same names say.
#
# Usage: scripts/release.sh vMAJOR.MINOR.PATCH
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { echo "release: $*" >&2; }
die() { log "error: $*"; exit 2; }

tag=${1:-}
[[ $tag =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "usage: scripts/release.sh vMAJOR.MINOR.PATCH (got '${tag}')"
registry=${RECIPE_TEST_REGISTRY:-ghcr.io}
image=${RECIPE_TEST_IMAGE:-cc-ci/recipe-test}
ref="docker://${registry,,}/${image,,}:$tag"
git rev-parse -q --verify "refs/tags/$tag" >/dev/null && die "tag $tag exists already"
[[ -z $(git status --porcelain) ]] || die "the work tree has changes: commit or remove them first"
grep -q '^  image: ' action.yml || die "action.yml has no runs.image line"
if grep -qxF "  image: $ref" action.yml; then
	log "action.yml runs $ref already"
else
	sed -i "s|^  image: .*|  image: $ref|" action.yml
	git add action.yml
	git commit -q -m "release $tag: action.yml runs $ref"
fi
git tag "$tag"
log "committed and tagged $tag (action.yml runs $ref)"
log "publish it: git push origin HEAD $tag"
