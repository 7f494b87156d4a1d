#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actors/document/record.hpp"

namespace weft::document {

/// Decides how a job's documents are cut into output files (segments): sorted, grouped, split.
///
/// A pure function on small keys: the caller extracts one key per record (key_of), builds the
/// plan, then streams each segment's content itself in the plan's order.
class output_plan {
 public:
  /// The job's output options that shape the plan.
  struct options {
    /// Field to sort by (stable); empty for the input order. Dotted names reach into objects.
    std::string sort_by;
    /// Field whose value change starts a new segment; empty for none.
    std::string group_by;
    /// Most documents per segment; 0 for no limit.
    std::size_t split_every = 0;
  };

  /// The part of one record the plan looks at.
  struct key {
    /// The record's number (or any id the caller wants back in segment::records).
    std::int64_t record = 0;
    /// Value of options::sort_by, nullopt when the record lacks the field.
    std::optional<nlohmann::json> sort_value;
    /// Value of options::group_by, nullopt when the record lacks the field.
    std::optional<nlohmann::json> group_value;
  };

  /// One output file.
  struct segment {
    /// 1-based position among the segments.
    std::size_t index = 0;
    /// "0003", or "0003-acme_corp" with group_by: safe in file names, unique within the plan.
    std::string name;
    /// The group value as text ("" without group_by).
    std::string group;
    /// Record ids in output order.
    std::vector<std::int64_t> records;
  };

  /// Extracts the key of `r` for `opts`.
  static key key_of(const record& r, const options& opts);

  /// Builds the plan.
  ///
  /// Sorting is stable: records without the field (or null) first, then numbers in numeric
  /// order (JSON numbers, and strings that are entirely a number, so CSV values sort
  /// numerically), then other values by their text. Grouping starts a segment wherever the
  /// group value changes in the (sorted) order. split_every then cuts long segments.
  /// No keys give no segments.
  /// @throws std::invalid_argument when sort_by or group_by is absent from the first key,
  ///         naming the field.
  static output_plan make(std::vector<key> keys, const options& opts);

  const std::vector<segment>& segments() const { return segments_; }

  /// The group value as text, made safe for file names: ASCII letters, digits, '-', '_' and
  /// '.' kept, runs of anything else become one '_', at most 40 characters, "empty" if nothing
  /// is left.
  static std::string sanitize(const std::string& value);

 private:
  std::vector<segment> segments_;
};

}  // namespace weft::document
