#!/usr/bin/env bash
# The normsctl GitHub Action's work (action.yml runs this; tests/cli/forge_action.rs runs it
# with the variables GitHub sets). One mode per run, from NORMSCTL_MODE:
#
#   check   validate with annotations; on a pull request also the change rules against the
#           base branch (`validate --base`) and the Markdown diff in the job summary, with
#           who must acknowledge if the pull request merges (counts per team, by when);
#           optionally a SARIF file for code scanning. Exits as `validate` does.
#   sync    exchange the acknowledgement ledger with the remote (`acks sync`).
#   build   render the site (`build --out`).
#   remind  `acks remind` with NORMSCTL_ARGS (for example `--send smtp --send webhook`; the
#           secrets come as environment variables the settings name).
#
# Inputs (environment): NORMSCTL_MODE, NORMSCTL_DIRECTORY (the handbook folder, default .),
# NORMSCTL_STRICT (true/false), NORMSCTL_BASE (a revision; default origin/$GITHUB_BASE_REF on
# a pull request), NORMSCTL_SARIF (true/false), NORMSCTL_OUT (build's folder),
# NORMSCTL_ARGS (more arguments, split on whitespace).
# From GitHub: GITHUB_EVENT_NAME, GITHUB_BASE_REF, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
# RUNNER_TEMP. Outputs (to GITHUB_OUTPUT): exit-code, errors, warnings, sarif-file, site-dir.
set -uo pipefail

mode="${NORMSCTL_MODE:-check}"
dir="${NORMSCTL_DIRECTORY:-.}"
out_file="${GITHUB_OUTPUT:-/dev/null}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
read -r -a extra <<< "${NORMSCTL_ARGS:-}"

cd "$dir" || { echo "::error title=normsctl::no folder $dir (input working-directory)"; exit 2; }
export NO_COLOR=1

output() { printf '%s=%s\n' "$1" "$2" >> "$out_file"; }
is_true() { [ "${1:-false}" = "true" ]; }

check() {
  local base="${NORMSCTL_BASE:-}"
  # GitHub sets GITHUB_BASE_REF on pull request events only.
  if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then base="origin/$GITHUB_BASE_REF"; fi
  local flags=()
  if is_true "${NORMSCTL_STRICT:-}"; then flags+=(--strict); fi
  if [ -n "$base" ]; then
    # The base branch may be missing from the checkout; fetch it (history stays as deep as
    # the checkout made it: `--base` asks for fetch-depth: 0 when it is shallow).
    if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null && [ -n "${GITHUB_BASE_REF:-}" ]; then
      git fetch --no-tags --quiet origin \
        "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" || true
    fi
    flags+=(--base "$base")
  fi
  flags+=("${extra[@]}")

  # Annotations on the pull request: GitHub reads the workflow commands on stdout.
  normsctl validate --format github "${flags[@]}"
  local code=$?
  output exit-code "$code"

  # Counts from the JSON report (pretty-printed: one key a line), without jq.
  local json errors warnings
  json=$(normsctl validate --format json "${flags[@]}" 2>/dev/null || true)
  errors=$(printf '%s\n' "$json" | sed -n 's/^ *"errors": \([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
  warnings=$(printf '%s\n' "$json" | sed -n 's/^ *"warnings": \([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
  output errors "${errors:-0}"
  output warnings "${warnings:-0}"

  if is_true "${NORMSCTL_SARIF:-}"; then
    local sarif="$temp/normsctl.sarif"
    normsctl validate --format sarif "${flags[@]}" > "$sarif" 2>/dev/null
    output sarif-file "$sarif"
  fi

  {
    echo "## normsctl check"
    echo
    if [ "$code" -ge 2 ]; then
      echo "normsctl could not check the handbook:"
      echo
      echo '```text'
      normsctl validate "${flags[@]}" 2>&1 >/dev/null | sed 's/```/` ` `/g'
      echo '```'
    else
      if [ -n "$base" ]; then echo "Against \`$base\`:"; echo; fi
      echo '```text'
      normsctl validate "${flags[@]}" 2>/dev/null | sed 's/```/` ` `/g'
      echo '```'
      if [ -n "$base" ]; then
        echo
        echo "### What changes against \`$base\`"
        echo
        normsctl diff "$base" --format markdown 2>&1 || echo "(the diff could not be computed)"
      fi
    fi
  } >> "$summary"
  return "$code"
}

sync() {
  # A merge commit needs an author; Actions runners have none configured.
  if [ -z "$(git config user.email || true)" ]; then
    export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}"
    export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
    export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
    export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"
  fi
  normsctl acks sync "${extra[@]}"
  local code=$?
  output exit-code "$code"
  { echo "## normsctl sync"; echo; [ "$code" = 0 ] && echo "The ledger is in sync with the remote." || echo "\`acks sync\` failed (exit $code): see the log."; } >> "$summary"
  return "$code"
}

build() {
  local out="${NORMSCTL_OUT:-site}"
  normsctl build --out "$out" "${extra[@]}"
  local code=$?
  output exit-code "$code"
  if [ "$code" = 0 ]; then
    output site-dir "$(cd "$out" && pwd)"
    { echo "## normsctl build"; echo; echo "The site is in \`$out\`."; } >> "$summary"
  fi
  return "$code"
}

remind() {
  local err code
  err=$(mktemp)
  normsctl acks remind "${extra[@]}" 2> "$err"
  code=$?
  cat "$err" >&2
  if [ "$code" = 2 ] && grep -q "unrecognized subcommand" "$err"; then
    echo "::error title=normsctl remind::this normsctl has no \`acks remind\`: the remind mode needs a normsctl with the reminders feature"
  fi
  rm -f "$err"
  output exit-code "$code"
  { echo "## normsctl remind"; echo; [ "$code" = 0 ] && echo "Reminders done." || echo "\`acks remind\` failed (exit $code): each message not sent is named in the log."; } >> "$summary"
  return "$code"
}

case "$mode" in
  check) check ;;
  sync) sync ;;
  build) build ;;
  remind) remind ;;
  *) echo "::error title=normsctl::unknown mode '$mode' (check, sync, build or remind)"; exit 2 ;;
esac
