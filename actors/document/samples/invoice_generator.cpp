#include "actors/document/samples/invoice_generator.hpp"

#include <cstdio>
#include <string>

#include "actors/document/barcode/girocode.hpp"

namespace weft::document::samples {

namespace {

// Latin names (with diacritics), the default one customer in two.
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

/// Customers whose names and addresses are in another script: given name, family name, the
/// name's Latin spelling (for the e-mail address), and how the script orders them.
struct script_names {
  const char* const (*given)[4];
  const char* const (*family)[4];
  const char* const (*latin)[4];
  bool family_first;
  const char* const (*streets)[3];
  const char* const (*cities)[3][2];
};
const char* const greek_given[4] = {"Γιώργος", "Ελένη", "Δημήτρης", "Αικατερίνη"};
const char* const greek_family[4] = {"Παπαδόπουλος", "Οικονόμου", "Καραγιάννης", "Νικολάου"};
const char* const greek_latin[4] = {"giorgos", "eleni", "dimitris", "aikaterini"};
const char* const greek_streets[3] = {"Οδός Ερμού", "Λεωφόρος Συγγρού", "Οδός Τσιμισκή"};
const char* const greek_cities[3][2] = {
    {"Αθήνα", "Ελλάδα"}, {"Θεσσαλονίκη", "Ελλάδα"}, {"Λευκωσία", "Κύπρος"}};
const char* const japanese_given[4] = {"花子", "太郎", "美咲", "健一"};
const char* const japanese_family[4] = {"田中", "佐藤", "鈴木", "高橋"};
const char* const japanese_latin[4] = {"hanako", "taro", "misaki", "kenichi"};
const char* const japanese_streets[3] = {"丸の内", "中央区銀座", "北区梅田"};
const char* const japanese_cities[3][2] = {
    {"東京都千代田区", "日本"}, {"東京都中央区", "日本"}, {"大阪市", "日本"}};
const char* const arabic_given[4] = {"أحمد", "فاطمة", "محمد", "ليلى"};
const char* const arabic_family[4] = {"المصري", "الحسيني", "العلي", "الخطيب"};
const char* const arabic_latin[4] = {"ahmed", "fatima", "mohamed", "layla"};
const char* const arabic_streets[3] = {"شارع التحرير", "شارع الملك فيصل", "شارع الحمراء"};
const char* const arabic_cities[3][2] = {
    {"القاهرة", "مصر"}, {"الرياض", "السعودية"}, {"بيروت", "لبنان"}};
const script_names other_scripts[] = {
    {&greek_given, &greek_family, &greek_latin, false, &greek_streets, &greek_cities},
    {&japanese_given, &japanese_family, &japanese_latin, true, &japanese_streets, &japanese_cities},
    {&arabic_given, &arabic_family, &arabic_latin, false, &arabic_streets, &arabic_cities},
};

/// Who is paid: the invoicing company's account, written into every payment code.
const char* const payee_name = "ACME Weft GmbH";
const char* const payee_bic = "COBADEFFXXX";
const char* const payee_bban = "370400440532013000";

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
  // Half the customers are Latin-script (with diacritics); the others Greek, Japanese, Arabic.
  std::string name;
  std::string handle;
  std::string street;
  std::string city;
  std::string country;
  if (below(2) == 0) {
    const std::string first = first_names[below(count_of(first_names))];
    const std::string last = last_names[below(count_of(last_names))];
    name = first + " " + last;
    handle = first;
    if (below(3) == 0) name = last + " " + companies[below(count_of(companies))];
    street = std::string(streets[below(count_of(streets))]) + " " + std::to_string(1 + below(200));
    const auto& c = cities[below(count_of(cities))];
    city = c[0];
    country = c[1];
  } else {
    const auto& script = other_scripts[below(count_of(other_scripts))];
    const auto given = below(4);
    const auto family = below(4);
    name = script.family_first
               ? std::string((*script.family)[family]) + " " + (*script.given)[given]
               : std::string((*script.given)[given]) + " " + (*script.family)[family];
    handle = (*script.latin)[given];
    street = std::string((*script.streets)[below(3)]) + " " + std::to_string(1 + below(200));
    const auto& c = (*script.cities)[below(3)];
    city = c[0];
    country = c[1];
  }
  const unsigned month = 1 + static_cast<unsigned>(below(12));
  const unsigned day = 1 + static_cast<unsigned>(below(28));
  char date[16];
  char due[16];
  std::snprintf(date, sizeof date, "2024-%02u-%02u", month, day);
  std::snprintf(due, sizeof due, "2024-%02u-%02u", month == 12 ? 12 : month + 1, day);

  nlohmann::json items = nlohmann::json::array();
  // Some customers order a lot: their items table crosses pages.
  const bool long_invoice = long_every_ > 0 && below(static_cast<std::uint64_t>(long_every_)) == 0;
  const auto n_items =
      long_invoice ? 25 + below(40) : 1 + below(static_cast<std::uint64_t>(max_items_));
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
  const auto customer_number = static_cast<std::int64_t>(10000 + below(90000));

  // The EPC069-12 QR text a banking app reads: pay the total to ACME, quoting the invoice.
  girocode_payment payment;
  payment.bic = payee_bic;
  payment.name = payee_name;
  payment.iban = iban_with_check_digits("DE", payee_bban);
  payment.amount_cents = subtotal + tax;
  payment.reference = std::string(id) + " customer " + std::to_string(customer_number);

  nlohmann::json r;
  r["invoice"] = id;
  r["date"] = date;
  r["due_date"] = due;
  r["customer"] = {{"name", name},
                   {"email", handle + "." + std::to_string(number_) + "@example.com"},
                   {"number", customer_number}};
  r["street"] = street;
  r["postcode"] = std::to_string(10000 + below(89999));
  r["city"] = city;
  r["country"] = country;
  r["currency"] = "EUR";
  r["items"] = std::move(items);
  r["subtotal"] = money(subtotal);
  r["tax_rate"] = tax_rate;
  r["tax"] = money(tax);
  r["total"] = money(subtotal + tax);
  r["paid"] = below(4) == 0;
  if (below(3) == 0) r["notes"] = notes[below(count_of(notes))];
  r["payment_code"] = girocode_payload(payment);
  return r;
}

void invoice_generator::write_ndjson(std::ostream& out, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) out << next().dump() << '\n';
}

void invoice_generator::write_csv(std::ostream& out, std::uint64_t count) {
  out << "invoice,date,due_date,customer.name,customer.email,customer.number,street,postcode,"
         "city,country,currency,subtotal,tax_rate,tax,total,notes,payment_code\r\n";
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto r = next();
    const auto s = [&](const char* k) { return csv_field(r.value(k, std::string())); };
    out << s("invoice") << ',' << s("date") << ',' << s("due_date") << ','
        << csv_field(r["customer"]["name"].get<std::string>()) << ','
        << csv_field(r["customer"]["email"].get<std::string>()) << ','
        << r["customer"]["number"].get<std::int64_t>() << ',' << s("street") << ',' << s("postcode")
        << ',' << s("city") << ',' << s("country") << ',' << s("currency") << ',' << s("subtotal")
        << ',' << r["tax_rate"].get<std::int64_t>() << ',' << s("tax") << ',' << s("total") << ','
        << s("notes") << ',' << s("payment_code") << "\r\n";
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
