#pragma once

// Where a job's templates find their images and fonts: the resources the job was submitted
// with, else the cluster's resource folder ([files].resources). docs/templates.md "Resources".

#include <cstdint>
#include <filesystem>
#include <string>

namespace weft::planning {

/// The job's own resource folder (`jobs/<id>/resources`) when it exists, else the cluster's
/// (`<root>/<cluster_folder>`) when that exists, else an empty path (no resources: a template
/// that refers to one fails naming it). Looks at the file system; never throws.
std::filesystem::path resources_dir_of(const std::string& files_root, int64_t job,
                                       const std::string& cluster_folder);

}  // namespace weft::planning
