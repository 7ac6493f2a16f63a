#!/usr/bin/env bash
# Builds smartlink for 64- and 32-bit Windows (GNU ABI, cross-compiled on
# Debian) and exercises it under Wine:
#
#   1. smartlink.dll for x86_64-pc-windows-gnu and i686-pc-windows-gnu
#      (release) and smartlink-configurator.exe (x86_64, release);
#   2. the i686 export table: every function of include/smartlink.h exported
#      undecorated (cdecl), nothing imported from MinGW runtime DLLs;
#   3. examples/c/first_binding.c and examples/protheus-harness/harness.c,
#      compiled with MinGW, run under Wine on both architectures against the
#      sandbox running natively on 127.0.0.1; the state file they leave must
#      be private;
#   4. the smartlink-core test suite and the smartlink-ffi contract,
#      bad_input and threads tests as x86_64 Windows test binaries, run by
#      cargo through Wine (the target runner);
#   5. the configurator's --unattended mode, `status` and `check` under Wine
#      with a state file under C:\.
#
# Installs what it needs (Debian packages; root or sudo) when missing and
# fails loudly when it cannot. Everything it builds or creates lives under
# target/windows/ (override with SMARTLINK_WINDOWS_WORK). Called by
# ./scripts/test.sh; SMARTLINK_SKIP_WINDOWS=1 skips it there.
#
# Wine 8 (Debian 12) lacks bcryptprimitives.dll!ProcessPrng, which Rust's
# standard library imports on Windows; a small forwarding DLL built here sits
# next to the test executables. It is a test fixture and never shipped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${SMARTLINK_WINDOWS_WORK:-$ROOT/target/windows}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
STARTED=$SECONDS
TOKEN=windows-test-token
SUMMARY=()

say() { echo "test-windows: $*" >&2; }
die() {
  echo "test-windows: FAILED: $*" >&2
  exit 1
}
note() {
  say "$*"
  SUMMARY+=("$*")
}
space() { say "$1; space left: $(df -Ph "$WORK" | awk 'NR == 2 { print $4 }')"; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "$@" || die "apt-get install $* failed"
  # CI machines have little disk to spare: drop the downloaded packages.
  if [ "${CI:-}" = true ]; then $SUDO apt-get -o DPkg::Lock::Timeout=600 clean; fi
}
APT_UPDATED=""
apt_update() {
  [ -n "$APT_UPDATED" ] && return 0
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q || die "apt-get update failed"
  APT_UPDATED=1
}

# --- 1. Host packages -------------------------------------------------------
# Debian's Rust 1.96 (rustc-web, cargo-web) with its own standard library
# sources (rust-web-src): the library is rebuilt for the Windows targets with
# -Zbuild-std, since rustup cannot fetch Windows targets here. MinGW-w64
# links; Wine runs.
DEB_RUSTC=/usr/bin/rustc
DEB_CARGO=/usr/bin/cargo
need=()
deb_release=$("$DEB_RUSTC" -vV 2>/dev/null | sed -n 's/^release: //p' || true)
case "$deb_release" in
1.9[6-9]* | 1.[1-9][0-9][0-9]*) ;;
*) need+=(rustc-web) ;;
esac
[ -x "$DEB_CARGO" ] || need+=(cargo-web)
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
command -v i686-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-i686)
command -v i686-w64-mingw32-objdump >/dev/null || need+=(binutils-mingw-w64-i686)
command -v wine >/dev/null || need+=(wine wine64)
command -v wine64 >/dev/null || [ -x /usr/lib/wine/wine64 ] || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
  apt_update
  apt_install "${need[@]}"
fi
SYSROOT=$("$DEB_RUSTC" --print sysroot)
RUST_SRC=$SYSROOT/lib/rustlib/src/rust/library
if [ ! -d "$RUST_SRC/std" ]; then
  apt_update
  apt_install rust-web-src
fi
[ -d "$RUST_SRC/std" ] || die "no standard library sources at $RUST_SRC (package rust-web-src)"

