#!/usr/bin/env bash
# Writes the compose stack's .env from .env.example: every `change-me…` value becomes a new random
# secret (the Fernet key in Fernet's format); every other value is kept, unless a variable of the
# same name is set in the environment (ports, CAMPAIGN_TARGET, …):
#
#   scripts/make_env.sh                           # writes ./.env; refuses to overwrite one
#   AIRFLOW_PORT=28080 scripts/make_env.sh /tmp/stack.env
#
# Needs only bash and coreutils (no Python), so it runs on a bare Docker host. The file is
# written with mode 600. Keep CAMPAIGN_HASH_KEY for ever: a new key gives volunteers new keys.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/.env}"
example="$repo/.env.example"
if [[ -e $out ]]; then
  echo "$out exists: not overwriting its secrets (remove it first to start over; docs/deploy.md: rotating secrets)" >&2
  exit 1
fi

# letters and digits only: safe inside URLs (redis://:pw@…) and as command-line arguments
token() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true; }
fernet() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_'; }  # url-safe base64 of 32 bytes, padded

tmp="$(mktemp "$(dirname "$out")/.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]]; then
    name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    if [[ $value == change-me* ]]; then
      if [[ $name == AIRFLOW_FERNET_KEY ]]; then value=$(fernet); else value=$(token); fi
    elif [[ -n ${!name+set} ]]; then
      value=${!name}
    fi
    line="$name=$value"
  fi
  printf '%s\n' "$line"
done <"$example" >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out (new secrets; mode 600)"
