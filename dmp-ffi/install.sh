#!/usr/bin/env bash
# Builds and installs libdmp for C (and C#, Java, Python…) consumers:
#
#   dmp-ffi/install.sh [--prefix /usr/local] [--libdir PREFIX/lib] [--destdir STAGING]
#                      [--profile release|dev]
#
# installs, under DESTDIR + PREFIX:
#   lib/libdmp.so.X.Y.Z, lib/libdmp.so.SOVERSION -> it, lib/libdmp.so -> it (SONAME
#   libdmp.so.0.MINOR before 1.0), lib/libdmp.a, include/dmp.h, lib/pkgconfig/dmp.pc
# The libraries are installed without their debug info (the split .dwp stays in target/).
# Then: cc app.c $(pkg-config --cflags --libs dmp)   (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig if
# PREFIX is not a system prefix; at run time the loader must find PREFIX/lib).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix=/usr/local libdir= destdir= profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --libdir) libdir=$2; shift 2 ;;
    --libdir=*) libdir=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --profile) profile=$2; shift 2 ;;
    --profile=*) profile=${1#*=}; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute: $prefix" >&2; exit 2 ;; esac
libdir=${libdir:-$prefix/lib}
includedir=$prefix/include

cd "$root"
cargo build -q -p dmp-ffi --profile "$profile"
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
out_dir="$target_dir/$([ "$profile" = dev ] && echo debug || echo "$profile")"
version="$(sed -n 's/^#define DMP_VERSION_STRING "\(.*\)"$/\1/p' include/dmp.h)"
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
soversion=$([ "$major" = 0 ] && echo "0.$minor" || echo "$major")
soname="libdmp.so.$soversion"
have_soname="$(readelf -d "$out_dir/libdmp.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$have_soname" = "$soname" ] || { echo "install.sh: $out_dir/libdmp.so has SONAME '$have_soname', expected $soname" >&2; exit 1; }

install -d "$destdir$libdir/pkgconfig" "$destdir$includedir"
install -m 0755 "$out_dir/libdmp.so" "$destdir$libdir/libdmp.so.$version"
strip --strip-debug "$destdir$libdir/libdmp.so.$version"
[ "$soversion" = "$version" ] || ln -sf "libdmp.so.$version" "$destdir$libdir/$soname"
ln -sf "$soname" "$destdir$libdir/libdmp.so"
install -m 0644 "$out_dir/libdmp.a" "$destdir$libdir/libdmp.a"
strip --strip-debug "$destdir$libdir/libdmp.a"
install -m 0644 include/dmp.h "$destdir$includedir/dmp.h"
sed -e "s|@prefix@|$prefix|" -e "s|@libdir@|$libdir|" -e "s|@includedir@|$includedir|" \
    -e "s|@version@|$version|" dmp-ffi/dmp.pc.in > "$destdir$libdir/pkgconfig/dmp.pc"
echo "installed libdmp $version ($soname) into $destdir$prefix"