# --- 2. 32-bit Wine ---------------------------------------------------------
# wine32 comes from the i386 architecture. When its package index cannot be
# fetched, an i386 Debian chroot with Wine inside is used instead; a foreign
# architecture whose index fails is removed again, or every later
# `apt-get update` on the machine would fail.
WINE32=()
CHROOT32=$WORK/chroot-i386
wine32_on_host() { [ -x /usr/lib/wine/wine ] && dpkg -s wine32:i386 >/dev/null 2>&1; }
if ! wine32_on_host && [ ! -x "$CHROOT32/usr/bin/wine" ]; then
  say "installing 32-bit Wine (wine32:i386)"
  added_i386=""
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386
    added_i386=1
  fi
  ok=""
  if $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q 2>&1 | tee "$WORK/apt-i386.log" >&2 &&
    ! grep -qE '^(E|W): .*(i386|Failed)' "$WORK/apt-i386.log" &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q \
      --no-install-recommends wine32:i386; then
    ok=1
  fi
  if [ -z "$ok" ]; then
    say "wine32:i386 cannot be installed on the host; using an i386 chroot"
    if [ -n "$added_i386" ] && ! dpkg --get-selections | grep -q ':i386'; then
      $SUDO dpkg --remove-architecture i386
      $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q || true
    fi
    command -v debootstrap >/dev/null || {
      apt_update
      apt_install debootstrap
    }
    rm -rf "$CHROOT32.partial"
    $SUDO debootstrap --arch=i386 --variant=minbase bookworm "$CHROOT32.partial" ||
      die "debootstrap of the i386 chroot failed"
    $SUDO chroot "$CHROOT32.partial" apt-get update -q || die "apt-get update in the i386 chroot failed"
    DEBIAN_FRONTEND=noninteractive $SUDO chroot "$CHROOT32.partial" apt-get install -y -q \
      --no-install-recommends wine wine32 || die "wine32 in the i386 chroot failed"
    mv "$CHROOT32.partial" "$CHROOT32"
  fi
fi
if wine32_on_host; then
  WINE32=(wine)
else
  [ -x "$CHROOT32/usr/bin/wine" ] || die "no 32-bit Wine"
  # Wine shares the host's network namespace, so the sandbox on 127.0.0.1 is
  # reachable; the work directory appears at the same path inside.
  cleanup_chroot() {
    for m in "$CHROOT32$WORK" "$CHROOT32$ROOT" "$CHROOT32/dev" "$CHROOT32/proc"; do
      mountpoint -q "$m" && $SUDO umount "$m" || true
    done
  }
  trap cleanup_chroot EXIT
  mountpoint -q "$CHROOT32/proc" || $SUDO mount -t proc proc "$CHROOT32/proc"
  mountpoint -q "$CHROOT32/dev" || $SUDO mount --bind /dev "$CHROOT32/dev"
  mkdir -p "$CHROOT32$WORK"
  mountpoint -q "$CHROOT32$WORK" || $SUDO mount --bind "$WORK" "$CHROOT32$WORK"
  WINE32=($SUDO chroot "$CHROOT32" env HOME=/root WINEDEBUG=-all DISPLAY= wine)
fi

export WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml="

# --- 3. Toolchain environment ----------------------------------------------
# The native sandbox is built with the project's usual toolchain first.
# scripts/test.sh in CI passes a sandbox already built (SMARTLINK_SANDBOX_BIN)
# and has removed the native target directory.
if [ -n "${SMARTLINK_SANDBOX_BIN:-}" ]; then
  SANDBOX=$SMARTLINK_SANDBOX_BIN
else
  say "building the native sandbox"
  (cd "$ROOT" && cargo build -q --locked -p smartlink-sandbox) || die "native sandbox build"
  SANDBOX=$ROOT/target/debug/smartlink-sandbox
fi
[ -x "$SANDBOX" ] || die "no sandbox binary at $SANDBOX"

export PATH=/usr/bin:/bin:$PATH RUSTC_BOOTSTRAP=1
export RUSTC=$DEB_RUSTC
unset RUSTFLAGS RUSTDOCFLAGS CARGO_BUILD_TARGET || true
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_I686_PC_WINDOWS_GNU_LINKER=i686-w64-mingw32-gcc
TARGET_DIR=$WORK/cargo

