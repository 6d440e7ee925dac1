# Installs what building and testing ringmail needs when it is missing (Debian/Ubuntu).
# Sourced by scripts/serve and scripts/test.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ringmail: need root to run: $*" >&2; return 1; fi
}

apt_install() {
  local missing=()
  # Installed means installed: a package removed but not purged still answers `dpkg -s`.
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ringmail: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# RocksDB's bindings are generated with libclang and built with a C++ compiler.
ensure_build_deps() {
  command -v cargo >/dev/null || { echo "ringmail: cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
  apt_install clang libclang-dev g++ make
}

# The integration tests drive the server with real clients.
ensure_test_deps() {
  ensure_build_deps
  command -v python3 >/dev/null || apt_install python3
  # swaks speaks TLS through Net::SSLeay and IO::Socket::SSL, which it only recommends.
  apt_install swaks libnet-ssleay-perl libio-socket-ssl-perl curl openssl fetchmail dnsmasq-base python3-dkim clamav-daemon isync
  # DANE's tests sign a zone with ldns-signzone and validate it with a real unbound (dnssec.py).
  apt_install unbound ldnsutils
  # IP warm-up's test moves the server's clock a day on with libfaketime (test_warmup.py).
  apt_install faketime
  # mutt (header cache, QRESYNC, COMPRESS) drives the IMAP server through `script` (test_mutt.py).
  apt_install mutt bsdutils
  # The cluster's tests share a real Redis between nodes (test_cluster.py).
  apt_install redis-server
  # promtool (in Debian's prometheus package) lints the /metrics output (test_metrics.py).
  apt_install prometheus
  # The dashboard's test drives Debian's headless Chromium through chromedriver with Selenium,
  # which must be importable by the python3 that runs the tests: pip puts it there (a pyenv or
  # venv python), Debian's python3-selenium where pip is missing or refuses (the system python).
  apt_install chromium chromium-driver
  if ! python3 -c 'import selenium' 2>/dev/null; then
    echo "ringmail: installing selenium for $(command -v python3)" >&2
    python3 -m pip install --quiet selenium 2>/dev/null || apt_install python3-selenium
  fi
}

# Where cargo puts the binary.
ringmail_bin() {
  echo "${CARGO_TARGET_DIR:-$(pwd)/target}/release/ringmail"
}
