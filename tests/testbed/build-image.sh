#!/usr/bin/env bash
# Builds the offline test image irtest/busybox:latest: a busybox-static rootfs packed with tar
# and loaded with `docker import` (there is no registry on these machines).
set -euo pipefail
image=${1:-irtest/busybox:latest}
busybox=$(command -v busybox || echo /bin/busybox)
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,var/spool/cron/crontabs,proc,sys,dev}
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
echo "image: built $image"
