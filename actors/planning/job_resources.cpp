// A job's resource folder. See job_resources.hpp.

#include "actors/planning/job_resources.hpp"

#include "storage/filestore/layout.hpp"

namespace weft::planning {

std::filesystem::path resources_dir_of(const std::string& files_root, int64_t job,
                                       const std::string& cluster_folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path own = filestore::resources_dir(files_root, job);
  if (fs::is_directory(own, ec)) return own;
  fs::path shared = filestore::cluster_resources_dir(files_root, cluster_folder);
  if (fs::is_directory(shared, ec)) return shared;
  return {};
}

}  // namespace weft::planning
