# CMake toolchain for the WebAssembly build with Debian's Emscripten 3.1.6 (clang 14).
#
#   cmake -S . -B build/wasm -DCMAKE_TOOLCHAIN_FILE=emsdk-toolchain.cmake -DCMAKE_BUILD_TYPE=Release
#
# On top of Debian's platform file this sets what every gradlab WASM target needs (docs/design.md §6, §7):
#   - SIMD (-msimd128): the hand-written wasm_simd128 kernels; all browsers we target and Node >= 16
#     run it without flags.
#   - C++ exceptions at compile AND link: gradlab reports errors by throwing typed errors, and
#     Emscripten turns exceptions off by default. Both sides must agree or the link silently picks
#     the no-exception runtime and every throw aborts. Native WebAssembly exceptions
#     (-fwasm-exceptions), not the JS emulation of -fexceptions (see CMakeLists.txt, which also
#     sets it on gradlab_core for build folders configured before this changed).
#   - -sDYNAMIC_EXECUTION=0: no eval()/new Function() in the generated JS, so the lab runs under a
#     strict Content-Security-Policy without 'unsafe-eval'.
#   - node as the emulator, so ctest and catch_discover_tests run the .js test binaries. Node 18/20
#     ship a global fetch(), and Emscripten 3.1.6's loader then tries fetch() on the .wasm *file path*
#     and fails; --no-experimental-fetch hides fetch() and the loader falls back to reading the file.
#   - nlohmann/json and Catch2 (header-only, installed under /usr/include) without putting
#     /usr/include itself on the include path: that would pull glibc's headers over Emscripten's
#     musl ones. We make a folder in the build tree holding only links to those libraries.
#   - NODE_PATH=/usr/share/nodejs around every link: Emscripten's JS optimizer (run at -O2 and up)
#     needs Debian's acorn, and a plain `cmake --build` must work without `./lab` setting it.

# Debian's platform file decides CMAKE_CROSSCOMPILING_EMULATOR only when it is not yet defined,
# so ours goes first.
find_program(GRADLAB_NODE_EXECUTABLE NAMES node nodejs)
if(NOT GRADLAB_NODE_EXECUTABLE)
  message(FATAL_ERROR "emsdk-toolchain.cmake: node not found (apt-get install nodejs, or ./lab setup)")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${GRADLAB_NODE_EXECUTABLE};--no-experimental-fetch"
    CACHE STRING "Runs the .js test binaries under node (see emsdk-toolchain.cmake)")

set(GRADLAB_EMSCRIPTEN_PLATFORM /usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake)
if(NOT EXISTS "${GRADLAB_EMSCRIPTEN_PLATFORM}")
  message(FATAL_ERROR "emsdk-toolchain.cmake: ${GRADLAB_EMSCRIPTEN_PLATFORM} is missing "
                      "(apt-get install emscripten, or ./lab setup)")
endif()
include("${GRADLAB_EMSCRIPTEN_PLATFORM}")

if(GRADLAB_WASM_THREADS)
  # The pthreads module (CMakeLists.txt, GRADLAB_WASM_THREADS): Emscripten 3.1.6's native wasm
  # exceptions with -pthread never match a typed catch, so it uses the JS emulation.
  set(GRADLAB_WASM_EH -fexceptions)
else()
  set(GRADLAB_WASM_EH -fwasm-exceptions)
endif()
set(CMAKE_C_FLAGS_INIT "-msimd128 ${GRADLAB_WASM_EH}")
set(CMAKE_CXX_FLAGS_INIT "-msimd128 ${GRADLAB_WASM_EH}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${GRADLAB_WASM_EH} -sDYNAMIC_EXECUTION=0")

if(EXISTS /usr/share/nodejs)
  set(CMAKE_C_LINKER_LAUNCHER "${CMAKE_COMMAND};-E;env;NODE_PATH=/usr/share/nodejs")
  set(CMAKE_CXX_LINKER_LAUNCHER "${CMAKE_COMMAND};-E;env;NODE_PATH=/usr/share/nodejs")
endif()

# The header-only host libraries, one link each. This file is read again for every try_compile,
# where CMAKE_BINARY_DIR is that check's scratch folder, so each build tree gets its own copy.
set(GRADLAB_HOST_HEADERS_DIR "${CMAKE_BINARY_DIR}/host-headers")
foreach(gradlab_header_lib nlohmann catch2)
  if(EXISTS "/usr/include/${gradlab_header_lib}"
     AND NOT EXISTS "${GRADLAB_HOST_HEADERS_DIR}/${gradlab_header_lib}")
    file(MAKE_DIRECTORY "${GRADLAB_HOST_HEADERS_DIR}")
    file(CREATE_LINK "/usr/include/${gradlab_header_lib}"
         "${GRADLAB_HOST_HEADERS_DIR}/${gradlab_header_lib}" COPY_ON_ERROR SYMBOLIC)
  endif()
endforeach()
set(CMAKE_C_STANDARD_INCLUDE_DIRECTORIES "${GRADLAB_HOST_HEADERS_DIR}")
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES "${GRADLAB_HOST_HEADERS_DIR}")
