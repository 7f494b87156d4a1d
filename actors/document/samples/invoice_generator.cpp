#include "actors/document/samples/invoice_generator.hpp"

#include <cstdio>
#include <string>

namespace weft::document::samples {

namespace {

const char* const first_names[] = {"Anna",  "Jürgen", "Maria", "John", "Zoë",    "Łukasz",
                                   "Chloé", "Ahmed",  "Mei",   "Olga", "Pierre", "Sven"};
const char* const last_names[] = {"Müller", "Smith",  "García", "Nowak", "Dubois",
                                  "Rossi",  "Okafor", "Tanaka", "Berg",  "O'Brien"};
const char* const companies[] = {"& Sons",     "GmbH",       "Ltd",       "S.A.",
                                 "<Holdings>", "Trading Co", "& Partner", "AG"};
const char* const streets[] = {"Hauptstraße", "High Street", "Rue de la Paix", "Via Roma",
                               "Main Street", "Kungsgatan",  "Ulica Długa"};
const char* const cities[][2] = {{"Berlin", "Germany"}, {"London", "United Kingdom"},
                                 {"Paris", "France"},   {"Roma", "Italy"},
                                 {"Gdańsk", "Poland"},  {"Stockholm", "Sweden"},
                                 {"New York", "USA"},   {"Zürich", "Switzerland"}};
const char* const products[][2] = {
    {"WID-100", "Widget, standard"},          {"WID-200", "Widget, deluxe (blue)"},
    {"SRV-001", "Consulting hour"},           {"SRV-002", "On-site support – half day"},
    {"CAB-010", "Cable 10 m \"heavy duty\""}, {"LIC-365", "Annual licence"},
    {"BOX-050", "Storage box 50 l"},          {"PEN-003", "Fountain pen ∞ edition"},
};
const char* const notes[] = {"Thank you for your business!",
                             "Delivery to the loading dock, gate 4.",
                             "Prices include the 2% early-payment discount."};

std::string money(std::int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

template <typename T, std::size_t N>
constexpr std::size_t count_of(T (&)[N]) {
  return N;
}

}  // namespace

std::uint64_t invoice_generator::random() {
  // splitmix64: tiny, fast and the same everywhere.
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

nlohmann::json invoice_generator::next() {
  ++number_;
  char id[32];
  std::snprintf(id, sizeof id, "INV-%06llu", static_cast<unsigned long long>(number_));
  const std::string first = first_names[below(count_of(first_names))];
  const std::string last = last_names[below(count_of(last_names))];
  std::string name = first + " " + last;
  if (below(3) == 0) name = last + " " + companies[below(count_of(companies))];
  const auto& city = cities[below(count_of(cities))];
  const unsigned month = 1 + static_cast<unsigned>(below(12));
  const unsigned day = 1 + static_cast<unsigned>(below(28));
  char date[16];
  char due[16];
  std::snprintf(date, sizeof date, "2024-%02u-%02u", month, day);
  std::snprintf(due, sizeof due, "2024-%02u-%02u", month == 12 ? 12 : month + 1, day);

  nlohmann::json items = nlohmann::json::array();
  const auto n_items = 1 + below(static_cast<std::uint64_t>(max_items_));
  std::int64_t subtotal = 0;
  for (std::uint64_t i = 0; i < n_items; ++i) {
    const auto& p = products[below(count_of(products))];
    const auto qty = static_cast<std::int64_t>(1 + below(20));
    const auto price = static_cast<std::int64_t>(199 + below(49800));
    subtotal += qty * price;
    items.push_back({{"sku", p[0]},
                     {"description", p[1]},
                     {"qty", qty},
                     {"price", money(price)},
                     {"amount", money(qty * price)}});
  }
  const std::int64_t tax_rate = below(2) == 0 ? 19 : 20;
  const std::int64_t tax = (subtotal * tax_rate + 50) / 100;

  nlohmann::json r;
  r["invoice"] = id;
  r["date"] = date;
  r["due_date"] = due;
  r["customer"] = {{"name", name},
                   {"email", first + "." + std::to_string(number_) + "@example.com"},
                   {"number", static_cast<std::int64_t>(10000 + below(90000))}};
  r["street"] =
      std::string(streets[below(count_of(streets))]) + " " + std::to_string(1 + below(200));
  r["postcode"] = std::to_string(10000 + below(89999));
  r["city"] = city[0];
  r["country"] = city[1];
  r["currency"] = "EUR";
  r["items"] = std::move(items);
  r["subtotal"] = money(subtotal);
  r["tax_rate"] = tax_rate;
  r["tax"] = money(tax);
  r["total"] = money(subtotal + tax);
  r["paid"] = below(4) == 0;
  if (below(3) == 0) r["notes"] = notes[below(count_of(notes))];
  return r;
}

void invoice_generator::write_ndjson(std::ostream& out, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) out << next().dump() << '\n';
}

void invoice_generator::write_csv(std::ostream& out, std::uint64_t count) {
  out << "invoice,date,due_date,customer.name,customer.email,customer.number,street,postcode,"
         "city,country,currency,subtotal,tax_rate,tax,total,notes\r\n";
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto r = next();
    const auto s = [&](const char* k) { return csv_field(r.value(k, std::string())); };
    out << s("invoice") << ',' << s("date") << ',' << s("due_date") << ','
        << csv_field(r["customer"]["name"].get<std::string>()) << ','
        << csv_field(r["customer"]["email"].get<std::string>()) << ','
        << r["customer"]["number"].get<std::int64_t>() << ',' << s("street") << ',' << s("postcode")
        << ',' << s("city") << ',' << s("country") << ',' << s("currency") << ',' << s("subtotal")
        << ',' << r["tax_rate"].get<std::int64_t>() << ',' << s("tax") << ',' << s("total") << ','
        << s("notes") << "\r\n";
  }
}

namespace {

void xml_text(std::ostream& out, const std::string& s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out << "&amp;";
        break;
      case '<':
        out << "&lt;";
        break;
      case '>':
        out << "&gt;";
        break;
      default:
        out << c;
    }
  }
}

void xml_element(std::ostream& out, const std::string& name, const nlohmann::json& v) {
  if (v.is_array()) {
    for (const auto& item : v) xml_element(out, name, item);
    return;
  }
  out << '<' << name << '>';
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) xml_element(out, it.key(), it.value());
  } else if (v.is_string()) {
    xml_text(out, v.get_ref<const std::string&>());
  } else {
    out << v.dump();
  }
  out << "</" << name << '>';
}

}  // namespace

void invoice_generator::write_json(std::ostream& out, std::uint64_t count) {
  out << "{\"invoices\": [";
  for (std::uint64_t i = 0; i < count; ++i) out << (i == 0 ? "\n" : ",\n") << next().dump();
  out << "\n]}\n";
}

void invoice_generator::write_xml(std::ostream& out, std::uint64_t count) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<invoices>\n";
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto r = next();
    out << "<invoice id=\"" << r.value("invoice", std::string()) << "\">";
    for (auto it = r.begin(); it != r.end(); ++it) xml_element(out, it.key(), it.value());
    out << "</invoice>\n";
  }
  out << "</invoices>\n";
}

}  // namespace weft::document::samples
