# Sourced by the set-up scripts: where they cache what they build once per
# machine. $RECIPE_TEST_CACHE, else ~/.cache/recipe-test (internal/testenv's
# CacheDir says the same). Both functions create what they name, so that a
# fresh machine (an empty HOME) needs nothing made beforehand.

# cache_dir prints the cache folder, created if missing.
cache_dir() {
	local dir=${RECIPE_TEST_CACHE:-$HOME/.cache/recipe-test}
	mkdir -p "$dir" || return 1
	printf '%s\n' "$dir"
}

# cache_tmp NAME prints a new temporary folder inside the cache, for a build
# that is moved into place only once it succeeded.
cache_tmp() {
	local dir
	dir=$(cache_dir) || return 1
	mktemp -d "$dir/$1.XXXXXX"
}