# -Zbuild-std does not produce rsbegin.o/rsend.o for i686-pc-windows-gnu
# (the link fails with "cannot find rsbegin.o"): compile them from the
# standard library sources.
RT32=$WORK/rtstartup-i686
mkdir -p "$RT32"
for f in rsbegin rsend; do
  if [ ! -s "$RT32/$f.o" ] || [ "$RUST_SRC/rtstartup/$f.rs" -nt "$RT32/$f.o" ]; then
    "$DEB_RUSTC" --target i686-pc-windows-gnu --emit=obj -o "$RT32/$f.o" \
      "$RUST_SRC/rtstartup/$f.rs" || die "compiling $f.o"
  fi
done
export CARGO_TARGET_I686_PC_WINDOWS_GNU_RUSTFLAGS="-L native=$RT32"

# --- 4. The test-only bcryptprimitives.dll for Wine 8 -----------------------
SHIM=$WORK/shim
mkdir -p "$SHIM/x86_64" "$SHIM/i686"
cat >"$SHIM/prng.c.new" <<'EOF'
/* Test fixture for Wine 8, which has no bcryptprimitives.dll: ProcessPrng
 * (Windows 10 and later) implemented on BCryptGenRandom. Never shipped. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE out, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, out, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
      return FALSE;
    out += chunk;
    len -= chunk;
  }
  return TRUE;
}
EOF
printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng\n' >"$SHIM/prng.def.new"
for f in prng.c prng.def; do
  cmp -s "$SHIM/$f.new" "$SHIM/$f" && rm "$SHIM/$f.new" || mv "$SHIM/$f.new" "$SHIM/$f"
done
for arch in x86_64 i686; do
  dll=$SHIM/$arch/bcryptprimitives.dll
  if [ ! -s "$dll" ] || [ "$SHIM/prng.c" -nt "$dll" ] || [ "$SHIM/prng.def" -nt "$dll" ]; then
    extra=()
    [ $arch = i686 ] && extra=(-Wl,--kill-at -Wl,--enable-stdcall-fixup)
    $arch-w64-mingw32-gcc -O2 -Wall -Werror -shared "${extra[@]}" -o "$dll" \
      "$SHIM/prng.c" "$SHIM/prng.def" -lbcrypt || die "building the $arch bcryptprimitives shim"
  fi
done

# One Wine prefix per architecture, created once. wineboot's output goes to a
# log beside the prefix; a prefix that did not come out whole is removed and
# made again (up to three tries), and a last failure prints the log's tail and
# the space left, so the cause can be read from the run's output.
PFX64=$WORK/wineprefix-x86_64
PFX32=$WORK/wineprefix-i686
wine64_run() { WINEPREFIX=$PFX64 WINEARCH=win64 timeout 600 wine "$@"; }
wine32_run() { WINEPREFIX=$PFX32 WINEARCH=win32 timeout 600 "${WINE32[@]}" "$@"; }
wineserver_of() { # ARCH ARGS...: the wineserver of that architecture's prefix
  local arch=$1 pfx=$WORK/wineprefix-$1
  shift
  if [ "$arch" = i686 ] && [ ${#WINE32[@]} -gt 1 ]; then
    WINEPREFIX=$pfx "${WINE32[@]:0:${#WINE32[@]}-1}" wineserver "$@"
  else
    WINEPREFIX=$pfx wineserver "$@"
  fi
}
for arch in x86_64 i686; do
  pfx=$WORK/wineprefix-$arch
  log=$WORK/wineboot-$arch.log
  try=0
  while [ ! -f "$pfx/system.reg" ] || [ ! -d "$pfx/drive_c/windows/system32" ]; do
    try=$((try + 1))
    if [ $try -gt 3 ]; then
      say "wineboot's last output ($log):"
      tail -n 40 "$log" >&2 || true
      df -h "$WORK" /tmp >&2 || true
      die "creating the $arch Wine prefix at $pfx (3 tries)"
    fi
    say "creating the $arch Wine prefix (try $try)"
    wineserver_of $arch -k >/dev/null 2>&1 || true
    rm -rf "$pfx"
    rc=0
    if [ $arch = x86_64 ]; then
      wine64_run wineboot -i >"$log" 2>&1 || rc=$?
    else
      wine32_run wineboot -i >"$log" 2>&1 || rc=$?
    fi
    wineserver_of $arch -w >>"$log" 2>&1 || true
    [ $rc -eq 0 ] || say "wineboot exited with $rc (log: $log)"
  done
done
space "Wine prefixes ready"
# Wine's drive C: and its Unix location, for checks from this side.
DRIVE_C64=$PFX64/drive_c
DRIVE_C32=$PFX32/drive_c

# --- 5. Builds --------------------------------------------------------------
xbuild() { # TRIPLE PACKAGES...
  local triple=$1 t0=$SECONDS
  shift
  local pkgs=()
  for p in "$@"; do pkgs+=(-p "$p"); done
  (cd "$ROOT" && nice -n 5 "$DEB_CARGO" build --locked --release -Zbuild-std=std,panic_unwind \
    --target "$triple" --target-dir "$TARGET_DIR" "${pkgs[@]}") || die "release build for $triple"
  note "build $triple ($*): $((SECONDS - t0)) s"
}
xbuild x86_64-pc-windows-gnu smartlink-ffi smartlink-configurator
xbuild i686-pc-windows-gnu smartlink-ffi
REL64=$TARGET_DIR/x86_64-pc-windows-gnu/release
REL32=$TARGET_DIR/i686-pc-windows-gnu/release
for f in "$REL64/smartlink.dll" "$REL32/smartlink.dll" "$REL64/smartlink-configurator.exe"; do
  [ -s "$f" ] || die "missing $f"
done
space "release builds done"
note "size x86_64 smartlink.dll: $(stat -c %s "$REL64/smartlink.dll") bytes"
note "size i686 smartlink.dll: $(stat -c %s "$REL32/smartlink.dll") bytes"
note "size x86_64 smartlink-configurator.exe: $(stat -c %s "$REL64/smartlink-configurator.exe") bytes"

# --- 6. Export and import tables -------------------------------------------
# Every function declared in the header must be exported by both DLLs under
# its plain name: on i686 a __stdcall function would appear as Name@N (or
# _Name), which a host calling it as cdecl (SmartClient's ExecInClientDLL
# loader, ctypes.CDLL, C# CallingConvention.Cdecl) would misuse.
mapfile -t header_fns < <(grep -oE '\b(smartlink_[a-z0-9_]+|ExecInClientDLL)\(' "$ROOT/include/smartlink.h" |
  tr -d '(' | sort -u)
[ ${#header_fns[@]} -ge 10 ] || die "could not read the functions of include/smartlink.h"
for arch in x86_64 i686; do
  dll=$TARGET_DIR/$arch-pc-windows-gnu/release/smartlink.dll
  dump=$WORK/objdump-$arch.txt
  $arch-w64-mingw32-objdump -p "$dll" >"$dump" || die "objdump -p $dll"
  # The export name table: lines "[ n] +base[ m] 0xhint Name" after "[Ordinal/Name Pointer] Table".
  exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' "$dump" | awk 'NF>=2 {print $NF}' | grep -v Table)
  for fn in "${header_fns[@]}"; do
    grep -qx "$fn" <<<"$exports" || die "$arch smartlink.dll does not export $fn undecorated"
  done
  if grep -E '@[0-9]+$|^_' <<<"$exports" | grep -q .; then
    die "$arch smartlink.dll has decorated exports: $(grep -E '@[0-9]+$|^_' <<<"$exports" | tr '\n' ' ')"
  fi
  imports=$(grep -E '^\s*DLL Name:' "$dump" | awk '{print tolower($3)}' | sort -u | tr '\n' ' ')
  if grep -qE 'libgcc|libwinpthread|libstdc' <<<"$imports"; then
    die "$arch smartlink.dll depends on MinGW runtime DLLs: $imports"
  fi
  note "exports $arch: ${#header_fns[@]} header functions, undecorated; imports: $imports"
done

# --- 7. The C examples under Wine, against the native sandbox --------------
SANDBOX_PID=""
SANDBOX_URL=""
stop_sandbox() {
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
    SANDBOX_PID=""
  fi
}
start_sandbox() {
  stop_sandbox
  local log=$WORK/sandbox.log
  : >"$log"
  "$SANDBOX" --listen 127.0.0.1:0 --token "$TOKEN" >"$log" 2>&1 &
  SANDBOX_PID=$!
  local deadline=$((SECONDS + 30))
  SANDBOX_URL=""
  while [ -z "$SANDBOX_URL" ]; do
    SANDBOX_URL=$(sed -n 's/^smartlink-sandbox listening on \(http:[^ ]*\).*/\1/p' "$log")
    [ -n "$SANDBOX_URL" ] && break
    kill -0 "$SANDBOX_PID" 2>/dev/null || die "sandbox exited: $(cat "$log")"
    [ $SECONDS -lt $deadline ] || die "sandbox did not start: $(cat "$log")"
    sleep 0.2
  done
  SANDBOX_URL=${SANDBOX_URL%/}
}
trap 'stop_sandbox; [ ${#WINE32[@]} -gt 1 ] && cleanup_chroot || true' EXIT

