#!/usr/bin/env bash
# make k8s-artifacts: the pinned Kubernetes node packages, image archives and binaries, built from the
# Go module proxy alone, or reused from a cache keyed by the pins. The last line printed is the
# artifact directory; docs/k8s-artifacts.md describes its contents.
#
# Usage: build.sh [--print-dir]
# Environment: OME_K8S_ARTIFACTS_CACHE (default /var/cache/ome-k8s/k8s-artifacts) is where the
# directories live, one per key; GOCACHE and GOMODCACHE keep Go's defaults, outside the repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${OME_K8S_ARTIFACTS_CACHE:-/var/cache/ome-k8s/k8s-artifacts}
python=${PYTHON:-python3}
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS=-mod=readonly GOTOOLCHAIN=local
started=$SECONDS

# shellcheck source=tools/lib/apt.sh
. "$here/../lib/apt.sh"
# shellcheck source=tools/lib/iptables_image.sh
. "$here/../lib/iptables_image.sh"

say() { printf 'k8s-artifacts: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

# --- pins --------------------------------------------------------------------------------------------
# Each component is a Go module of its own under tools/k8s/<dir>, so that every component builds with
# the dependency versions its own release was tested with.
declare -A module=(
    [kubernetes]=k8s.io/kubernetes
    [etcd]=go.etcd.io/etcd/server/v3
    [coredns]=github.com/coredns/coredns
    [cri-tools]=sigs.k8s.io/cri-tools
    [cni-plugins]=github.com/containernetworking/plugins
    [flannel]=github.com/flannel-io/flannel
    [local-path-provisioner]=github.com/rancher/local-path-provisioner
    [traefik]=github.com/traefik/traefik/v3
    [victorialogs]=github.com/VictoriaMetrics/VictoriaLogs
)
declare -A version=()

for dir in "${!module[@]}"; do
    mod=${module[$dir]}
    ver=$(cd "$here/$dir" && go mod edit -json | "$python" -c '
import json, sys
print(next((r["Version"] for r in json.load(sys.stdin).get("Require") or [] if r["Path"] == sys.argv[1]), ""))' "$mod")
    [[ -n $ver ]] || die "tools/k8s/$dir/go.mod does not require $mod"
    if ! out=$(cd "$here/$dir" && go mod download -json "$mod@$ver" 2>&1); then
        reason=$("$python" -c 'import json,sys; print(json.loads(sys.stdin.read()).get("Error", ""))' <<<"$out" 2>/dev/null || true)
        die "the pin $mod $ver (tools/k8s/$dir/go.mod) does not resolve through GOPROXY=$(go env GOPROXY): ${reason:-$out}"
    fi
    version[$dir]=$ver
done

kver=${version[kubernetes]}
[[ $kver =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "k8s.io/kubernetes $kver is not a release version v1.MINOR.PATCH"
kminor=${BASH_REMATCH[1]}
staging=v0.$kminor.${BASH_REMATCH[2]}
# Every staging module (required at v0.0.0 by k8s.io/kubernetes) is replaced by the same release.
kdir=$(cd "$here/kubernetes" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
wanted=$(sed -n 's|^\t\(k8s\.io/[^ ]*\) => \./staging/.*|\1|p' "$kdir/go.mod" | sort)
have=$(sed -n "s|^\t\(k8s\.io/[^ ]*\) => \1 $staging\$|\1|p" "$here/kubernetes/go.mod" | sort)
[[ -n $wanted && $wanted == "$have" ]] ||
    die "tools/k8s/kubernetes/go.mod must replace exactly the staging modules of k8s.io/kubernetes $kver with version $staging; differences: $(diff <(echo "$wanted") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"

# The local-path provisioner's helper pods run its setup and teardown scripts with /bin/sh, which no Go
# module provides: Debian's statically linked busybox, pinned to one file of the Debian archive.
busybox_deb=busybox-static_1.35.0-4+deb12u1+b1_amd64.deb
busybox_sha256=3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744
debian_mirror=${DEBIAN_MIRROR:-https://deb.debian.org/debian}
busybox_version=${busybox_deb#busybox-static_}
busybox_version=${busybox_version%%-*}

# --- cache -------------------------------------------------------------------------------------------
# The key covers everything that shapes the output: the Go version, the go.mod/go.sum pins and the
# scripts and packaging files of tools/k8s.
key=$( (
    go env GOVERSION
    cd "$here" && find . -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
) | sha256sum | cut -c1-16)
final=$cache_root/kubernetes-$kver-$key
# --print-dir: only say which directory these pins give (a CI cache can be keyed on it).
if [[ ${1:-} == --print-dir ]]; then
    echo "$final"
    exit 0
fi
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9

if [[ -e $final ]]; then
    "$python" "$here/manifest.py" verify "$final" ||
        die "the cached artifacts in $final are damaged and were not used; remove that directory and run again"
    built=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["build_seconds"])' "$final/manifest.json")
    echo "build: ${built} s (when $final was made)"
    echo "cached re-run: $((SECONDS - started)) s"
    echo "$final"
    exit 0
fi

# What a build needs from Debian, installed before an hour of compiling rather than found missing after it:
# flanneld is built with cgo (gcc, libc6-dev), the kube-proxy and flannel images carry this machine's iptables
# and nft, busybox comes as a .deb (curl, dpkg-deb).
apt_install gcc libc6-dev iptables nftables curl >&2

# Directories of builds that were interrupted (the lock is ours, so none is still being written).
for stale in "$cache_root"/.building-*; do
    [[ -e $stale ]] || continue
    say "removing $stale, left by an interrupted build"
    rm -rf "$stale"
done
work=$cache_root/.building-$key
meta=$(mktemp -d)
mkdir -p "$work"/{bin/cni,debs,images,manifests}
trap 'rm -rf "$work" "$meta"' EXIT

# --- downloads --------------------------------------------------------------------------------------
# Before the long compile, so that a pin the mirror no longer serves stops the build at once.
busybox_url=$debian_mirror/pool/main/b/busybox/$busybox_deb
say "download $busybox_url"
curl -fsSL --retry 3 -o "$meta/$busybox_deb" "$busybox_url" ||
    die "cannot download $busybox_url (the pin busybox_deb in tools/k8s/build.sh; DEBIAN_MIRROR names another mirror)"
got=$(sha256sum "$meta/$busybox_deb" | cut -d' ' -f1)
[[ $got == "$busybox_sha256" ]] ||
    die "$busybox_url has sha256 $got, not the pinned $busybox_sha256: not used"
dpkg-deb -x "$meta/$busybox_deb" "$meta/busybox"

# --- binaries ----------------------------------------------------------------------------------------
go_build() { # <module dir> <ldflags> <go build arguments...>
    local dir=$1 ldflags=$2
    shift 2
    say "go build in tools/k8s/$dir: $*"
    (cd "$here/$dir" && go build -trimpath -ldflags "-s -w $ldflags" "$@")
}

build_date=$(cd "$here/kubernetes" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
kflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kflags+=" -X $pkg.gitVersion=$kver -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kminor"
    kflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit= -X $pkg.buildDate=$build_date"
done
kube_commands=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
go_build kubernetes "$kflags" -o "$work/bin/" "${kube_commands[@]/#/k8s.io/kubernetes/cmd/}"

got=$("$work/bin/kubeadm" version -o short)
[[ $got == "$kver" ]] || die "kubeadm reports version $got, not $kver: the version ldflags did not apply"

# kubeadm decides the images and their tags; the etcd and CoreDNS pins must be the versions it lists.
mapfile -t images < <("$work/bin/kubeadm" config images list --kubernetes-version "$kver" 2>/dev/null)
declare -A tag=()
for ref in "${images[@]}"; do
    name=${ref%:*}
    tag[${name##*/}]=${ref##*:}
done
[[ ${tag[etcd]:-} == "${version[etcd]#v}-"* ]] ||
    die "kubeadm $kver uses etcd ${tag[etcd]:-?} but tools/k8s/etcd/go.mod pins ${version[etcd]}"
[[ ${tag[coredns]:-} == "${version[coredns]}" ]] ||
    die "kubeadm $kver uses CoreDNS ${tag[coredns]:-?} but tools/k8s/coredns/go.mod pins ${version[coredns]}"
[[ -n ${tag[pause]:-} ]] || die "kubeadm $kver lists no pause image: ${images[*]}"

go_build etcd "" -o "$work/bin/etcd" go.etcd.io/etcd/server/v3
go_build coredns "-X github.com/coredns/coredns/coremain.GitCommit=${version[coredns]}" -o "$work/bin/coredns" github.com/coredns/coredns
go_build cri-tools "-X sigs.k8s.io/cri-tools/pkg/version.Version=${version[cri-tools]}" -o "$work/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl
mapfile -t cni < <(sed -n 's|^\t\(github.com/containernetworking/plugins/plugins/.*\)|\1|p' "$here/cni-plugins/go.mod")
go_build cni-plugins "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${version[cni-plugins]}" -o "$work/bin/cni/" "${cni[@]}"
go_build pause "-X main.version=${tag[pause]}" -o "$work/bin/pause" .
# flanneld for cluster_addons_cni: flannel. On amd64 its UDP backend is C (cgo), so flanneld alone is
# built with cgo, as flannel's own Makefile does, and linked statically; netgo and osusergo keep the
# name and user lookups in Go, so that the static binary needs no glibc NSS modules.
CGO_ENABLED=1 go_build flannel "-X github.com/flannel-io/flannel/pkg/version.Version=${version[flannel]} -extldflags=-static" \
    -tags netgo,osusergo -o "$work/bin/flanneld" github.com/flannel-io/flannel
got=$("$work/bin/flanneld" --version 2>&1)
[[ $got == "${version[flannel]}" ]] || die "flanneld reports version $got, not ${version[flannel]}: the version ldflags did not apply"
! ldd "$work/bin/flanneld" >/dev/null 2>&1 || die "flanneld is not statically linked: $(ldd "$work/bin/flanneld" | tr '\n' ' ')"
# local-path-provisioner for cluster_addons_storage_provisioner: local-path; main.VERSION is the variable
# its own scripts/build stamps.
go_build local-path-provisioner "-X main.VERSION=${version[local-path-provisioner]}" \
    -o "$work/bin/local-path-provisioner" github.com/rancher/local-path-provisioner
got=$("$work/bin/local-path-provisioner" --version 2>&1)
[[ $got == *" ${version[local-path-provisioner]}" ]] ||
    die "local-path-provisioner reports '$got', not ${version[local-path-provisioner]}: the version ldflags did not apply"
# traefik for cluster_addons_gateway: traefik, with the version, codename and date its release workflow
# stamps (the codename of the release line is in that workflow, .github/workflows/release.yaml).
traefik_dir=$(cd "$here/traefik" && go list -m -f '{{.Dir}}' "${module[traefik]}")
traefik_codename=$(sed -n 's/^ *CODENAME: *//p' "$traefik_dir/.github/workflows/release.yaml")
traefik_date=$(cd "$here/traefik" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "${module[traefik]}")
[[ -n $traefik_codename ]] || die "no CODENAME in .github/workflows/release.yaml of ${module[traefik]} ${version[traefik]}"
traefik_version=github.com/traefik/traefik/v3/pkg/version
go_build traefik "-X $traefik_version.Version=${version[traefik]} -X $traefik_version.Codename=$traefik_codename -X $traefik_version.BuildDate=$traefik_date" \
    -o "$work/bin/traefik" "${module[traefik]}/cmd/traefik"
"$work/bin/traefik" version | grep -Eq "^Version: +${version[traefik]}\$" ||
    die "traefik reports $("$work/bin/traefik" version | head -1), not ${version[traefik]}: the version ldflags did not apply"
# victoria-logs and vlagent for cluster_addons_logging, stamped as VictoriaLogs' Makefile does
# (lib/buildinfo.Version: <app>-<date>-tags-<version>, here without the commit, which the proxy does not
# tell); upstream builds vlagent with cgo only for an optional zstd library, the pure Go one serves here.
vl_version=github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version
vl_date=$(cd "$here/victorialogs" && go list -m -f '{{.Time.UTC.Format "20060102-150405"}}' "${module[victorialogs]}")
for app in victoria-logs vlagent; do
    go_build victorialogs "-X $vl_version=$app-$vl_date-tags-${version[victorialogs]}" \
        -o "$work/bin/$app" "${module[victorialogs]}/app/$app"
    got=$("$work/bin/$app" -version)
    [[ $got == "$app-$vl_date-tags-${version[victorialogs]}" ]] ||
        die "$app reports version '$got', not ${version[victorialogs]}: the version ldflags did not apply"
done
# The Gateway API's standard CRDs from the module traefik is built against, in one file as the release's
# standard-install.yaml, in the order of the module's config/crd/kustomization.yaml.
gateway_api_dir=$(cd "$here/traefik" && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
gateway_api_version=$(cd "$here/traefik" && go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)
gateway_api_crds=gateway-api-$gateway_api_version-standard-install.yaml
mapfile -t crds < <(sed -n 's|^ *- \(standard/.*\.yaml\)$|\1|p' "$gateway_api_dir/config/crd/kustomization.yaml")
[[ ${#crds[@]} -gt 0 ]] || die "no standard CRDs listed in config/crd/kustomization.yaml of sigs.k8s.io/gateway-api $gateway_api_version"
for crd in "${crds[@]}"; do
    printf -- '---\n'
    cat "$gateway_api_dir/config/crd/$crd"
done >"$work/manifests/$gateway_api_crds"

# --- .deb packages -----------------------------------------------------------------------------------
# Laid out and versioned like the upstream packages (VERSION-REVISION), so that the node role's
# local_debs source installs them: kubeadm depends on kubelet, kubectl and cri-tools, the kubelet on
# the CNI plugins.
export SOURCE_DATE_EPOCH=0
deb() { # <package> <version> <depends> <description> then "source=destination" pairs
    local package=$1 pversion=$2 depends=$3 description=$4 root pair
    shift 4
    root=$(mktemp -d "$work/deb.XXXXXX")
    chmod 0755 "$root"
    mkdir -p "$root/DEBIAN"
    for pair in "$@"; do
        install -D -m "$([[ -x ${pair%%=*} ]] && echo 0755 || echo 0644)" "${pair%%=*}" "$root/${pair#*=}"
    done
    for script in postinst prerm postrm; do
        if [[ -e $here/debian/$package.$script ]]; then
            install -m 0755 "$here/debian/$package.$script" "$root/DEBIAN/$script"
        fi
    done
    cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $pversion
Architecture: amd64
Maintainer: OME team <ome-devel@lists.openmicroscopy.org.uk>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
${depends:+Depends: $depends
}Section: admin
Priority: optional
Homepage: https://kubernetes.io
Description: $description
 Built by ome.k8s (tools/k8s/build.sh) from the Go module proxy for sites without internet access.
EOF
    dpkg-deb --root-owner-group -Zgzip --build "$root" "$work/debs/${package}_${pversion}_amd64.deb" >/dev/null
    rm -rf "$root"
}

kdeb=${kver#v}-1
cni_args=()
for plugin in "$work"/bin/cni/*; do
    cni_args+=("$plugin=opt/cni/bin/${plugin##*/}")
done
deb kubernetes-cni "${version[cni-plugins]#v}-1" "" "container networking plugins (CNI) for the kubelet" "${cni_args[@]}"
deb cri-tools "${version[cri-tools]#v}-1" "" "crictl, the command line client of CRI runtimes" "$work/bin/crictl=usr/bin/crictl"
deb kubectl "$kdeb" "" "kubectl, the Kubernetes command line client" "$work/bin/kubectl=usr/bin/kubectl"
deb kubelet "$kdeb" "iptables, iproute2, mount, util-linux, ethtool, conntrack, socat, kubernetes-cni (>= 1.2.0)" \
    "kubelet, the Kubernetes node agent" \
    "$work/bin/kubelet=usr/bin/kubelet" "$here/debian/kubelet.service=usr/lib/systemd/system/kubelet.service"
deb kubeadm "$kdeb" "kubelet (>= 1.$((kminor - 1)).0), kubectl (>= 1.$((kminor - 1)).0), cri-tools (>= 1.30.0)" \
    "kubeadm, which bootstraps and upgrades Kubernetes clusters" \
    "$work/bin/kubeadm=usr/bin/kubeadm" "$here/debian/10-kubeadm.conf=usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"

# --- images ------------------------------------------------------------------------------------------
# kube-proxy and flanneld run iptables or nft: Debian's binaries of this machine, with the libraries they load.
mapfile -t proxy_adds < <(iptables_image_adds /usr/sbin/nft)

: >"$meta/images.jsonl"
image() { # <reference> <image_archive.py arguments...>
    local ref=$1 file
    shift
    file=$(sed 's|[/:]|_|g' <<<"$ref").tar
    say "image $ref"
    "$python" "$here/image_archive.py" --ref "$ref" --out "$work/images/$file" "$@" >>"$meta/images.jsonl"
}
for ref in "${images[@]}"; do
    name=${ref%:*}
    name=${name##*/}
    case $name in
    kube-proxy) image "$ref" --add "$work/bin/$name=/usr/local/bin/$name" --entrypoint "[\"/usr/local/bin/$name\"]" "${proxy_adds[@]}" ;;
    kube-*) image "$ref" --add "$work/bin/$name=/usr/local/bin/$name" --entrypoint "[\"/usr/local/bin/$name\"]" ;;
    etcd) image "$ref" --add "$work/bin/etcd=/usr/local/bin/etcd" --entrypoint '["/usr/local/bin/etcd"]' ;;
    coredns) image "$ref" --add "$work/bin/coredns=/coredns" --entrypoint '["/coredns"]' ;;
    pause) image "$ref" --add "$work/bin/pause=/pause" --entrypoint '["/pause"]' ;;
    *) die "kubeadm $kver lists an image this script does not know how to build: $ref" ;;
    esac
done
# Under the upstream name and path (/opt/bin/flanneld), so that a site mirroring the upstream image pulls
# the same reference. flanneld sets up its masquerade and forward rules with iptables.
flannel_ref=ghcr.io/flannel-io/flannel:${version[flannel]}
image "$flannel_ref" --add "$work/bin/flanneld=/opt/bin/flanneld" --entrypoint '["/opt/bin/flanneld"]' "${proxy_adds[@]}"
# The provisioner under its upstream name and path (/usr/bin, run by name as the upstream Deployment's
# command does), so the upstream manifest finds it; the helper image as busybox of its version, with
# every applet linked in /bin as in the busybox images, so that a site's own setup and teardown scripts
# find the commands they expect.
local_path_ref=docker.io/rancher/local-path-provisioner:${version[local-path-provisioner]}
image "$local_path_ref" --add "$work/bin/local-path-provisioner=/usr/bin/local-path-provisioner" --cmd '["local-path-provisioner"]'
busybox_ref=docker.io/library/busybox:$busybox_version
# Debian's copyright file goes with the binary (busybox is GPL-2.0).
busybox_adds=(--add "$meta/busybox/bin/busybox=/bin/busybox")
busybox_adds+=(--add "$meta/busybox/usr/share/doc/busybox-static/copyright=/usr/share/doc/busybox-static/copyright")
mapfile -t applets < <("$meta/busybox/bin/busybox" --list)
for applet in "${applets[@]}"; do
    [[ $applet == busybox ]] || busybox_adds+=(--symlink "/bin/$applet=busybox")
done
image "$busybox_ref" "${busybox_adds[@]}" --cmd '["sh"]'

# --- manifests ---------------------------------------------------------------------------------------
# Upstream manifests of the add-ons built here, from the module zips that go.sum pins, under the file
# names cluster_addons looks for in cluster_addons_manifest_dir (its vars/main.yml).
local_path_manifest=local-path-provisioner-${version[local-path-provisioner]}.yaml
lpdir=$(cd "$here/local-path-provisioner" && go list -m -f '{{.Dir}}' github.com/rancher/local-path-provisioner)
install -m 0644 "$lpdir/deploy/local-path-storage.yaml" "$work/manifests/$local_path_manifest"
# Under the upstream name (Docker Hub's official image) and path (/traefik).
traefik_ref=docker.io/library/traefik:${version[traefik]}
image "$traefik_ref" --add "$work/bin/traefik=/traefik" --entrypoint '["/traefik"]'

# Under the upstream names (Docker Hub's victoriametrics/...) and paths (/<app>-prod), as VictoriaLogs'
# app/*/multiarch/Dockerfile lays them out.
victoria_logs_ref=docker.io/victoriametrics/victoria-logs:${version[victorialogs]}
image "$victoria_logs_ref" --add "$work/bin/victoria-logs=/victoria-logs-prod" --entrypoint '["/victoria-logs-prod"]'
vlagent_ref=docker.io/victoriametrics/vlagent:${version[victorialogs]}
image "$vlagent_ref" --add "$work/bin/vlagent=/vlagent-prod" --entrypoint '["/vlagent-prod"]'

# --- manifest, check, publish ------------------------------------------------------------------------
"$python" - "$meta/pins.json" <<EOF
import json, sys
json.dump({
    "kubernetes": "$kver", "key": "$key", "go": "$(go env GOVERSION)", "build_seconds": $((SECONDS - started)),
    "modules": {"k8s.io/kubernetes": "$kver", "${module[etcd]}": "${version[etcd]}",
                "${module[coredns]}": "${version[coredns]}", "${module[cri-tools]}": "${version[cri-tools]}",
                "${module[cni-plugins]}": "${version[cni-plugins]}", "${module[flannel]}": "${version[flannel]}",
                "${module[local-path-provisioner]}": "${version[local-path-provisioner]}",
                "${module[traefik]}": "${version[traefik]}", "sigs.k8s.io/gateway-api": "$gateway_api_version",
                "${module[victorialogs]}": "${version[victorialogs]}"},
    "manifests": {"$local_path_manifest": "${version[local-path-provisioner]}", "$gateway_api_crds": "$gateway_api_version"},
    "binaries": {"etcd": "${version[etcd]}", "coredns": "${version[coredns]}", "crictl": "${version[cri-tools]}",
                 "pause": "${tag[pause]}", "flanneld": "${version[flannel]}", "traefik": "${version[traefik]}",
                 "local-path-provisioner": "${version[local-path-provisioner]}",
                 "victoria-logs": "${version[victorialogs]}", "vlagent": "${version[victorialogs]}", **{"cni/" + n: "${version[cni-plugins]}" for n in "$(cd "$work/bin/cni" && echo *)".split()}},
}, open(sys.argv[1], "w"))
EOF
"$python" "$here/manifest.py" write "$work" "$meta/pins.json" "$meta/images.jsonl"
"$python" "$here/manifest.py" verify "$work"
for ref in "${images[@]}" "$flannel_ref" "$local_path_ref" "$busybox_ref" "$traefik_ref" "$victoria_logs_ref" "$vlagent_ref"; do
    [[ -e $work/images/$(sed 's|[/:]|_|g' <<<"$ref").tar ]] || die "no archive was written for $ref"
done
[[ -s $work/manifests/$gateway_api_crds ]] || die "no Gateway API CRDs were written"
mv -T "$work" "$final"
rm -rf "$meta"
trap - EXIT

# Cold when Go's build cache was empty; after a change to tools/k8s it mostly only links.
echo "build: $((SECONDS - started)) s"
echo "$final"
