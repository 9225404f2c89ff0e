#!/bin/bash

# backupbot's hooks: dump the database into the volume before a backup,
# load the dump after a restore.
set -e

BACKUP_FILE=/var/lib/postgresql/data/backup.sql

case "$1" in
backup)
	pg_dump -U "${POSTGRES_USER}" --clean --if-exists "${POSTGRES_DB}" > "${BACKUP_FILE}"
	;;
restore)
	psql -U "${POSTGRES_USER}" -d "${POSTGRES_DB}" -v ON_ERROR_STOP=1 -f "${BACKUP_FILE}"
	rm -f "${BACKUP_FILE}"
	;;
*)
	echo "usage: $0 backup|restore" >&2
	exit 2
	;;
esac
