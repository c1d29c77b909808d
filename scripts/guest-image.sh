#!/usr/bin/env bash
# Builds (once) the test guest of the kvm backend: a Debian kernel and a busybox initramfs with
# Tests/Fixtures/guest/init and the kernel modules that init loads. Idempotent; prints two lines,
# KERNEL=<path> and INITRD=<path>.
# Needs: apt-get (the kernel package is downloaded, ~70 MB), busybox-static, cpio, gzip, depmod (kmod).
# Output folder: $FLOTILLA_GUEST_DIR, default .build/flotilla-guest (never in git).
#
# The Debian kernel builds virtio, virtio-mmio/-pci, virtio-blk, virtio-net and ext4 as modules (and has no
# IP_PNP, so the kernel ignores `ip=`: the init reads it). The package ships no modules.dep (the package's
# postinst makes it), so the script runs `depmod -b` on the unpacked tree, takes each wanted module with its
# dependencies (modules.dep lists them all, the deepest last: loaded in reverse) and writes the load order
# to modules/order, one file name a line, which the init follows.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FLOTILLA_GUEST_DIR:-$root/.build/flotilla-guest}"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

# Wanted modules, in load order (each after its dependencies): the ACPI power button and its input events
# (graceful stop), virtio transports and devices, crc32c (ext4's and jbd2's soft dependency) and ext4.
wanted="evdev button virtio_mmio virtio_pci virtio_blk virtio_net crc32c_generic ext4"

kernel="$out/vmlinuz"
modules="$out/modules"
if [ ! -s "$kernel" ] || [ ! -s "$modules/order" ] || [ "$(cat "$modules/wanted" 2>/dev/null)" != "$wanted" ]; then
    pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    if [ -z "$pkg" ]; then
        apt-get update -qq >&2
        pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    fi
    [ -n "$pkg" ] || { echo "guest-image: cannot find the Debian kernel package" >&2; exit 1; }
    command -v depmod >/dev/null || [ -x /usr/sbin/depmod ] || { echo "guest-image: depmod missing; install kmod" >&2; exit 1; }
    work="$(mktemp -d "$out/kernel.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download "$pkg" >&2)
    dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work" --wildcards './boot/vmlinuz-*' './lib/modules/*'
    version="$(ls "$work/lib/modules" | head -1)"
    PATH="$PATH:/usr/sbin:/sbin" depmod -b "$work" "$version"
    dep="$work/lib/modules/$version/modules.dep"
    rm -rf "$modules.tmp"
    mkdir -p "$modules.tmp"
    : > "$modules.tmp/order"
    for m in $wanted; do
        line="$(grep -E "(^|/)$m\.ko(\.xz|\.zst|\.gz)?:" "$dep" || true)"
        [ -n "$line" ] || { echo "guest-image: module $m not in $dep" >&2; exit 1; }
        # "path: dep1 dep2 ...": load the dependencies from last to first, then the module.
        # shellcheck disable=SC2086
        set -- ${line#*:}
        list="${line%%:*}"
        for d in "$@"; do list="$d $list"; done
        for rel in $list; do
            name="$(basename "$rel")"
            name="${name%.xz}"; name="${name%.zst}"; name="${name%.gz}"
            grep -qx "$name" "$modules.tmp/order" && continue
            src="$work/lib/modules/$version/$rel"
            case "$src" in
                *.xz) xz -dc "$src" > "$modules.tmp/$name" ;;
                *.zst) zstd -qdc "$src" > "$modules.tmp/$name" ;;
                *.gz) gzip -dc "$src" > "$modules.tmp/$name" ;;
                *) cp "$src" "$modules.tmp/$name" ;;
            esac
            echo "$name" >> "$modules.tmp/order"
        done
    done
    echo "$wanted" > "$modules.tmp/wanted"
    rm -rf "$modules"
    mv "$modules.tmp" "$modules"
    cp "$work"/boot/vmlinuz-* "$kernel.tmp"
    mv "$kernel.tmp" "$kernel"
fi

# The kernel the tests boot: the ELF inside the bzImage, uncompressed. Under emulation (TCG) the bzImage's own
# decompressor takes about 4 of a boot's 7 seconds; QEMU loads the ELF directly and enters it through its PVH
# entry point (the Debian kernel has one). Falls back to the bzImage when no ELF can be found in it.
vmlinux="$out/vmlinux"
if [ ! -s "$vmlinux" ] || [ "$kernel" -nt "$vmlinux" ]; then
    rm -f "$vmlinux.tmp"
    # Each compressed stream the bzImage may hold: its magic bytes and the tool that decompresses it (trailing
    # bytes after the stream make the tool complain: the result is judged by its ELF header).
    for format in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08\x00'; do
        tool="${format%%:*}"
        offset="$(LC_ALL=C grep -obUaP "${format#*:}" "$kernel" | head -1 | cut -d: -f1 || true)"
        [ -n "$offset" ] && command -v "$tool" >/dev/null || continue
        tail -c +$((offset + 1)) "$kernel" | "$tool" -dcq 2>/dev/null > "$vmlinux.tmp" || true
        [ "$(head -c 4 "$vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = "7f454c46" ] && break
        rm -f "$vmlinux.tmp"
    done
    # An ELF of an older kernel must not stay beside the new kernel's modules.
    if [ -s "$vmlinux.tmp" ]; then mv "$vmlinux.tmp" "$vmlinux"; else rm -f "$vmlinux"; fi
fi
[ -s "$vmlinux" ] && kernel="$vmlinux"

init="$root/Tests/Fixtures/guest/init"
initrd="$out/initrd.gz"
busybox=/bin/busybox
if [ ! -s "$initrd" ] || [ "$init" -nt "$initrd" ] || [ "$0" -nt "$initrd" ] || [ "$modules/order" -nt "$initrd" ]; then
    if ldd "$busybox" >/dev/null 2>&1; then
        echo "guest-image: $busybox is not static; install busybox-static" >&2
        exit 1
    fi
    tree="$(mktemp -d "$out/initrd.XXXXXX")"
    mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/etc" "$tree/lib/modules"
    cp "$busybox" "$tree/bin/busybox"
    cp "$modules"/*.ko "$modules/order" "$tree/lib/modules/"
    cp "$init" "$tree/init"
    chmod 0755 "$tree/init" "$tree/bin/busybox"
    (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -9 > "$initrd.tmp")
    mv "$initrd.tmp" "$initrd"
    rm -rf "$tree"
fi
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
