#!/usr/bin/env bash
# Installs normsctl from the action's own checkout (GITHUB_ACTION_PATH), at the action's own
# ref, with `cargo install --locked`.
#
#   install.sh plan     writes `key` (for actions/cache: the runner OS, the ref and a hash of
#                       the sources, so a moved tag never serves an old build) and `root`
#                       (the install folder) to GITHUB_OUTPUT
#   install.sh install  builds into that root unless the cache restored it, and puts its
#                       bin/ on GITHUB_PATH
set -euo pipefail

src="${GITHUB_ACTION_PATH:?set by GitHub to the action folder}"
out_file="${GITHUB_OUTPUT:-/dev/null}"
# The ref as a folder and key part: letters, digits, `._-` only.
ref=$(printf '%s' "${GITHUB_ACTION_REF:-local}" | tr -c 'A-Za-z0-9._-' '_')
root="${RUNNER_TOOL_CACHE:-$HOME/.cache}/normsctl/$ref"
os="${RUNNER_OS:-$(uname -s)}"

sources_hash() {
  (cd "$src" && find Cargo.toml Cargo.lock src templates -type f 2>/dev/null | LC_ALL=C sort \
    | xargs sha256sum | sha256sum | cut -c1-16)
}

case "${1:-}" in
  plan)
    hash=$(sources_hash)
    printf 'key=normsctl-%s-%s-%s\n' "$os" "$ref" "$hash" >> "$out_file"
    printf 'root=%s\n' "$root" >> "$out_file"
    ;;
  install)
    if [ ! -x "$root/bin/normsctl" ]; then
      cargo install --locked --path "$src" --root "$root"
    fi
    echo "$root/bin" >> "${GITHUB_PATH:-/dev/null}"
    "$root/bin/normsctl" --version
    ;;
  *)
    echo "usage: install.sh plan|install" >&2
    exit 2
    ;;
esac
