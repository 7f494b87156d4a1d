#include "storage/orphan_sweeper.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "storage/detail/session.hpp"
#include "storage/filestore/layout.hpp"

namespace weft::storage {

namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

/// What the database says about one job directory.
struct job_refs {
  bool exists = false;
  bool finished = false;
  std::set<std::string> referenced;  // paths relative to the job directory
  std::map<int, int> merge_attempt;  // batch_no → current attempt
  std::map<int, int> weave_attempt;  // segment (batch_no) → current attempt
};

job_refs load_refs(database& db, int64_t job) {
  return detail::with_session(db, [&](soci::session& s) {
    job_refs r;
    long long id = job;
    std::string state, tpath, dpath;
    s << "SELECT state, template_path, data_path FROM jobs WHERE id = :id", soci::use(id, "id"),
        soci::into(state), soci::into(tpath), soci::into(dpath);
    if (!s.got_data()) return r;
    r.exists = true;
    r.finished = state == "done" || state == "failed" || state == "cancelled";
    for (const auto& p : {tpath, dpath})
      if (auto rel = filestore::relative_to_job(p, job); !rel.empty()) r.referenced.insert(rel);
    std::string path;
    for (const char* table : {"content", "outputs"}) {
      soci::statement st =
          (s.prepare << "SELECT path FROM " + std::string(table) + " WHERE job_id = :id",
           soci::use(id, "id"), soci::into(path));
      if (st.execute(true)) {
        do {
          if (auto rel = filestore::relative_to_job(path, job); !rel.empty())
            r.referenced.insert(rel);
        } while (st.fetch());
      }
    }
    if (!r.finished) {
      std::string phase;
      int batch_no = 0, attempt = 0;
      soci::statement st =
          (s.prepare << "SELECT phase, batch_no, attempt FROM batches WHERE job_id = :id",
           soci::use(id, "id"), soci::into(phase), soci::into(batch_no), soci::into(attempt));
      if (st.execute(true)) {
        do {
          (phase == "merge" ? r.merge_attempt : r.weave_attempt)[batch_no] = attempt;
        } while (st.fetch());
      }
    }
    return r;
  });
}

/// The rule for one old-enough file of an existing job (see the class comment).
bool removable(const job_refs& r, const fs::path& rel) {
  if (!r.exists) return true;
  const std::string rel_text = rel.lexically_normal().string();
  if (r.referenced.count(rel_text) != 0) return false;
  auto it = rel.begin();
  if (it == rel.end()) return false;
  const auto area = filestore::area_of(it->string());
  if (area != filestore::job_area::content && area != filestore::job_area::out)
    return false;  // input/ and the rest stay
  if (++it == rel.end()) return false;
  if (r.finished) return true;
  // A running job: only files of attempts that are no longer current, directly in the
  // folder.
  const std::string file = it->string();
  if (++it != rel.end()) return false;
  const bool content = area == filestore::job_area::content;
  const auto parsed =
      content ? filestore::parse_content_name(file) : filestore::parse_output_name(file);
  if (!parsed) return false;
  const auto& attempts = content ? r.merge_attempt : r.weave_attempt;
  const auto current = attempts.find(parsed->batch_no);
  return current != attempts.end() && parsed->attempt < current->second;
}

struct entry_info {
  bool is_dir = false;
  bool old = false;
  int64_t bytes = 0;
};

std::optional<entry_info> inspect(const fs::path& p, system_clock::time_point cutoff) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return std::nullopt;
  entry_info e;
  e.is_dir = S_ISDIR(st.st_mode);
  e.bytes = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : 0;
  const auto mtime =
      system_clock::from_time_t(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  e.old = mtime < cutoff;
  return e;
}

bool remove_file(const fs::path& p, int64_t bytes, sweep_counts& counts) {
  if (::unlink(p.c_str()) == 0) {
    ++counts.files;
    counts.bytes += bytes;
    return true;
  }
  if (errno != ENOENT) ++counts.file_errors;
  return false;
}

/// Removes the empty directories among `dirs` (deepest first); rmdir refuses non-empty ones.
void remove_empty_dirs(std::vector<std::pair<std::size_t, fs::path>>& dirs) {
  std::sort(dirs.begin(), dirs.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& d : dirs) ::rmdir(d.second.c_str());
}

}  // namespace

bool orphan_sweeper::run(sweep_counts& counts, const std::function<bool()>& keep_going) {
  std::error_code ec;
  const fs::path jobs = filestore::jobs_dir(root_);
  if (fs::is_directory(fs::symlink_status(jobs, ec))) {
    fs::directory_iterator it(jobs, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (!keep_going()) return false;
      if (!fs::is_directory(it->symlink_status(ec))) continue;
      const auto id = filestore::parse_job_dir_name(it->path().filename().string());
      if (!id) continue;  // not a job directory: left alone
      if (!sweep_job_dir(*id, it->path().string(), counts, keep_going)) return false;
    }
  }
  const fs::path uploads = filestore::uploads_dir(root_);
  if (fs::is_directory(fs::symlink_status(uploads, ec))) {
    fs::directory_iterator it(uploads, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (!keep_going()) return false;
      if (!sweep_upload_dir(it->path().string(), counts, keep_going)) return false;
    }
  }
  return true;
}

bool orphan_sweeper::sweep_job_dir(int64_t job, const std::string& dir, sweep_counts& counts,
                                   const std::function<bool()>& keep_going) {
  const auto cutoff = system_clock::now() - min_age_;
  std::optional<job_refs> refs;  // loaded when the first old file is met
  std::vector<std::pair<std::size_t, fs::path>> dirs;
  bool any_file = false;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  int seen = 0;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (++seen % 64 == 0 && !keep_going()) return false;
    const auto info = inspect(it->path(), cutoff);
    if (!info) continue;
    if (info->is_dir) {  // never a symlink: lstat said directory
      dirs.emplace_back(static_cast<std::size_t>(it.depth()), it->path());
      continue;
    }
    any_file = true;
    if (!info->old) continue;
    if (!refs) refs = load_refs(db_, job);
    if (removable(*refs, it->path().lexically_relative(dir)))
      remove_file(it->path(), info->bytes, counts);
  }
  // Directories only: a sweep that died between removing the files and the directories
  // left them. They go when the job row is gone (a job's row is committed before its
  // directory is made, so a job being created is never mistaken for one).
  if (!refs && !any_file) refs = load_refs(db_, job);
  if (refs && !refs->exists) {
    // The job row is gone: its directory goes too once empty.
    remove_empty_dirs(dirs);
    ::rmdir(dir.c_str());
  }
  return true;
}

bool orphan_sweeper::sweep_upload_dir(const std::string& dir, sweep_counts& counts,
                                      const std::function<bool()>& keep_going) {
  const auto cutoff = system_clock::now() - min_age_;
  std::vector<std::pair<std::size_t, fs::path>> dirs;
  const auto top = inspect(dir, cutoff);
  if (!top) return true;
  if (!top->is_dir) {
    if (top->old) remove_file(dir, top->bytes, counts);
    return true;
  }
  if (top->old) dirs.emplace_back(0, dir);
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  int seen = 0;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (++seen % 64 == 0 && !keep_going()) return false;
    const auto info = inspect(it->path(), cutoff);
    if (!info) continue;
    if (info->is_dir) {
      // Judged before its files go (removing them makes it young again).
      if (info->old) dirs.emplace_back(static_cast<std::size_t>(it.depth()) + 1, it->path());
      continue;
    }
    if (info->old) remove_file(it->path(), info->bytes, counts);
  }
  remove_empty_dirs(dirs);
  return true;
}

}  // namespace weft::storage
