#pragma once

// Every path under the file store ([files].root), built and parsed in one
// place (like leveldb's db/filename.h). Nothing else in Weft spells a file
// store path: the engines, the session, output planning and the orphan sweep
// all come here. No dependencies beyond the standard library.
//
//   <root>/uploads/<token>/<name>            a client's upload, until submit
//   <root>/uploads/<token>/resources/<path>  a client's resources, until submit
//   <root>/<files.resources>/<path>          the cluster's resources (default <root>/resources)
//   <root>/jobs/<id>/input/<name>            the job's template and data
//   <root>/jobs/<id>/resources/<path>        the job's images and fonts (submit --resources)
//   <root>/jobs/<id>/keys.ndjson             sort/group keys, one per record
//   <root>/jobs/<id>/plan/<n>.txt            output segment n's record list
//   <root>/jobs/<id>/content/m<B>.a<A>.bin   merge batch B, attempt A
//   <root>/jobs/<id>/out/<name>-<NNNN>[.a<A>].<ext>   output segment NNNN
//
// A file being written carries the suffix ".<writer>.part" until it is renamed
// into place (see part_path()).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::filestore {

/// `<root>/jobs`: one folder per job below it.
std::string jobs_dir(const std::string& root);
/// `<root>/jobs/<id>`.
std::string job_dir(const std::string& root, int64_t job);
/// `<root>/jobs/<id>/input`: the template and data file a job was submitted with.
std::string input_dir(const std::string& root, int64_t job);
/// `jobs/<id>/input`, relative to the root (for make_directories, directory.hpp).
std::string input_dir_below_root(int64_t job);
/// `<root>/jobs/<id>/resources`: the images and fonts a job was submitted with (`<path>` below
/// it is the resource's name, checked by document::resource_name_problem).
std::string resources_dir(const std::string& root, int64_t job);
/// `<root>/jobs/<id>/keys.ndjson`: the sort/group keys written while mapping.
std::string keys_path(const std::string& root, int64_t job);
/// `<root>/jobs/<id>/plan`, and `<root>/jobs/<id>/plan/<segment>.txt`.
std::string plan_dir(const std::string& root, int64_t job);
std::string plan_path(const std::string& root, int64_t job, int64_t segment);
/// `<root>/jobs/<id>/content/m<B>.a<A>.bin`: the content items of merge batch
/// `batch_no`, written by attempt `attempt`.
std::string content_path(const std::string& root, int64_t job, int batch_no, int attempt);
/// `<root>/jobs/<id>/out`.
std::string output_dir(const std::string& root, int64_t job);
/// `<name>-<segment>[.a<A>]<extension>`: the file name of an output segment; the
/// attempt is spelled only from the second on. `extension` includes its dot.
std::string output_file_name(const std::string& name, const std::string& segment, int attempt,
                             std::string_view extension);
/// `<root>/uploads`, and `<root>/uploads/<token>`: a session's upload area.
std::string uploads_dir(const std::string& root);
std::string upload_dir(const std::string& root, const std::string& token);
/// `<root>/uploads/<token>/resources`: a session's resource uploads, moved to resources_dir()
/// by submit.
std::string upload_resources_dir(const std::string& root, const std::string& token);
/// The cluster's resource folder: `[files].resources` (a path relative to the root, checked by
/// the config) below `root`.
std::string cluster_resources_dir(const std::string& root, const std::string& configured);
/// `path` + ".<16 hex digits>.part": where a file is written before it is renamed into
/// place. The hex digits differ for every call (in every process), so two writers of one
/// final name (two grants of one attempt — never meant to happen, see
/// scheduler::bump_attempt) never write into each other's file; the rename is atomic, and
/// one complete file stays.
std::string part_path(const std::string& path);

// -- parsing -----------------------------------------------------------------------

/// The folders directly below a job's folder.
enum class job_area { input, resources, content, out, plan, other };
/// The area a top-level name below `jobs/<id>/` belongs to.
job_area area_of(std::string_view top);

/// A job folder's name ("42") as its id; nothing for any other name.
std::optional<int64_t> parse_job_dir_name(std::string_view name);

/// The batch (or segment) and attempt a content or output file belongs to.
struct file_attempt {
  int batch_no = 0;  ///< a merge batch, or an output segment's batch_no (segment - 1)
  int attempt = 1;
};
/// "m<B>.a<A>.bin[.<writer>.part]" → {B, A}.
std::optional<file_attempt> parse_content_name(std::string_view file);
/// "<name>-<NNNN>[.a<A>].<ext>[.<writer>.part]" → {NNNN - 1, A (1 when absent)}.
std::optional<file_attempt> parse_output_name(std::string_view file);

/// The part of a stored absolute path below `jobs/<job>/` ("content/m1.a1.bin"),
/// normalised; "" when the path lies elsewhere.
std::string relative_to_job(const std::string& stored, int64_t job);

}  // namespace weft::filestore