CFLAGS=(-std=c11 -O2 -Wall -Wextra -Wpedantic -Werror)
run_examples() { # ARCH RUNNER DRIVE_C
  local arch=$1 runner=$2 drive_c=$3
  local rel=$TARGET_DIR/$arch-pc-windows-gnu/release dir=$WORK/run-$arch
  mkdir -p "$dir"
  cp "$rel/smartlink.dll" "$SHIM/$arch/bcryptprimitives.dll" "$dir/"
  $arch-w64-mingw32-gcc "${CFLAGS[@]}" -I "$ROOT/include" "$ROOT/examples/c/first_binding.c" \
    -o "$dir/first_binding.exe" "$rel/libsmartlink.dll.a" || die "$arch: compiling first_binding.c"
  $arch-w64-mingw32-gcc "${CFLAGS[@]}" "$ROOT/examples/protheus-harness/harness.c" \
    -o "$dir/harness.exe" || die "$arch: compiling harness.c"

  # A state path with a space, a non-ASCII directory name and backslashes,
  # in a directory the library creates.
  local unix_dir="$drive_c/ERP Teste/Produção"
  rm -rf "$drive_c/ERP Teste"
  local win_state='C:\ERP Teste\Produção\smartlink.json'
  start_sandbox
  (cd "$dir" && $runner "$dir/first_binding.exe" "$SANDBOX_URL" "$TOKEN" "$win_state") \
    >"$dir/first_binding.out" 2>&1 || {
    cat "$dir/first_binding.out" >&2
    die "$arch: first_binding.exe under Wine"
  }
  grep -q "first binding done" "$dir/first_binding.out" || die "$arch: first_binding.exe did not finish"
  [ -s "$unix_dir/smartlink.json" ] || die "$arch: no state file at $unix_dir/smartlink.json"
  grep -q '"binding"' "$unix_dir/smartlink.json" || die "$arch: the state file holds no binding"
  # Wine maps the DACL onto the Unix mode of what it stores: an entry for
  # the account gives the owner's and the group's bits (Wine counts the Unix
  # group as the account's), an Everyone entry the other bits. Owner-only
  # means no other bits.
  local mode
  mode=$(stat -c %a "$unix_dir/smartlink.json")
  [ $((0$mode & 07)) -eq 0 ] || die "$arch: the state file is mode $mode on the Wine side"
  mode=$(stat -c %a "$unix_dir")
  [ $((0$mode & 07)) -eq 0 ] || die "$arch: the state directory is mode $mode on the Wine side"
  note "$arch first_binding.exe under Wine: ok (state file mode $(stat -c %a "$unix_dir/smartlink.json") on the Wine side)"

  start_sandbox
  (cd "$dir" && $runner "$dir/harness.exe" smartlink.dll "$SANDBOX_URL" "$TOKEN") \
    >"$dir/harness.out" 2>&1 || {
    cat "$dir/harness.out" >&2
    die "$arch: harness.exe under Wine"
  }
  grep -q "protheus harness done" "$dir/harness.out" || die "$arch: harness.exe did not finish"
  note "$arch harness.exe (LoadLibrary + ExecInClientDLL) under Wine: ok"
  stop_sandbox
}
run_examples x86_64 wine64_run "$DRIVE_C64"
run_examples i686 wine32_run "$DRIVE_C32"

