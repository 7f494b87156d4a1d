// Where a job's templates find their images and fonts (planning::resources_dir_of): the job's
// own resources first, else the cluster's resource folder, else none.

#define BOOST_TEST_MODULE job_resources
#include "actors/planning/job_resources.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "storage/filestore/layout.hpp"
#include "tests/support/child_process.hpp"

namespace fs = std::filesystem;
using weft::planning::resources_dir_of;

BOOST_AUTO_TEST_CASE(the_jobs_own_resources_come_first_then_the_clusters_then_none) {
  weft::test::temp_dir root("job-resources");
  BOOST_TEST(resources_dir_of(root.path(), 7, "resources").empty());
  fs::create_directories(root / "shared/images");
  BOOST_TEST(resources_dir_of(root.path(), 7, "shared/images") == root / "shared/images");
  BOOST_TEST(resources_dir_of(root.path(), 7, "resources").empty());
  fs::create_directories(weft::filestore::resources_dir(root.path(), 7));
  BOOST_TEST(resources_dir_of(root.path(), 7, "shared/images") == root / "jobs/7/resources");
  BOOST_TEST(resources_dir_of(root.path(), 8, "shared/images") == root / "shared/images");
}

BOOST_AUTO_TEST_CASE(a_file_where_a_folder_is_expected_is_no_resource_folder) {
  weft::test::temp_dir root("job-resources");
  root.write("resources", "not a folder");
  BOOST_TEST(resources_dir_of(root.path(), 1, "resources").empty());
}
