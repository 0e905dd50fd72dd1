#!/usr/bin/env bash
# The base of every kvrelay image, built here because these machines reach no container registry: a Java runtime cut
# from the building JDK with jlink (only the modules kvrelay and its libraries use), the C libraries it and the
# libraries' natives link against (copied from this machine, found with ldd), and the few files a JVM expects of a
# Linux root (passwd with the kvrelay user, nsswitch.conf, a writable /tmp). Jib lays it under the application as
# the image's first layer ("from scratch"), so an image needs nothing but itself.
#
# Usage: runtime.sh <output dir>. Rebuilt only when the JDK or this script changed (a stamp file says which).
set -euo pipefail
out=$1
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
modules=java.base,java.compiler,java.instrument,java.logging,java.management,java.naming,java.net.http,\
java.scripting,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.crypto.ec,jdk.crypto.cryptoki,\
jdk.httpserver,jdk.jfr,jdk.management,jdk.management.jfr,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs
stamp="$("$java_home/bin/java" -version 2>&1 | head -1) $(sha256sum "$0" | cut -c1-16) $modules"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  exit 0
fi
rm -rf "$out" && mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/proc" "$out/var/lib/kvrelay/state"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$out/opt/java"
# What the runtime's binaries and libraries need, and what the libraries' natives (RocksDB, zstd, snappy, lz4;
# unpacked to /tmp at run time) need besides: the C++ runtime.
{
  find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null
  # (awk reads all of ldconfig's output: with pipefail, a reader that stops early would fail the build)
  ldconfig -p | awk '/libstdc\+\+\.so\.6 / && !found { print $NF; found = 1 }'
} | grep -oE '/[^ ]+\.so[^ ]*' | grep -v "^$out" | sort -u | while read -r lib; do
  [ -e "$lib" ] || continue
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
# /lib64 and /lib are symlinks on merged-/usr Debian; the loader is looked up by its absolute name.
printf 'root:x:0:0:root:/root:/sbin/nologin\nkvrelay:x:10001:10001:kvrelay:/var/lib/kvrelay:/sbin/nologin\n' \
  > "$out/etc/passwd"
printf 'root:x:0:\nkvrelay:x:10001:\n' > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
echo "$stamp" > "$out/.stamp"
du -sh "$out" | sed 's/^/image runtime: /'
