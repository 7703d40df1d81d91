#!/usr/bin/env bash
# `make bundle`: everything a machine with no internet needs to install and run the project, in
# one folder (default dist/campaign-warehouse-<version>-<python>-<platform>/):
#
#   INSTALL.md       the two ways in: pip from the wheelhouse, or docker load + docker compose
#   project/         this repository's tracked files
#   npm-cache/       npm's cache holding the Data Docs' web assets (vendor/package-lock.json)
#   wheelhouse/      a wheel of every pin in requirements.lock and requirements-celery.lock, for
#                    this machine's Python and platform (sdists are built into wheels here, so the
#                    offline install needs no compiler and no build tools)
#   images/campaign-images.tar   `docker save` of the compose stack's images
#   SHA256SUMS       of every file above
#
# Environment: BUNDLE_DIR (the folder; replaced), BUNDLE_IMAGES=0 (leave the images out, e.g. on a
# machine without Docker). pip's cache makes a rebuild of the wheelhouse quick.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
py="$repo/.venv/bin/python"
cd "$repo"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
tag=$("$py" -c 'import sys, sysconfig; print(f"py{sys.version_info[0]}{sys.version_info[1]}-{sysconfig.get_platform()}")')
out="${BUNDLE_DIR:-$repo/dist/campaign-warehouse-$version-$tag}"
images=(campaign-airflow:3.3.2 postgres:15 redis:7)   # the images docker-compose.yml names

rm -rf "$out"
mkdir -p "$out/project" "$out/wheelhouse"
echo "-> project: the tracked files of $repo"
git ls-files -z | tar --null -T - -c | tar -x -C "$out/project"

echo "-> wheelhouse: requirements.lock + requirements-celery.lock for $tag"
"$py" -m pip wheel --disable-pip-version-check -q --wheel-dir "$out/wheelhouse" \
  -r requirements.lock -r requirements-celery.lock
echo "   $(ls "$out/wheelhouse" | wc -l) wheels"

echo "-> npm-cache: the Data Docs' web assets of vendor/package-lock.json"
assets=$(mktemp -d)
cp vendor/package.json vendor/package-lock.json vendor/.npmrc "$assets/"
npm ci --prefix "$assets" --cache "$out/npm-cache" >/dev/null   # fills the cache the offline install reads
rm -rf "$assets"

if [[ ${BUNDLE_IMAGES:-1} != 0 ]]; then
  command -v docker >/dev/null && docker info >/dev/null 2>&1 \
    || { echo "no Docker engine answers: cannot save the images (BUNDLE_IMAGES=0 leaves them out)" >&2; exit 1; }
  echo "-> images: docker compose build, then docker save ${images[*]}"
  docker compose --env-file .env.example build -q   # any values do for a build; the secrets stay out
  mkdir -p "$out/images"
  docker save -o "$out/images/campaign-images.tar" "${images[@]}"
else
  echo "-> images: left out (BUNDLE_IMAGES=0)"
fi

sed -e "s/@VERSION@/$version/g" -e "s/@PLATFORM@/$tag/g" scripts/bundle_install.md >"$out/INSTALL.md"
[[ -d $out/images ]] || printf '\n**This bundle holds no images** (made with `BUNDLE_IMAGES=0`): way 2 needs a bundle made on a machine with Docker.\n' >>"$out/INSTALL.md"
(cd "$out" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
echo "bundle: $out ($(du -sh "$out" | cut -f1))"