# --- 8. The configurator under Wine ----------------------------------------
CFG=$WORK/run-x86_64
cp "$REL64/smartlink-configurator.exe" "$CFG/"
rm -rf "$DRIVE_C64/smartlink-configurator"
CFG_STATE='C:\smartlink-configurator\state.json'
start_sandbox
cfg_run() { # EXPECTED_EXIT NAME ARGS...
  local want=$1 name=$2 rc=0
  shift 2
  (cd "$CFG" && SMARTLINK_TOKEN=$TOKEN wine64_run "$CFG/smartlink-configurator.exe" \
    --platform-url "$SANDBOX_URL" --state "$CFG_STATE" --locale en "$@") \
    >"$CFG/configurator-$name.out" 2>&1 || rc=$?
  if [ "$rc" -ne "$want" ]; then
    cat "$CFG/configurator-$name.out" >&2
    die "configurator $name under Wine exited $rc, expected $want"
  fi
}
cfg_run 3 status-before status
cfg_run 0 unattended --unattended --installation-name "Servidor Windows" --environment "Produção Nova"
cfg_run 0 status-after status
cfg_run 0 check check
stop_sandbox
[ -s "$DRIVE_C64/smartlink-configurator/state.json" ] || die "the configurator left no state file"
grep -q "Configured: environment Produção Nova" "$CFG/configurator-status-after.out" ||
  die "the configurator's status does not show the binding"
