# Shared by scripts/run and scripts/test: installs what the build needs and builds.
# Sourced, not run.

KEEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEEL_PACKAGES=(build-essential cmake ninja-build pkg-config liburing-dev libssl-dev libreadline-dev
               zlib1g-dev libpq-dev postgresql-client-15 postgresql-15 bison flex libgtest-dev
               libbenchmark-dev openssl)

# Installs the Debian packages that are missing (needs root, as on CI).
keel_install_deps() {
  local missing=()
  for pkg in "${KEEL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "keel: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "keel: missing packages and not root; install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# keel_build <build-dir> <cmake args...>: configures (once) and builds with Ninja.
keel_build() {
  local dir=$1; shift
  cmake -S "$KEEL_ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
