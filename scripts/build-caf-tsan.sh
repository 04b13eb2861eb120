#!/usr/bin/env bash
# Builds CAF 0.17.6 (libcaf_core, libcaf_io) with -fsanitize=thread into PREFIX,
# for `make test-tsan` (docs/reliability.md): TSan only sees the ordering of
# messages between actors when CAF's mailboxes and schedulers are instrumented.
#
#   scripts/build-caf-tsan.sh PREFIX
#
# The source is Debian's tarball of the CAF the normal build links
# (libcaf-dev 0.17.6-2.1), checked against the sha256 of its .dsc. Debian's
# patch tarball (.debian.tar.xz) is not served by deb.debian.org (404); its
# changelog lists a -std=c++14 flag, a fix for recent g++ and upstream PR #1135.
# Debian's installed headers differ from this source's by one line, `#include
# <limits>` in receive_buffer.hpp, added below; any .cpp change of the patches
# is not applied. A no-op when PREFIX already holds the finished build.
set -euo pipefail

prefix=${1:?usage: $0 PREFIX}
version=0.17.6
tarball=actor-framework_${version}.orig.tar.gz
url=http://deb.debian.org/debian/pool/main/a/actor-framework/${tarball}
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
stamp=${prefix}/.caf-${version}-tsan

[ -f "${stamp}" ] && exit 0

mkdir -p "${prefix}"
prefix=$(cd "${prefix}" && pwd)
work=${prefix}/_work
mkdir -p "${work}"

if ! echo "${sha256}  ${work}/${tarball}" | sha256sum --check --status 2>/dev/null; then
  echo "build-caf-tsan: downloading ${url}"
  curl -fsSL -o "${work}/${tarball}.part" "${url}"
  mv "${work}/${tarball}.part" "${work}/${tarball}"
fi
echo "${sha256}  ${work}/${tarball}" | sha256sum --check --quiet

rm -rf "${work}/src" "${work}/build"
mkdir -p "${work}/src"
tar -xzf "${work}/${tarball}" -C "${work}/src" --strip-components=1
header=${work}/src/libcaf_io/caf/io/network/receive_buffer.hpp
grep -q '#include <limits>' "${header}" || sed -i 's|#include <cstring>|#include <cstring>\n#include <limits>|' "${header}"
grep -q '#include <limits>' "${header}"

# Only core and io, shared, no log output (as Debian builds it); everything
# optional off. CAF requires a -std flag in CMAKE_CXX_FLAGS (C++14, as Debian).
echo "build-caf-tsan: building CAF ${version} with -fsanitize=thread into ${prefix}"
cmake -S "${work}/src" -B "${work}/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-std=c++14 -Wall -Wextra -fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="${prefix}" -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_INSTALL_RPATH="${prefix}/lib" \
  -DCAF_LOG_LEVEL=QUIET \
  -DCAF_NO_EXAMPLES=ON -DCAF_NO_UNIT_TESTS=ON -DCAF_NO_TOOLS=ON -DCAF_NO_PYTHON=ON \
  -DCAF_NO_OPENSSL=ON -DCAF_NO_OPENCL=ON -DCAF_NO_SUMMARY=ON >"${work}/configure.log"
nice cmake --build "${work}/build" -j "${CAF_JOBS:-2}"
cmake --install "${work}/build" >"${work}/install.log"
rm -rf "${work}/src" "${work}/build"
touch "${stamp}"
echo "build-caf-tsan: done"
