#!/usr/bin/env bash
# The discovery test runs a real DNS server (dnsmasq) and the cluster test
# puts nodes in network namespaces (ip), cuts links with nftables and
# shapes them with tc: Debian's dnsmasq-base, iproute2 and nftables.
# Installs what is missing when we can (root with apt-get); otherwise says
# in one line how to.
set -euo pipefail
missing=()
[ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-cluster-tools: installing Debian's ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "ensure-cluster-tools: missing ${missing[*]}; install with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
exit 1