secret=$(sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p' "$DRIVE_C64/smartlink-configurator/state.json")
[ -n "$secret" ] || die "no client secret in the configurator's state file"
if grep -qF -- "$secret" "$CFG"/configurator-*.out; then
  die "the client secret appears in the configurator's output"
fi
mode=$(stat -c %a "$DRIVE_C64/smartlink-configurator/state.json")
[ $((0$mode & 07)) -eq 0 ] || die "the configurator's state file is mode $mode on the Wine side"
note "x86_64 smartlink-configurator.exe under Wine: status (not configured), --unattended, status, check: ok"

# In CI, what no later step uses is removed now: the release builds (the
# examples and the configurator are done) and the 32-bit prefix. The test
# builds below then have that space.
if [ "${CI:-}" = true ]; then
  rm -rf "$TARGET_DIR"/*-pc-windows-gnu/release "$TARGET_DIR/release" "$WORK"/run-i686
  wineserver_of i686 -k >/dev/null 2>&1 || true
  rm -rf "$PFX32"
  space "release builds and the i686 prefix removed"
fi

# --- 9. Rust test binaries under Wine (x86_64) -----------------------------
# Line tables only: panics keep file:line, the test executables stay small
# and link faster (in CI, no debug information at all: a failed assertion
# still names its file and line). The test executables run from
# target/.../deps, where the shim is put.
if [ "${CI:-}" = true ]; then
  export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_STRIP=debuginfo
else
  export CARGO_PROFILE_DEV_DEBUG=line-tables-only
fi
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine WINEPREFIX=$PFX64 WINEARCH=win64
DEPS=$TARGET_DIR/x86_64-pc-windows-gnu/debug/deps
mkdir -p "$DEPS"
cp "$SHIM/x86_64/bcryptprimitives.dll" "$DEPS/"
# Wine 8 itself crashes now and then (a page fault inside Wine, about one run
# in seven of the core unit tests, never a test's assertion): a test
# executable that crashed without any test failing is run once more, and the
# summary says so. A failed test is never retried.
wine_tests() { # NAME CARGO-TEST-ARGS...
  local name=$1 t0=$SECONDS log=$WORK/tests-$1.log attempt
  shift
  for attempt in 1 2; do
    if (cd "$ROOT" && nice -n 5 "$DEB_CARGO" test --locked --no-fail-fast -Zbuild-std=std,panic_unwind,test \
      --target x86_64-pc-windows-gnu --target-dir "$TARGET_DIR" "$@") >"$log" 2>&1; then
      break
    fi
    if [ "$attempt" = 2 ] || grep -q '^test result: FAILED' "$log" ||
      ! grep -q "process didn't exit successfully" "$log"; then
      tail -n 80 "$log" >&2
      die "tests $name under Wine (log: $log)"
    fi
    cp "$log" "$log.crash"
    note "tests under Wine, $name: a test executable crashed inside Wine with no test failing (log kept as $log.crash); run once more"
  done
  local passed
  passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
  note "tests under Wine, $name: ${passed:-0} passed ($((SECONDS - t0)) s)"
}
wine_tests smartlink-core -p smartlink-core --tests
wine_tests smartlink-sandbox -p smartlink-sandbox --test memory_platform
wine_tests smartlink-ffi -p smartlink-ffi --test contract --test bad_input --test threads

stop_sandbox
space "tests under Wine done"
echo
echo "test-windows: summary"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo "  total: $((SECONDS - STARTED)) s"
