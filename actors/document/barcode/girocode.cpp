// EPC069-12 payloads. See girocode.hpp.

#include "actors/document/barcode/girocode.hpp"

#include <cctype>

namespace weft::document {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z'); }

/// Characters (code points) in `text`, or -1 when it is not valid UTF-8.
long utf8_length(std::string_view text) {
  long count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    if (c < 0x80) {
      n = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      n = 4;
    } else {
      return -1;
    }
    if (i + n > text.size()) return -1;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return -1;
    }
    i += n;
    ++count;
  }
  return count;
}

/// The remainder mod 97 of `text` read as a number, letters counting A = 10 ... Z = 35 (the
/// check of IBANs and ISO 11649 references).
int mod97(std::string_view text) {
  int rest = 0;
  for (char c : text) {
    const int v = is_digit(c) ? c - '0' : std::toupper(static_cast<unsigned char>(c)) - 'A' + 10;
    rest = (v >= 10 ? rest * 100 + v : rest * 10 + v) % 97;
  }
  return rest;
}

/// Text fields may not span lines: the payload is one field a line.
void check_one_line(std::string_view field, std::string_view value) {
  for (char c : value) {
    if (c == '\n' || c == '\r') {
      throw girocode_error("GiroCode " + std::string(field) + " contains a line break");
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      throw girocode_error("GiroCode " + std::string(field) + " contains a control character");
    }
  }
}

void check_text(std::string_view field, std::string_view value, long max_chars) {
  const long length = utf8_length(value);
  if (length < 0) throw girocode_error("GiroCode " + std::string(field) + " is not valid UTF-8");
  if (length > max_chars) {
    throw girocode_error("GiroCode " + std::string(field) + " has " + std::to_string(length) +
                         " characters, more than " + std::to_string(max_chars));
  }
  check_one_line(field, value);
}

std::string normalised_iban(std::string_view iban) {
  std::string out;
  for (char c : iban) {
    if (c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.empty()) throw girocode_error("GiroCode IBAN is missing");
  if (out.size() < 15 || out.size() > 34) {
    throw girocode_error("GiroCode IBAN has " + std::to_string(out.size()) +
                         " characters; an IBAN has 15 to 34");
  }
  if (!is_upper(out[0]) || !is_upper(out[1]) || !is_digit(out[2]) || !is_digit(out[3])) {
    throw girocode_error(
        "GiroCode IBAN must start with a two-letter country code and two check digits");
  }
  for (char c : out) {
    if (!is_alnum(c)) throw girocode_error("GiroCode IBAN holds letters and digits only");
  }
  if (mod97(out.substr(4) + out.substr(0, 4)) != 1) {
    throw girocode_error("GiroCode IBAN " + out.substr(0, 4) + "... has wrong check digits");
  }
  return out;
}

void check_bic(std::string_view bic) {
  if (bic.empty()) return;
  bool ok = bic.size() == 8 || bic.size() == 11;
  for (std::size_t i = 0; ok && i < bic.size(); ++i) {
    ok = i < 6 ? is_upper(bic[i]) : (is_upper(bic[i]) || is_digit(bic[i]));
  }
  if (!ok) {
    throw girocode_error(
        "GiroCode BIC must be 8 or 11 capital letters and digits (6 letters first), or empty");
  }
}

void check_reference(const girocode_payment& payment) {
  const std::string& ref = payment.reference;
  if (!payment.structured) {
    check_text("reference", ref, 140);
    return;
  }
  if (ref.size() > 35) {
    throw girocode_error("GiroCode structured reference has " + std::to_string(ref.size()) +
                         " characters, more than 35");
  }
  for (char c : ref) {
    if (!is_alnum(c)) {
      throw girocode_error("GiroCode structured reference holds letters and digits only");
    }
  }
  if (ref.size() >= 2 && (ref[0] == 'R' || ref[0] == 'r') && (ref[1] == 'F' || ref[1] == 'f')) {
    if (ref.size() < 5 || ref.size() > 25 || !is_digit(ref[2]) || !is_digit(ref[3]) ||
        mod97(ref.substr(4) + ref.substr(0, 4)) != 1) {
      throw girocode_error("GiroCode structured reference " + ref +
                           " is not a valid ISO 11649 creditor reference (RF, 2 check digits, "
                           "at most 21 letters and digits)");
    }
  }
}

}  // namespace

std::string girocode_amount_text(std::int64_t amount_cents) {
  std::string cents = std::to_string(amount_cents % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return std::to_string(amount_cents / 100) + "." + cents;
}

std::string girocode_payload(const girocode_payment& payment) {
  check_bic(payment.bic);
  if (payment.name.empty()) throw girocode_error("GiroCode name (the payee) is missing");
  check_text("name", payment.name, 70);
  const std::string iban = normalised_iban(payment.iban);
  if (payment.amount_cents < 1 || payment.amount_cents > 99'999'999'999) {
    throw girocode_error("GiroCode amount must be EUR 0.01 to 999999999.99, not " +
                         std::string(payment.amount_cents < 0 ? "-" : "") +
                         girocode_amount_text(payment.amount_cents < 0 ? -payment.amount_cents
                                                                       : payment.amount_cents));
  }
  check_reference(payment);

  // Service tag, version, character set (1 = UTF-8), identification, BIC, name, IBAN, amount,
  // purpose (unused), structured reference, unstructured remittance.
  std::string out = "BCD\n002\n1\nSCT\n" + payment.bic + "\n" + payment.name + "\n" + iban +
                    "\nEUR" + girocode_amount_text(payment.amount_cents) + "\n\n";
  if (payment.structured) {
    out += payment.reference;
  } else {
    out += "\n" + payment.reference;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (out.size() > girocode_max_bytes) {
    throw girocode_error("GiroCode payload is " + std::to_string(out.size()) +
                         " bytes, more than the 331 EPC069-12 allows");
  }
  return out;
}

std::string iban_with_check_digits(std::string_view country, std::string_view bban) {
  if (country.size() != 2 || !is_upper(country[0]) || !is_upper(country[1])) {
    throw girocode_error("IBAN country must be two capital letters");
  }
  if (bban.empty() || bban.size() > 30)
    throw girocode_error("IBAN account number must be 1 to 30 characters");
  for (char c : bban) {
    if (!is_alnum(c)) throw girocode_error("IBAN account number holds letters and digits only");
  }
  const int check = 98 - mod97(std::string(bban) + std::string(country) + "00");
  std::string digits = std::to_string(check);
  if (digits.size() < 2) digits.insert(0, "0");
  std::string out = std::string(country) + digits;
  for (char c : bban) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace weft::document
