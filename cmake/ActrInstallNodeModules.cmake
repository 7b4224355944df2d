# Installs the node packages an installed SDK runs, copied from this machine's node_modules (the
# versions pinned in package.json, installed by `npm ci`; nothing is downloaded):
#   - @bytecodealliance/jco: `jco embed` and `jco new` build every workload (ActrGuest.cmake),
#     `jco transpile` serves `actr build --web` (web/tools/transpile.mjs);
#   - protobufjs, long: files web/serve.mjs hands to the page.
# Each comes with the packages it depends on (`dependencies`, and the `optionalDependencies`
# present, such as the native binding of this platform), found the way node finds them. Left out:
# the dependencies of jco that only its other commands load, on demand (`jco componentize`:
# componentize-js, componentize-qjs; `jco opt`: binaryen; `jco run`: jco-std; `jco create`:
# typescript), ~300 MB that workload builds never load. tests/cli/workload_commands_test.cpp builds a
# workload, and its --web modules, from an install to prove the set is enough.
#
# Run by install(CODE) (cmake/ActrInstall.cmake) with ACTR_NODE_MODULES_FROM (the source tree's
# node_modules) and ACTR_NODE_MODULES_TO (PREFIX/share/actr/node_modules).
# cmake_install.cmake runs with CMake's oldest policies; include() scopes this to the file.
cmake_policy(VERSION 3.25)
set(_actr_node_roots @bytecodealliance/jco protobufjs long)
set(_actr_node_skipped
    @bytecodealliance/componentize-js @bytecodealliance/componentize-js-0-19-3 componentize-qjs
    binaryen @bytecodealliance/jco-std typescript typescript-compiler-api)

if(NOT EXISTS "${ACTR_NODE_MODULES_FROM}/@bytecodealliance/jco/package.json")
  message(WARNING "actr: ${ACTR_NODE_MODULES_FROM} has no jco (run `npm ci` in the source tree "
                  "before installing): workloads built with this install need -DACTR_JCO=...")
  return()
endif()

# node's lookup of package `name` required from `dir`: dir/node_modules/name, then the same in
# each parent directory, up to the directory that holds ACTR_NODE_MODULES_FROM.
get_filename_component(_actr_node_top "${ACTR_NODE_MODULES_FROM}" DIRECTORY)
function(_actr_node_package out dir name)
  while(TRUE)
    if(EXISTS "${dir}/node_modules/${name}/package.json")
      set(${out} "${dir}/node_modules/${name}" PARENT_SCOPE)
      return()
    endif()
    if("${dir}" STREQUAL "${_actr_node_top}" OR "${dir}" STREQUAL "/")
      break()
    endif()
    get_filename_component(dir "${dir}" DIRECTORY)
  endwhile()
  set(${out} "" PARENT_SCOPE)
endfunction()

set(_actr_node_queue)
foreach(name IN LISTS _actr_node_roots)
  _actr_node_package(found "${_actr_node_top}" "${name}")
  if(NOT found)
    message(FATAL_ERROR "actr: ${name} is missing from ${ACTR_NODE_MODULES_FROM} (run `npm ci`)")
  endif()
  list(APPEND _actr_node_queue "${found}")
endforeach()

set(_actr_node_packages)
while(_actr_node_queue)
  list(POP_FRONT _actr_node_queue package)
  if(package IN_LIST _actr_node_packages)
    continue()
  endif()
  list(APPEND _actr_node_packages "${package}")
  file(READ "${package}/package.json" manifest)
  foreach(field dependencies optionalDependencies)
    string(JSON count ERROR_VARIABLE no_field LENGTH "${manifest}" ${field})
    if(no_field OR count EQUAL 0)
      continue()
    endif()
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      string(JSON name MEMBER "${manifest}" ${field} ${i})
      if(name IN_LIST _actr_node_skipped)
        continue()
      endif()
      _actr_node_package(found "${package}" "${name}")
      if(found)
        list(APPEND _actr_node_queue "${found}")
      elseif(field STREQUAL "dependencies")
        message(FATAL_ERROR "actr: ${name}, a dependency of ${package}, is missing (run `npm ci`)")
      endif()
    endforeach()
  endforeach()
endwhile()

# Each package without its own node_modules: the packages nested there that are needed are in the
# list themselves, and the others (e.g. jco's componentize-js) stay out.
list(LENGTH _actr_node_packages count)
message(STATUS "Installing: ${ACTR_NODE_MODULES_TO} (${count} node packages)")
foreach(package IN LISTS _actr_node_packages)
  file(RELATIVE_PATH rel "${ACTR_NODE_MODULES_FROM}" "${package}")
  get_filename_component(parent "${ACTR_NODE_MODULES_TO}/${rel}" DIRECTORY)
  file(INSTALL "${package}" DESTINATION "${parent}" USE_SOURCE_PERMISSIONS MESSAGE_NEVER
       PATTERN node_modules EXCLUDE)
endforeach()
# The entry point ActrGuest.cmake runs (ACTR_JCO), a symlink into the jco package.
file(INSTALL "${ACTR_NODE_MODULES_FROM}/.bin/jco" DESTINATION "${ACTR_NODE_MODULES_TO}/.bin"
     MESSAGE_NEVER)
