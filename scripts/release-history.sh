#!/usr/bin/env bash
# Makes a git repository with a recipe's release history from a folder that
# holds one subfolder per release, named by its tag (testdata/recipes/upgrade
# has 1.0.0+1.0/ and 2.0.0+2.0/): oldest first, each release's files become a
# commit tagged with the folder's name (an annotated tag, as abra recipe
# release makes: lint's R014 wants them). HEAD is the newest release.
#
# Usage: scripts/release-history.sh SRC DEST   (DEST is replaced)
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: $0 SRC DEST" >&2; exit 2; }
src=$(cd "$1" && pwd)
dest=$2
rm -rf "$dest"
mkdir -p "$dest"
git_() { git -C "$dest" -c user.name="recipe-test fixtures" -c user.email=fixtures@recipe-test.invalid "$@"; }
git_ init -q
# Version order of the recipe part (before "+"), as the tags sort.
mapfile -t releases < <(cd "$src" && for d in */; do echo "${d%/}"; done | sort -t+ -k1,1V)
[[ ${#releases[@]} -gt 0 ]] || { echo "$0: no release folders in $src" >&2; exit 1; }
for tag in "${releases[@]}"; do
	find "$dest" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
	cp -a "$src/$tag/." "$dest/"
	git_ add -A
	git_ commit -q -m "release $tag"
	git_ tag -a -m "release $tag" "$tag" # annotated, as abra recipe release makes them
done
echo "$dest: releases ${releases[*]}" >&2
