# The Debian package `weft` (CPack; docs/operations.md "The package"):
#   cd build && cpack -G DEB        →  build/weft_<version>_<arch>.deb
# caf-node in /usr/bin, an example topology and its defaults in /etc/weft and
# /etc/default, the weft-node service, a sysusers entry for the `weft` user,
# a logrotate snippet and the operator documentation.

set(_pkg ${PROJECT_SOURCE_DIR}/scripts/packaging)

install(TARGETS caf-node RUNTIME DESTINATION bin COMPONENT weft)
install(FILES ${_pkg}/weft.toml DESTINATION /etc/weft COMPONENT weft)
install(FILES ${_pkg}/default.weft DESTINATION /etc/default RENAME weft COMPONENT weft)
install(FILES ${_pkg}/weft.logrotate DESTINATION /etc/logrotate.d RENAME weft COMPONENT weft)
install(FILES ${_pkg}/weft-node.service DESTINATION /lib/systemd/system COMPONENT weft)
install(FILES ${_pkg}/weft.sysusers DESTINATION lib/sysusers.d RENAME weft.conf COMPONENT weft)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
        ${PROJECT_SOURCE_DIR}/docs/cluster.md
        DESTINATION share/doc/weft COMPONENT weft)
install(FILES ${_pkg}/copyright DESTINATION share/doc/weft COMPONENT weft)

# Debian wants the changelog (changelog.gz: a native package) gzipped with -n (no name or time stamp): reproducible. Made at
# configure time, so that cpack needs no build target besides caf-node.
set(_changelog ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
execute_process(COMMAND gzip -n -9 -c ${_pkg}/changelog OUTPUT_FILE ${_changelog}
                COMMAND_ERROR_IS_FATAL ANY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_pkg}/changelog)
install(FILES ${_changelog} DESTINATION share/doc/weft COMPONENT weft)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weft)
set(CPACK_PACKAGE_VENDOR "Weft")
set(CPACK_PACKAGE_CONTACT "Weft maintainers <weft-maintainers@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "clustered document-processing runtime (caf-node)")
set(CPACK_PACKAGE_DESCRIPTION
    "Weft merges data records with templates into PDF, text and HTML documents on a
cluster of nodes. This package holds the caf-node binary, the weft-node systemd
service and an example single-node topology.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mariadb-server, haproxy")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm ${_pkg}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
