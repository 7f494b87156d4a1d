# Imported targets for the libraries Weft builds on.
#
# Debian 12 ships no CMake or pkg-config files for CAF and SOCI, so their
# targets are defined here by hand (see ../shared/STACK.md).

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# --- CAF 0.17 -----------------------------------------------------------------
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(c core io openssl)
  find_library(CAF_${c}_LIBRARY caf_${c} REQUIRED)
  if(NOT TARGET CAF::${c})
    add_library(CAF::${c} SHARED IMPORTED)
    set_target_properties(CAF::${c} PROPERTIES IMPORTED_LOCATION "${CAF_${c}_LIBRARY}"
                                               INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  endif()
endforeach()
set_property(TARGET CAF::core APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
set_property(TARGET CAF::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::core)
set_property(TARGET CAF::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::io)

# --- SOCI 4.0 with the MariaDB (mysql) and SQLite backends --------------------
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
foreach(c core mysql sqlite3)
  find_library(SOCI_${c}_LIBRARY NAMES libsoci_${c}.so soci_${c} REQUIRED)
  if(NOT TARGET SOCI::${c})
    add_library(SOCI::${c} SHARED IMPORTED)
    set_target_properties(SOCI::${c} PROPERTIES IMPORTED_LOCATION "${SOCI_${c}_LIBRARY}"
                                                INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
  endif()
endforeach()
set_property(TARGET SOCI::core APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS})
set_property(TARGET SOCI::mysql APPEND PROPERTY INTERFACE_LINK_LIBRARIES SOCI::core PkgConfig::MARIADB)
set_property(TARGET SOCI::sqlite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES SOCI::core PkgConfig::SQLITE3)

# --- header and small libraries -----------------------------------------------
find_package(tomlplusplus 3 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 QUIET)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
# kainjow::mustache: a patched copy in actors/document/third_party/kainjow-mustache (its README.md says why);
# the system's libkainjow-mustache-dev is not used.
set(MUSTACHE_INCLUDE_DIR "${PROJECT_SOURCE_DIR}/actors/document/third_party/kainjow-mustache")
if(NOT TARGET weft::mustache)
  add_library(weft::mustache INTERFACE IMPORTED)
  set_target_properties(weft::mustache PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${MUSTACHE_INCLUDE_DIR}")
endif()
# libxml2: the streaming xmlTextReader behind the XML data reader (actors/document/xml_reader).
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
# libedit (BSD): line editing, history and completion for `caf-node shell`;
# headers under <editline/readline.h>.
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)
# libsystemd: sd_notify for the weft-node service (Type=notify; runtime/service_notify.cpp).
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(NOT TARGET weft::cli11)
  add_library(weft::cli11 INTERFACE IMPORTED)
  set_target_properties(weft::cli11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${CLI11_INCLUDE_DIR}")
endif()

# Barcodes (actors/document/barcode): libzint (Debian 12 ships no pkg-config file for it) and
# Cairo, whose PDF and image surfaces the barcodes are drawn on. GLOBAL: every folder may link it.
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET GLOBAL cairo)
find_path(ZINT_INCLUDE_DIR zint.h REQUIRED)
find_library(ZINT_LIBRARY zint REQUIRED)
if(NOT TARGET weft::zint)
  add_library(weft::zint SHARED IMPORTED GLOBAL)
  set_target_properties(weft::zint PROPERTIES IMPORTED_LOCATION "${ZINT_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${ZINT_INCLUDE_DIR}")
endif()

# Mark third-party include directories as SYSTEM so that our warnings-as-errors
# policy applies to our own code only.
foreach(t CAF::core CAF::io CAF::openssl SOCI::core SOCI::mysql SOCI::sqlite3
          weft::mustache weft::cli11)
  get_target_property(_inc ${t} INTERFACE_INCLUDE_DIRECTORIES)
  set_target_properties(${t} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_inc}")
endforeach()
