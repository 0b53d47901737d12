#!/usr/bin/env bash
# Debian's rustc 1.96 (/usr/bin/rustc) ships no AddressSanitizer runtime
# (librustc-stable_rt.asan.a), so `-Zsanitizer=address` fails to link. This makes a private
# sysroot, $HOME/.local/fuzz-sysroot, whose std libraries are symlinks to Debian's and whose ASan
# runtime is LLVM 19's compiler-rt (Debian package libclang-rt-19-dev): asan + asan_cxx merged
# into one archive under the name rustc looks for. Prints the sysroot path.
set -euo pipefail
SR=${FUZZ_SYSROOT:-$HOME/.local/fuzz-sysroot}
RT=/usr/lib/llvm-19/lib/clang/19/lib/linux
if [ ! -f "$RT/libclang_rt.asan-x86_64.a" ]; then
  apt-get install -y -q libclang-rt-19-dev >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q libclang-rt-19-dev >/dev/null; }
fi
SYS=$(/usr/bin/rustc --print sysroot)/lib/rustlib
LIB=$SR/lib/rustlib/x86_64-unknown-linux-gnu/lib
mkdir -p "$LIB"
for f in "$SYS"/x86_64-unknown-linux-gnu/lib/*; do ln -sf "$f" "$LIB/"; done
for d in src etc; do [ -e "$SYS/$d" ] && ln -sfn "$SYS/$d" "$SR/lib/rustlib/$d"; done
NAME=librustc-$(/usr/bin/rustc -vV | sed -n 's/^release: [0-9.]*-\{0,1\}//p' | grep . || echo stable)_rt.asan.a
rm -f "$LIB/$NAME"
printf 'CREATE %s\nADDLIB %s\nADDLIB %s\nSAVE\nEND\n' "$LIB/$NAME" \
  "$RT/libclang_rt.asan-x86_64.a" "$RT/libclang_rt.asan_cxx-x86_64.a" | ar -M
echo "$SR"
