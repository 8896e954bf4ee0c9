# tests/check_layers.cmake — the layering of src/ and include/gradlab/, checked on every #include.
#
#   cmake -DROOT=<tree> -DCORE_DIRS=a;b -DLAB_DIRS=... -DPROGRAM_DIRS=... -DCORE_HEADERS=...
#         -DBACKEND_HEADERS=... [-DEXCEPTIONS=file>header;...] -P tests/check_layers.cmake
#
# ctest runs it as layers.includes on the repository (the lists come from CMakeLists.txt, so
# they are written once) and as layers.self_test on tests/layers_fixture/, a small tree with
# one of each violation, which must report exactly that many: a checker that stopped seeing
# violations would pass the first test silently, so the second one fails instead.
#
# Layers (docs/design.md §6), lowest first: core (src/<CORE_DIRS>/ and the public headers named
# in CORE_HEADERS), lab (src/<LAB_DIRS>/ and every other public header), programs
# (src/<PROGRAM_DIRS>/). A file may include headers of its own layer and of lower layers, except:
#   - a core-private header (src/<core dir>/...) only from the core itself: backends, tensor
#     internals and kernels stay behind the public headers;
#   - a backend's own folder (src/backend/cpu/, src/backend/cuda/) only from that backend: what
#     two backends share lives in src/backend/common/;
#   - nothing in src/experiments/ includes a backend header (src/backend/... or BACKEND_HEADERS):
#     experiments work through tensors and the public numerical API.
# Every folder of src/ must be in one layer. `#include <...>` (system, third-party) is not
# checked. EXCEPTIONS lists known violations as "file>header" that are being removed; one that
# no longer occurs fails the check too, so the list can only shrink.

cmake_minimum_required(VERSION 3.21)  # a -P script starts with no policies set (IN_LIST)

foreach(var ROOT CORE_DIRS LAB_DIRS PROGRAM_DIRS CORE_HEADERS BACKEND_HEADERS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_layers.cmake: -D${var}=... is required")
  endif()
endforeach()

# The layer of a path relative to ROOT ("src/nn/models.cpp", "include/gradlab/ops.h"):
# core, lab, program, or "" for a file outside both trees. Sets out_var.
function(layer_of path out_var)
  set(layer "")
  if(path MATCHES "^src/([^/]+)/")
    set(module "${CMAKE_MATCH_1}")
    if(module IN_LIST CORE_DIRS)
      set(layer core)
    elseif(module IN_LIST LAB_DIRS)
      set(layer lab)
    elseif(module IN_LIST PROGRAM_DIRS)
      set(layer program)
    else()
      set(layer "unlisted")
    endif()
  elseif(path MATCHES "^include/gradlab/([^/]+)\\.h$")
    if(CMAKE_MATCH_1 IN_LIST CORE_HEADERS)
      set(layer core)
    else()
      set(layer lab)
    endif()
  endif()
  set(${out_var} "${layer}" PARENT_SCOPE)
endfunction()

set(rank_core 0)
set(rank_lab 1)
set(rank_program 2)

file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/src/*" "${ROOT}/include/gradlab/*")
list(FILTER files INCLUDE REGEX "\\.(h|hpp|cpp|cu|cuh)$")
list(SORT files)
set(violations "")
set(exceptions_seen "")
foreach(file IN LISTS files)
  layer_of("${file}" from)
  if(from STREQUAL "unlisted")
    string(REGEX REPLACE "^(src/[^/]+)/.*" "\\1" folder "${file}")
    list(APPEND violations "${file}: ${folder}/ is in no layer (add it to GRADLAB_CORE_DIRS, GRADLAB_LAB_DIRS or GRADLAB_PROGRAM_DIRS in CMakeLists.txt)")
    continue()
  endif()
  get_filename_component(dir "${file}" DIRECTORY)
  file(STRINGS "${ROOT}/${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
    # Resolve to a path relative to ROOT: public headers, src/-rooted names ("ops/ops_internal.h"),
    # else relative to the including file ("cpu_kernels.h", "../common/loop_nest.h").
    if(inc MATCHES "^gradlab/")
      set(target "include/${inc}")
    elseif(inc MATCHES "^([^./][^/]*)/" AND IS_DIRECTORY "${ROOT}/src/${CMAKE_MATCH_1}")
      set(target "src/${inc}")
    else()
      get_filename_component(abs "${ROOT}/${dir}/${inc}" ABSOLUTE)
      file(RELATIVE_PATH target "${ROOT}" "${abs}")
    endif()
    layer_of("${target}" to)
    set(problem "")
    if(to STREQUAL "" OR to STREQUAL "unlisted")
      # outside the layered trees (or an unlisted folder, reported once for its own files)
    elseif(${rank_${to}} GREATER ${rank_${from}})
      set(problem "a ${from} file includes a ${to} header")
    elseif(to STREQUAL "core" AND NOT from STREQUAL "core" AND target MATCHES "^src/")
      set(problem "a core-private header outside the core (use the public headers in include/gradlab/)")
    elseif(target MATCHES "^src/backend/([^/]+)/")
      set(owner "${CMAKE_MATCH_1}")  # ${CMAKE_MATCH_1} in the same if() would be expanded too early
      if(NOT owner STREQUAL "common" AND NOT file MATCHES "^src/backend/${owner}/")
        set(problem "a backend's private header outside that backend (shared code goes in src/backend/common/)")
      endif()
    endif()
    if(problem STREQUAL "" AND file MATCHES "^src/experiments/"
       AND (target MATCHES "^src/backend/" OR inc IN_LIST BACKEND_HEADERS))
      set(problem "an experiment includes a backend header (go through tensors or the public numerical API)")
    endif()
    if(NOT problem STREQUAL "")
      if("${file}>${inc}" IN_LIST EXCEPTIONS)
        list(APPEND exceptions_seen "${file}>${inc}")
      else()
        list(APPEND violations "${file}: #include \"${inc}\": ${problem}")
      endif()
    endif()
  endforeach()
endforeach()

foreach(exception IN LISTS EXCEPTIONS)
  if(NOT exception IN_LIST exceptions_seen)
    list(APPEND violations "exception '${exception}' no longer occurs: remove it from the EXCEPTIONS list (tests/CMakeLists.txt)")
  endif()
endforeach()

list(LENGTH files checked)
list(LENGTH violations count)
if(count GREATER 0)
  foreach(v IN LISTS violations)
    message("layer violation: ${v}")
  endforeach()
  message(FATAL_ERROR "${count} layer violations in ${checked} files (docs/design.md §6)")
endif()
list(LENGTH exceptions_seen known)
message("layers: ${checked} files, no violations (${known} known exceptions)")
