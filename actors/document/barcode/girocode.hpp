#pragma once

// EPC069-12 ("GiroCode", "SEPA QR"): the text of a QR code that a banking app reads as a SEPA
// credit transfer — who is paid (name, IBAN, BIC), how much (EUR) and the reference. The text is
// what `<barcode type="qrcode" value="...">` encodes; see docs/templates.md "Barcodes".
//
// Part of weft_barcode; the standard library only.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weft::document {

/// A payment that cannot be written as a GiroCode; the message names the field and says why.
class girocode_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

/// The fields of a SEPA credit transfer as EPC069-12 version 002 carries them.
struct girocode_payment {
  /// The payee's bank: 8 or 11 characters (ISO 9362), or empty (version 002 makes it optional
  /// inside the EEA).
  std::string bic;
  /// The payee, 1 to 70 characters (UTF-8).
  std::string name;
  /// The payee's account; spaces are ignored, letters may be lower case. Its check digits are
  /// verified (ISO 13616, mod 97).
  std::string iban;
  /// The amount in euro cents: 1 (EUR 0.01) to 99,999,999,999 (EUR 999,999,999.99).
  std::int64_t amount_cents = 0;
  /// The remittance information: free text of at most 140 characters, or, when `structured`,
  /// a creditor reference of at most 35 letters and digits (an ISO 11649 "RF" reference has its
  /// check digits verified). May be empty.
  std::string reference;
  bool structured = false;
};

/// Most bytes an EPC069-12 payload may have.
constexpr std::size_t girocode_max_bytes = 331;

/// The QR code text of `payment`: "BCD", version 002, UTF-8, "SCT", then the fields, one a line
/// (LF), without trailing empty lines.
/// @throws girocode_error naming the field that is missing or invalid.
std::string girocode_payload(const girocode_payment& payment);

/// "12.30" for 1230 cents (the amount's text inside the payload, after "EUR").
std::string girocode_amount_text(std::int64_t amount_cents);

/// The IBAN of `country` (two letters) and `bban` (the national account number, letters and
/// digits) with its check digits computed: for test and sample data.
/// @throws girocode_error when `country` or `bban` is malformed.
std::string iban_with_check_digits(std::string_view country, std::string_view bban);

}  // namespace weft::document
