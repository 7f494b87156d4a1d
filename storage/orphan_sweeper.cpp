#include "storage/orphan_sweeper.hpp"

#include <fcntl.h>
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
#include "storage/filestore/directory.hpp"
#include "storage/filestore/layout.hpp"

namespace weft::storage {

namespace {

namespace fs = std::filesystem;
using filestore::directory;
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
      if (detail::execute_select(s, st)) {
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
      if (detail::execute_select(s, st)) {
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

/// What lstat says of `name` in `dir` (a link is a file here: it is never followed).
std::optional<entry_info> inspect(const directory& dir, const std::string& name,
                                  system_clock::time_point cutoff) {
  struct stat st {};
  if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  entry_info e;
  e.is_dir = S_ISDIR(st.st_mode);
  e.bytes = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : 0;
  const auto mtime =
      system_clock::from_time_t(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  e.old = mtime < cutoff;
  return e;
}

bool remove_file(const directory& dir, const std::string& name, int64_t bytes,
                 sweep_counts& counts) {
  if (::unlinkat(dir.fd(), name.c_str(), 0) == 0) {
    ++counts.files;
    counts.bytes += bytes;
    return true;
  }
  if (errno != ENOENT) ++counts.file_errors;
  return false;
}

/// rmdir relative to the parent; refused (and left) when not empty.
void remove_dir(const directory& parent, const std::string& name) {
  ::unlinkat(parent.fd(), name.c_str(), AT_REMOVEDIR);
}

/// Deeper trees than this are not Weft's: left alone rather than walked.
constexpr int max_depth = 16;

/// Walks the tree below `dir` one entry at a time, depth first. For each file (or link)
/// `on_file(dir, name, rel, info)`; each sub-directory is walked, then offered to
/// `on_dir_done(parent, name, info_before)` for removal. Returns false when `keep_going`
/// said stop.
template <class OnFile, class OnDirDone>
bool walk(const directory& dir, const fs::path& rel, int depth, system_clock::time_point cutoff,
          int& seen, const std::function<bool()>& keep_going, OnFile& on_file,
          OnDirDone& on_dir_done) {
  bool go_on = true;
  dir.for_each([&](const std::string& name) {
    if (++seen % 64 == 0 && !keep_going()) return go_on = false;
    const auto info = inspect(dir, name, cutoff);
    if (!info) return true;
    if (!info->is_dir) {
      on_file(dir, name, rel / name, *info);
      return true;
    }
    if (depth >= max_depth) return true;
    auto sub = directory::open(dir.fd(), name.c_str());
    if (!sub) return true;  // swapped for a link or a file since: not followed
    if (!walk(*sub, rel / name, depth + 1, cutoff, seen, keep_going, on_file, on_dir_done))
      return go_on = false;
    on_dir_done(dir, name, *info);
    return true;
  });
  return go_on;
}

}  // namespace

bool orphan_sweeper::run(sweep_counts& counts, const std::function<bool()>& keep_going) {
  // The root is the operator's setting and may itself be a link; nothing below it is.
  auto root = directory::open(AT_FDCWD, root_.c_str(), true);
  if (!root) return true;
  bool go_on = true;
  if (auto jobs = directory::open(root->fd(), "jobs")) {
    jobs->for_each([&](const std::string& name) {
      if (!keep_going()) return go_on = false;
      const auto id = filestore::parse_job_dir_name(name);
      if (!id) return true;  // not a job directory: left alone
      auto dir = directory::open(jobs->fd(), name.c_str());
      if (!dir) return true;  // a link or a file named like a job: never followed
      if (!sweep_job_dir(*id, *jobs, name, *dir, counts, keep_going)) return go_on = false;
      return true;
    });
  }
  if (!go_on) return false;
  if (auto uploads = directory::open(root->fd(), "uploads")) {
    uploads->for_each([&](const std::string& name) {
      if (!keep_going()) return go_on = false;
      if (!sweep_upload_dir(*uploads, name, counts, keep_going)) return go_on = false;
      return true;
    });
  }
  return go_on;
}

bool orphan_sweeper::sweep_job_dir(int64_t job, const directory& jobs, const std::string& name,
                                   const directory& dir, sweep_counts& counts,
                                   const std::function<bool()>& keep_going) {
  const auto cutoff = system_clock::now() - min_age_;
  std::optional<job_refs> refs;  // loaded when the first old file is met
  bool any_file = false;
  // Directories are removed only once the job row is known to be gone; the refs are
  // loaded before the first directory is offered, so that holds during the walk too.
  auto on_file = [&](const directory& in, const std::string& file, const fs::path& rel,
                     const entry_info& info) {
    any_file = true;
    if (!info.old) return;
    if (!refs) refs = load_refs(db_, job);
    if (removable(*refs, rel)) remove_file(in, file, info.bytes, counts);
  };
  auto on_dir_done = [&](const directory& parent, const std::string& sub, const entry_info&) {
    if (!refs) refs = load_refs(db_, job);
    if (!refs->exists) remove_dir(parent, sub);
  };
  int seen = 0;
  if (!walk(dir, fs::path{}, 0, cutoff, seen, keep_going, on_file, on_dir_done)) return false;
  // Directories only: a sweep that died between removing the files and the directories
  // left them. They go when the job row is gone (a job's row is committed before its
  // directory is made, so a job being created is never mistaken for one).
  if (!refs && !any_file) refs = load_refs(db_, job);
  if (refs && !refs->exists) remove_dir(jobs, name);
  return true;
}

bool orphan_sweeper::sweep_upload_dir(const directory& uploads, const std::string& name,
                                      sweep_counts& counts,
                                      const std::function<bool()>& keep_going) {
  const auto cutoff = system_clock::now() - min_age_;
  const auto top = inspect(uploads, name, cutoff);
  if (!top) return true;
  if (!top->is_dir) {
    if (top->old) remove_file(uploads, name, top->bytes, counts);
    return true;
  }
  auto dir = directory::open(uploads.fd(), name.c_str());
  if (!dir) return true;
  auto on_file = [&](const directory& in, const std::string& file, const fs::path&,
                     const entry_info& info) {
    if (info.old) remove_file(in, file, info.bytes, counts);
  };
  // A directory is judged by its age before its files went (removing them makes it young).
  auto on_dir_done = [&](const directory& parent, const std::string& sub,
                         const entry_info& before) {
    if (before.old) remove_dir(parent, sub);
  };
  int seen = 0;
  if (!walk(*dir, fs::path{}, 0, cutoff, seen, keep_going, on_file, on_dir_done)) return false;
  if (top->old) remove_dir(uploads, name);
  return true;
}

}  // namespace weft::storage
