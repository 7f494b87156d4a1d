#pragma once

#include <string>

#include "actors/document/record.hpp"

namespace weft::document {

/// A stream of records read from a data file, one at a time, in bounded memory.
///
/// Not thread-safe. After next() has thrown a data_error the reader is spent: every further call
/// throws the same error again.
class record_reader {
 public:
  virtual ~record_reader() = default;

  /// Reads the next record into `out`. Returns false at the end of the data.
  /// @throws data_error on malformed data, a limit crossed or a read error.
  virtual bool next(record& out) = 0;

  /// How the data is being read, for the log: format, dialect (a sniffed delimiter says so),
  /// encoding, record path. Complete once next() has been called.
  virtual std::string describe() const = 0;
};

}  // namespace weft::document
