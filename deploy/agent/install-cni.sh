#!/bin/sh
# Init container of the talaria-agent DaemonSet: installs the chained CNI plugin on the node.
# - copies node and the application (this image's /opt/talaria) to <host>/opt/talaria,
#   which the plugin runs from (the container runtime calls it on the host, outside any
#   container);
# - writes <host>/opt/cni/bin/talaria-cni;
# - appends {"type": "talaria-cni", ...} to the plugins of the node's first conflist,
#   unless it is there already (the runtime then chains it after the cluster's CNI).
# HOST_ROOT (default /host) is where the node's filesystem is mounted.
# The plugin never blocks a pod: whatever fails in it leaves the pod on the kernel path
# (src/agent/cni-plugin.ts). Nor does this script: without a conflist it chains nothing,
# says so, and the node's pods keep the kernel path until the agent restarts.
set -eu
HOST_ROOT=${HOST_ROOT:-/host}
APP=${TALARIA_APP:-/opt/talaria}
PODS_DIR=${TALARIA_PODS_DIR:-/run/talaria/pods}
POD_MTU=${TALARIA_POD_MTU:-}
target="$HOST_ROOT/opt/talaria"
cni_bin="$HOST_ROOT/opt/cni/bin"
cni_conf="$HOST_ROOT/etc/cni/net.d"

mkdir -p "$target" "$cni_bin"
cp "$(command -v node)" "$target/node.new" && mv -f "$target/node.new" "$target/node"
rm -rf "$target/app.new"
cp -a "$APP" "$target/app.new"
rm -rf "$target/app.old"
if [ -d "$target/app" ]; then mv "$target/app" "$target/app.old"; fi
mv "$target/app.new" "$target/app"
rm -rf "$target/app.old"

cat > "$cni_bin/talaria-cni.new" <<'SHIM'
#!/bin/sh
exec /opt/talaria/node /opt/talaria/app/dist/cli/talaria.js agent --mode cni
SHIM
chmod 755 "$cni_bin/talaria-cni.new"
mv -f "$cni_bin/talaria-cni.new" "$cni_bin/talaria-cni"

conflist=$(ls "$cni_conf"/*.conflist 2>/dev/null | sort | head -n 1)
if [ -z "$conflist" ]; then
  echo "install-cni: no *.conflist in $cni_conf (the cluster's CNI is not installed yet): talaria-cni not chained, pods keep the kernel path" >&2
  exit 0
fi
node - "$conflist" "$PODS_DIR" "$POD_MTU" <<'PATCH'
const fs = require('fs');
const [file, podsDir, podMtu] = process.argv.slice(2);
const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
if (!Array.isArray(conf.plugins)) throw new Error(`${file}: no "plugins" list`);
if (conf.plugins.some((p) => p.type === 'talaria-cni')) {
  console.log(`install-cni: ${file} already chains talaria-cni`);
  process.exit(0);
}
conf.plugins.push({ type: 'talaria-cni', podsDir, ...(podMtu ? { podMtu: Number(podMtu) } : {}) });
fs.writeFileSync(`${file}.talaria-new`, JSON.stringify(conf, null, 2) + '\n');
fs.renameSync(`${file}.talaria-new`, file);
console.log(`install-cni: chained talaria-cni into ${file}`);
PATCH
