#!/bin/bash
# package_test: builds the weft .deb with CPack, inspects it, installs it into a scratch root
# and verifies the systemd unit (docs/operations.md "The package").
#   package_test.sh BUILD_DIR CAF_NODE
# Fails on: a missing file or wrong mode in the package, lintian *errors* (warnings are
# printed), a failed install, no `weft` user or secret in the scratch root, an example topology
# that `caf-node check` refuses, or `systemd-analyze verify` complaining about the unit.
set -euo pipefail
build=$1
caf_node=$2
work=$(mktemp -d /tmp/weft-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/out/weft_*.deb)
[ -f "$deb" ] || fail "no .deb in $work/out"
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

echo "== dpkg-deb -I"
dpkg-deb -I "$deb" | tee "$work/info"
grep -q '^ Package: weft$' "$work/info" || fail "package is not named weft"
grep -q '^ Depends:.*libc6' "$work/info" || fail "no shared-library dependencies (shlibdeps)"
for s in postinst prerm postrm conffiles; do
  dpkg-deb -I "$deb" "$s" >/dev/null || fail "control file $s missing"
done

echo "== dpkg-deb -c"
dpkg-deb -c "$deb" | tee "$work/contents"
expect() {  # expect MODE PATH
  grep -Eq "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \.$2\$" "$work/contents" \
    || fail "package lacks $2 with mode $1"
}
expect '-rwxr-xr-x' /usr/bin/caf-node
expect '-rw-r--r--' /etc/weft/weft.toml
expect '-rw-r--r--' /etc/default/weft
expect '-rw-r--r--' /etc/logrotate.d/weft
expect '-rw-r--r--' /lib/systemd/system/weft-node.service
expect '-rw-r--r--' /usr/lib/sysusers.d/weft.conf
expect '-rw-r--r--' /usr/share/doc/weft/operations.md
expect '-rw-r--r--' /usr/share/doc/weft/copyright
expect '-rw-r--r--' /usr/share/doc/weft/changelog.gz

echo "== lintian (warnings reported, errors fail)"
lintian --tag-display-limit 0 "$deb" >"$work/lintian" 2>&1 || true
cat "$work/lintian"
echo "lintian: $(grep -c '^E:' "$work/lintian" || true) errors," \
     "$(grep -c '^W:' "$work/lintian" || true) warnings"
# Errors this package cannot fix without a Debian source package: a CPack .deb has no
# source package and no md5sums of its own making; a stripped binary of a RelWithDebInfo
# build is fine.
if grep '^E:' "$work/lintian" | grep -Ev 'no-copyright-file|unstripped-binary-or-object' \
    | grep -q .; then
  fail "lintian errors (above)"
fi

echo "== install into a scratch root"
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# Chrootless: the maintainer scripts run on this machine with DPKG_ROOT set (they honour it);
# dependencies are not in the scratch root's database.
dpkg --root="$root" --force-script-chrootless --force-depends --no-triggers \
  --log=/dev/null -i "$deb" || fail "dpkg --root -i failed"
dpkg --root="$root" -s weft | grep -q '^Status: install ok installed$' \
  || fail "weft not installed in the scratch root"
grep -q '^weft:' "$root/etc/passwd" || fail "postinst made no weft user (scratch /etc/passwd)"
uid=$(awk -F: '$1=="weft"{print $3}' "$root/etc/passwd")
shell=$(awk -F: '$1=="weft"{print $7}' "$root/etc/passwd")
[ "$uid" -lt 1000 ] || fail "weft is not a system user (uid $uid)"
case "$shell" in */nologin|*/false) ;; *) fail "weft has a login shell: $shell" ;; esac
echo "weft user: uid $uid, shell $shell"
secret="$root/etc/weft/cluster.secret"
[ -s "$secret" ] || fail "postinst made no cluster secret"
[ "$(stat -c '%a %u' "$secret")" = "600 $uid" ] \
  || fail "cluster secret is $(stat -c '%a %u' "$secret"), expected 600 owned by weft"
[ "$(stat -c '%u' "$root/var/lib/weft/store")" = "$uid" ] || fail "file store not owned by weft"
secret_before=$(cat "$secret")
# A second configure (an upgrade) keeps the secret.
dpkg --root="$root" --force-script-chrootless --force-depends --no-triggers \
  --log=/dev/null -i "$deb" >/dev/null || fail "re-install failed"
[ "$(cat "$secret")" = "$secret_before" ] || fail "re-install replaced the cluster secret"

echo "== the example topology passes caf-node check"
sed -e "s|/etc/weft/|$root/etc/weft/|; s|/var/lib/weft/|$root/var/lib/weft/|;" \
    -e "s|/var/log/weft/|$root/var/log/weft/|" "$root/etc/weft/weft.toml" >"$root/etc/weft/check.toml"
"$root/usr/bin/caf-node" check --config "$root/etc/weft/check.toml" >"$work/check" \
  || { cat "$work/check"; fail "caf-node check refused the example topology"; }
"$caf_node" version >/dev/null

echo "== systemd-analyze verify"
# --root: ExecStart's /usr/bin/caf-node and the unit are looked up in the scratch root; the
# units it refers to (network-online.target, sysinit.target, ...) are this machine's, copied
# beside it without overwriting the package's.
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
if ! SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$root" \
    "$root/lib/systemd/system/weft-node.service" >"$work/verify" 2>&1; then
  cat "$work/verify"; fail "systemd-analyze verify failed"
fi
cat "$work/verify"
# An unknown or invalid setting is only a message (exit 0): any message about the unit fails.
grep -i 'weft-node.service' "$work/verify" && fail "systemd-analyze verify complained (above)"
echo "systemd-analyze verify: no complaint"
echo "systemd-analyze security (exposure, informational):"
systemd-analyze security --offline=true --root="$root" \
  "$root/lib/systemd/system/weft-node.service" 2>/dev/null | tail -1 || true

echo "== remove and purge"
dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null --purge weft \
  || fail "purge failed"
[ ! -e "$root/usr/bin/caf-node" ] || fail "purge left /usr/bin/caf-node"
[ ! -e "$secret" ] || fail "purge left the cluster secret"
echo "PASS"
