#!/usr/bin/env bash
# Builds (once) the test guest of the kvm backend: a Debian kernel and a busybox initramfs with
# Tests/Fixtures/guest/init. Idempotent; prints two lines, KERNEL=<path> and INITRD=<path>.
# Needs: apt-get (the kernel package is downloaded, ~70 MB), busybox-static, cpio, gzip.
# Output folder: $FLOTILLA_GUEST_DIR, default .build/flotilla-guest (never in git).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FLOTILLA_GUEST_DIR:-$root/.build/flotilla-guest}"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

kernel="$out/vmlinuz"
modules="$out/modules"
if [ ! -s "$kernel" ] || [ ! -s "$modules/button.ko" ] || [ ! -s "$modules/evdev.ko" ]; then
    pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    if [ -z "$pkg" ]; then
        apt-get update -qq >&2
        pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    fi
    [ -n "$pkg" ] || { echo "guest-image: cannot find the Debian kernel package" >&2; exit 1; }
    work="$(mktemp -d "$out/kernel.XXXXXX")"
    (cd "$work" && apt-get download "$pkg" >&2)
    # The kernel, and the two modules the guest needs to see an ACPI power button press (graceful stop).
    dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work" --wildcards './boot/vmlinuz-*' \
        './lib/modules/*/kernel/drivers/acpi/button.ko*' './lib/modules/*/kernel/drivers/input/evdev.ko*'
    mkdir -p "$modules"
    for m in button evdev; do
        f="$(find "$work/lib/modules" -name "$m.ko*" | head -1)"
        case "$f" in
            *.xz) xz -dc "$f" > "$modules/$m.ko" ;;
            *) cp "$f" "$modules/$m.ko" ;;
        esac
    done
    cp "$work"/boot/vmlinuz-* "$kernel.tmp"
    mv "$kernel.tmp" "$kernel"
    rm -rf "$work"
fi

init="$root/Tests/Fixtures/guest/init"
initrd="$out/initrd.gz"
busybox=/bin/busybox
if [ ! -s "$initrd" ] || [ "$init" -nt "$initrd" ] || [ "$0" -nt "$initrd" ] || [ "$modules/button.ko" -nt "$initrd" ]; then
    if ldd "$busybox" >/dev/null 2>&1; then
        echo "guest-image: $busybox is not static; install busybox-static" >&2
        exit 1
    fi
    tree="$(mktemp -d "$out/initrd.XXXXXX")"
    mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/etc" "$tree/lib/modules"
    cp "$busybox" "$tree/bin/busybox"
    cp "$modules"/*.ko "$tree/lib/modules/"
    cp "$init" "$tree/init"
    chmod 0755 "$tree/init" "$tree/bin/busybox"
    (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -9 > "$initrd.tmp")
    mv "$initrd.tmp" "$initrd"
    rm -rf "$tree"
fi
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
