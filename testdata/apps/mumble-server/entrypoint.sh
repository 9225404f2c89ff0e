#!/bin/bash
# The stand-in's entrypoint, following the official image's documented
# environment: the server's configuration is written afresh on every start
# to /data/mumble_server_config.ini from MUMBLE_CONFIG_<KEY> variables (KEY
# is any key the server's ini file knows, matched without case and
# underscores; an unknown one stops the start), on top of the image's
# defaults; MUMBLE_CUSTOM_CONFIG_FILE names a file to use instead;
# MUMBLE_SUPERUSER_PASSWORD sets the SuperUser's password before the server
# starts; MUMBLE_VERBOSE=true adds -v. Then it runs the command it was given
# (by default the server in the foreground) with -ini and that file.
set -euo pipefail

data=/data
known=/etc/mumble/bare_config.ini
config=$data/mumble_server_config.ini
cmd=("$@")

case "${1:-}" in
bash | sh) exec "$@" ;;
esac

# key_for VAR prints the ini key a MUMBLE_CONFIG_ variable names, or
# nothing when the ini file knows no such key.
key_for() {
	local want=${1#MUMBLE_CONFIG_} key
	want=${want//_/}
	want=${want,,}
	while IFS= read -r key; do
		if [[ "${key,,}" == "$want" ]]; then
			printf '%s\n' "$key"
			return
		fi
	done < <(sed -nE 's/^[;#]?[[:space:]]*([A-Za-z0-9_]+)=.*/\1/p' "$known" | sort -u)
}

if [[ -n "${MUMBLE_CUSTOM_CONFIG_FILE:-}" && -f "$MUMBLE_CUSTOM_CONFIG_FILE" ]]; then
	echo "Using the configuration file $MUMBLE_CUSTOM_CONFIG_FILE; MUMBLE_CONFIG_ variables are ignored"
	config=$MUMBLE_CUSTOM_CONFIG_FILE
else
	declare -A settings=(
		[database]="$data/murmur.sqlite"
		[port]=64738
		[users]=100
		[welcometext]='"<br />Welcome to this server, running the official Mumble Docker image.<br />Enjoy your stay!<br />"'
	)
	while IFS='=' read -r -d '' var value; do
		[[ "$var" == MUMBLE_CONFIG_* ]] || continue
		key=$(key_for "$var")
		if [[ -z "$key" ]]; then
			echo "[ERROR]: no configuration key corresponds to the variable $var" >&2
			exit 1
		fi
		settings[$key]=$value
	done < <(env -0)
	{
		echo "# Written from the MUMBLE_CONFIG_* environment variables on every start"
		for key in "${!settings[@]}"; do
			echo "Setting $key" >&2
			printf '%s=%s\n' "$key" "${settings[$key]}"
		done
	} >"$config"
fi

[[ "${MUMBLE_VERBOSE:-}" != true ]] || cmd+=(-v)
cmd+=(-ini "$config")

if [[ -n "${MUMBLE_SUPERUSER_PASSWORD:-}" ]]; then
	"${cmd[@]}" -supw "$MUMBLE_SUPERUSER_PASSWORD"
	echo "SuperUser password set"
fi
echo "Running as uid=$(id -u) gid=$(id -g); $data: $(stat -c '%A %U:%G' "$data")"
echo "Starting: ${cmd[*]}"
exec "${cmd[@]}"
