#!/bin/bash
# The official Ghost image's entrypoint, as it behaves: when it runs Ghost
# (node current/index.js), seed the content volume from content.orig (each
# folder that is missing, so a restored or upgraded volume keeps its data),
# hand it to the user node and drop to that user.
set -e
if [[ "$*" == node*current/index.js* ]]; then
	baseDir="$GHOST_INSTALL/content.orig"
	for src in "$baseDir"/*/ "$baseDir"/themes/*; do
		src="${src%/}"
		target="$GHOST_CONTENT/${src#"$baseDir"/}"
		mkdir -p "$(dirname "$target")"
		if [ ! -e "$target" ]; then
			tar -cC "$(dirname "$src")" "$(basename "$src")" | tar -xC "$(dirname "$target")"
		fi
	done
	if [ "$(id -u)" = 0 ]; then
		find "$GHOST_CONTENT" \! -user node -exec chown node:node '{}' +
		exec gosu node "$BASH_SOURCE" "$@"
	fi
fi
exec "$@"
