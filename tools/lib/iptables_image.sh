# shellcheck shell=bash
# The arguments of tools/k8s/image_archive.py that put this machine's iptables (nft backend) into an image
# (sourced, not run): for the images whose programs run iptables (kube-proxy, flanneld, the e2e's
# NetworkPolicy enforcer).
#
#   iptables_image_adds [TOOL...]   prints one argument per line: --add for xtables-nft-multi, iptables'
#                                   match and target extensions and each TOOL, with every library they load
#                                   (ldd), then --symlink for the iptables command names
iptables_image_adds() {
    local xtables=/usr/lib/x86_64-linux-gnu/xtables file link
    while read -r file; do
        printf '%s\n' --add "$(readlink -f "$file")=$file"
    done < <(for file in /usr/sbin/xtables-nft-multi "$@" "$xtables"/*.so; do
        echo "$file"
        ldd "$file" | grep -o '/[^ ]*'
    done | sort -u)
    for link in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
        printf '%s\n' --symlink "/usr/sbin/$link=xtables-nft-multi"
    done
}
