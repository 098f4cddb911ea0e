# Sourced by the benchmark scripts that run on a PostgreSQL server of the
# user's (ADMIN_URL): the helpers they share.

# require_tools TOOL...   exits 2 naming the first one missing
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
    done
}

# Sets BIN to the release build of this checkout, unless BIN= names a binary
# built elsewhere (another commit, for before/after).
release_bin() {
    if [ -z "${BIN:-}" ]; then
        (cd "$ROOT" && cargo build --release --quiet)
        BIN="$ROOT/target/release/tributary"
    fi
}

# db_url NAME   ADMIN_URL with its database replaced by NAME
db_url() {
    python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$ADMIN_URL" "$1"
}
