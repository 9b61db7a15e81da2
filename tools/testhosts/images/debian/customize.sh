#!/bin/sh
# Runs inside the freshly bootstrapped root file system (chroot) of a test image.
# Makes systemd boot as PID 1 in a Docker container and keeps the image small.
set -eu

# Units that need real hardware, a real console or a writable kernel interface: masked.
for unit in \
    getty.target console-getty.service getty@tty1.service serial-getty@.service \
    systemd-remount-fs.service systemd-firstboot.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-fs-fuse-connections.mount dev-hugepages.mount \
    systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-modules-load.service systemd-sysctl.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
    systemd-logind.service systemd-timesyncd.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer
do
    ln -sf /dev/null "/etc/systemd/system/${unit}"
done

# A container has no console to log to; the journal is enough.
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' > /etc/systemd/journald.conf.d/ome-k8s-testhost.conf

# systemd generates the machine id on first boot.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

# Every container starts with an empty fstab (the node role's tests add their own lines).
printf '# /etc/fstab: static file system information.\n' > /etc/fstab

# Small image: no downloaded packages, no package lists (roles refresh them), no docs.
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* /usr/share/info/*
rm -f /var/log/*.log /var/log/apt/* 2>/dev/null || true
# No package index yet: date the (empty) lists directory to the epoch, so that tools judging the
# index's age by it (Ansible's apt cache_valid_time) refresh it on first use.
touch -d @0 /var/lib/apt/lists
