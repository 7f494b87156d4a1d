#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>

namespace weft::document::samples {

/// Makes realistic, deterministic invoice records (same seed, same records on every platform).
///
/// A record: invoice ("INV-000123"), date, due_date, customer {name, email, number}, street,
/// postcode, city, country, currency, items [{sku, description, qty, price, amount}], subtotal,
/// tax_rate, tax, total, paid (bool), notes (sometimes), payment_code (an EPC069-12 GiroCode
/// text paying the total, girocode.hpp). Money is a string with two decimals.
///
/// Half the customers have Latin-script names and addresses (with diacritics), the others
/// Greek, Japanese or Arabic ones. An invoice has 1 to max_items items, except about one in
/// `long_every`, which has 25 to 64 (its items table crosses pages); 0: none.
class invoice_generator {
 public:
  explicit invoice_generator(std::uint64_t seed = 42, int max_items = 8, int long_every = 10)
      : state_(seed),
        max_items_(max_items < 1 ? 1 : max_items),
        long_every_(long_every < 0 ? 0 : long_every) {}

  /// The next invoice; numbers count up from 1.
  nlohmann::json next();

  /// Writes `count` invoices as NDJSON, one per line, streaming.
  void write_ndjson(std::ostream& out, std::uint64_t count);

  /// Writes `count` invoices as CSV with a header row (no line items: CSV is flat; the customer
  /// columns are named "customer.name" etc., which templates reach as {{customer.name}}).
  void write_csv(std::ostream& out, std::uint64_t count);

  /// Writes `count` invoices as one JSON document: {"invoices": [ ... ]} (records at /invoices).
  void write_json(std::ostream& out, std::uint64_t count);

  /// Writes `count` invoices as XML: <invoices><invoice>…</invoice>…</invoices> (records at
  /// /invoices/invoice), each member an element, items as repeated <items> elements, the
  /// invoice number also as an attribute `id`.
  void write_xml(std::ostream& out, std::uint64_t count);

 private:
  std::uint64_t random();
  std::uint64_t below(std::uint64_t n) { return random() % n; }

  std::uint64_t state_;
  int max_items_;
  int long_every_;
  std::uint64_t number_ = 0;
};

}  // namespace weft::document::samples
