#pragma once

// Reads whose completeness can be checked (docs/storage.md "Reads cut short").
//
// A query cut short by the database server's shutdown can come back with no rows (or
// some of them) and no error (SOCI over MariaDB). A read whose result decides what
// is done next (a weave's content, a take-over's unfinished jobs and open batches)
// checks its row count against a count it can trust and throws storage_error
// (unavailable) when it is short: the caller retries as for a lost connection.

#include <cstdint>
#include <string>

namespace weft::storage {

/// Throws storage_error(unavailable) naming `what` when `got` rows are fewer than
/// `expected` (a count the caller trusts; -1: the count itself came back empty).
void require_complete_read(const std::string& what, std::int64_t got, std::int64_t expected);

/// Test seam: the next `reads` reads named `read` ("contents", "open_batches",
/// "unfinished_jobs", "names_file") lose their rows after the database answered, as a read cut
/// short does. Only tests call it (there is no configuration for it).
void cut_reads_short_for_test(const std::string& read, int reads);

namespace detail {
/// Whether the seam cuts this read of `read` short (consumes one armed read).
bool cut_short(const char* read);
}  // namespace detail

}  // namespace weft::storage
