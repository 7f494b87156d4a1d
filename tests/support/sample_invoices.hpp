#pragma once

// The sample invoices the system tests feed their jobs (weft_gen_invoices), and
// the check every such test ends with: each record in the outputs exactly once.

#include <cstdint>
#include <map>
#include <string>

namespace weft::test {

/// Writes `count` sample invoices to `path` (.csv or .ndjson decides the format).
/// Returns false with the reason in `why`.
bool generate_invoices(int64_t count, const std::string& path, std::string& why);

/// The path of `count` sample invoices (NDJSON), generated once per process.
/// Throws when the generator fails.
std::string invoices(int64_t count);

/// The sample invoice template (actors/document/samples/invoice.mustache).
std::string invoice_template();

/// The invoice number the generator gives record `n` (from 1): INV-000042.
std::string invoice_number(int64_t n);

/// "" when invoices 1..records each occur exactly once in `seen` (invoice number
/// to occurrences) and no other occurs; else what is wrong (the first few problems).
std::string exactly_once_problems(const std::map<std::string, int>& seen, int64_t records);

/// Adds `b`'s counts to `a`.
void merge_counts(std::map<std::string, int>& a, const std::map<std::string, int>& b);

}  // namespace weft::test
