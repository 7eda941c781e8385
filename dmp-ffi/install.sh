#!/usr/bin/env bash
# Builds and installs libdmp for C (and C#, Java, Python…) consumers, and the dmp CLI:
#
#   dmp-ffi/install.sh [--prefix /usr/local] [--libdir PREFIX/lib] [--bindir PREFIX/bin]
#                      [--destdir STAGING] [--profile release|dev]
#
# installs, under DESTDIR + PREFIX:
#   lib/libdmp.so.X.Y.Z, lib/libdmp.so.SOVERSION -> it, lib/libdmp.so -> it (SONAME
#   libdmp.so.0.MINOR before 1.0), lib/libdmp.a, include/dmp.h, lib/pkgconfig/dmp.pc,
#   bin/dmp
# The libraries and dmp are installed without their debug info (target/<profile>/libdmp.so.debug,
# dmp.debug and the split .dwp files stay in target/; the installed files name their .debug).
# Then: cc app.c $(pkg-config --cflags --libs dmp)   (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig if
# PREFIX is not a system prefix; at run time the loader must find PREFIX/lib).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix=/usr/local libdir= bindir= destdir= profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --libdir) libdir=$2; shift 2 ;;
    --libdir=*) libdir=${1#*=}; shift ;;
    --bindir) bindir=$2; shift 2 ;;
    --bindir=*) bindir=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --profile) profile=$2; shift 2 ;;
    --profile=*) profile=${1#*=}; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute: $prefix" >&2; exit 2 ;; esac
libdir=${libdir:-$prefix/lib}
bindir=${bindir:-$prefix/bin}
includedir=$prefix/include

cd "$root"
cargo build -q -p dmp-ffi -p dmp-cli --profile "$profile"
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
out_dir="$target_dir/$([ "$profile" = dev ] && echo debug || echo "$profile")"
version="$(sed -n 's/^#define DMP_VERSION_STRING "\(.*\)"$/\1/p' include/dmp.h)"
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
soversion=$([ "$major" = 0 ] && echo "0.$minor" || echo "$major")
soname="libdmp.so.$soversion"
have_soname="$(readelf -d "$out_dir/libdmp.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$have_soname" = "$soname" ] || { echo "install.sh: $out_dir/libdmp.so has SONAME '$have_soname', expected $soname" >&2; exit 1; }

install -d "$destdir$libdir/pkgconfig" "$destdir$includedir" "$destdir$bindir"
# Installs the executable or shared library $1 as $2 without its debug info, which stays
# beside the build: $1.debug (line tables and the skeleton units that lead to the .dwp); the
# installed file names it (GNU debuglink).
install_stripped() {
  install -m 0755 "$1" "$2"
  objcopy --only-keep-debug "$1" "$1.debug"
  strip --strip-debug "$2"
  objcopy --add-gnu-debuglink="$1.debug" "$2"
}
install_stripped "$out_dir/libdmp.so" "$destdir$libdir/libdmp.so.$version"
install_stripped "$out_dir/dmp" "$destdir$bindir/dmp"
[ "$soversion" = "$version" ] || ln -sf "libdmp.so.$version" "$destdir$libdir/$soname"
ln -sf "$soname" "$destdir$libdir/libdmp.so"
install -m 0644 "$out_dir/libdmp.a" "$destdir$libdir/libdmp.a"
# The archive carries the split debug units (.dwo members, most of its 190 MB; strip cannot
# read them): removed (they stay in target/), then the rest is stripped. binutils' LLVM plugin
# warns about the members it cannot read as bitcode: not errors, filtered out.
{
  for _ in 1 2 3 4 5 6 7 8; do
    dwo="$(ar t "$destdir$libdir/libdmp.a" | grep '\.dwo$' | sort -u || true)"
    [ -n "$dwo" ] || break
    # shellcheck disable=SC2086 # one member name per word (they hold no spaces)
    ar d "$destdir$libdir/libdmp.a" $dwo
  done
  strip --strip-debug "$destdir$libdir/libdmp.a"
} 2> >(grep -v '^bfd plugin: ' >&2)
install -m 0644 include/dmp.h "$destdir$includedir/dmp.h"
sed -e "s|@prefix@|$prefix|" -e "s|@libdir@|$libdir|" -e "s|@includedir@|$includedir|" \
    -e "s|@version@|$version|" dmp-ffi/dmp.pc.in > "$destdir$libdir/pkgconfig/dmp.pc"
echo "installed libdmp $version ($soname) and dmp into $destdir$prefix"
