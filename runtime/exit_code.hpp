#pragma once

namespace weft::runtime {

/// Process exit codes of `caf-node`.
enum exit_code : int {
  exit_ok = 0,       ///< the command did what was asked
  exit_failure = 1,  ///< a runtime failure (database down, job failed, node unreachable)
  exit_usage = 2,    ///< bad usage, bad config, or refused (authentication, version)
};

}  // namespace weft::runtime
