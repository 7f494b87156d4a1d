#include "actors/document/xml_reader.hpp"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <mutex>
#include <utility>

#include "actors/document/detail/reader_file.hpp"

namespace weft::document {

namespace {

xmlTextReaderPtr as_reader(void* p) { return static_cast<xmlTextReaderPtr>(p); }

const char* text_of(const xmlChar* s) {
  return s == nullptr ? "" : reinterpret_cast<const char*>(s);
}

/// libxml2 asks this for every external entity and DTD; Weft reads none (no file, no network).
/// Refusing here makes libxml2 report the entity it could not load.
xmlParserInputPtr refuse_external(const char*, const char*, xmlParserCtxtPtr) { return nullptr; }

void init_libxml2() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external);
  });
}

int read_stream(void* context, char* buffer, int len) {
  auto* in = static_cast<std::istream*>(context);
  in->read(buffer, len);
  if (in->bad()) return -1;
  return static_cast<int>(in->gcount());
}

int close_stream(void*) { return 0; }

void on_error(void* arg, xmlErrorPtr error) {
  auto* problem = static_cast<xml_reader::parse_problem*>(arg);
  if (error == nullptr || error->level == XML_ERR_WARNING || !problem->message.empty()) return;
  std::string message = error->message == nullptr ? "malformed XML" : error->message;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  problem->message = message;
  problem->line = error->line;
  problem->column = error->int2;
}

bool only_space(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

/// Adds `value` as member `name` of `parent`; a repeated name becomes a list.
void add_member(nlohmann::json& parent, const std::string& name, nlohmann::json&& value) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    parent.emplace(name, std::move(value));
  } else if (it->is_array()) {
    it->push_back(std::move(value));  // element values are never lists themselves
  } else {
    nlohmann::json list = nlohmann::json::array();
    list.push_back(std::move(*it));
    list.push_back(std::move(value));
    *it = std::move(list);
  }
}

/// One element being built.
struct frame {
  std::string name;
  nlohmann::json members;  // null until the first attribute or child: most elements are leaves
  std::string text;
};

}  // namespace

xml_reader::xml_reader(std::istream& in, reader_options options)
    : options_(detail::prepared(std::move(options), "data")), in_(&in) {
  open();
}

xml_reader::xml_reader(const std::filesystem::path& path, reader_options options)
    : file_(detail::open_data_file(path, options)),
      options_(detail::prepared(std::move(options), path.filename().string())),
      in_(file_.get()) {
  open();
}

xml_reader::~xml_reader() {
  if (reader_ != nullptr) xmlFreeTextReader(as_reader(reader_));
}

void xml_reader::open() {
  init_libxml2();
  path_ = *split_record_path(options_.data.record_path);
  if (path_.empty()) path_ = {"*", "*"};
  std::string encoding;
  if (!options_.data.encoding.empty()) encoding = *iconv_encoding_name(options_.data.encoding);
  // No XML_PARSE_NOENT (entities stay references, refused in read_record), no DTDLOAD, no
  // DTDATTR, no XINCLUDE, no HUGE (libxml2's own size and amplification limits stay on).
  const int flags = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT;
  reader_ = xmlReaderForIO(read_stream, close_stream, in_, nullptr,
                           encoding.empty() ? nullptr : encoding.c_str(), flags);
  if (reader_ == nullptr) fail(0, "cannot start the XML parser");
  xmlTextReaderSetStructuredErrorHandler(as_reader(reader_), on_error, &problem_);
}

std::string xml_reader::describe() const {
  std::string p;
  for (const auto& step : path_) p += "/" + step;
  return "XML, records at " + p + ", encoding " +
         (options_.data.encoding.empty() ? std::string("from the document")
                                         : options_.data.encoding);
}

void xml_reader::fail(std::int64_t line, std::string reason) {
  failed_.emplace(options_.source_name, row_, line, std::move(reason));
  throw *failed_;
}

void xml_reader::fail_parse() {
  auto r = as_reader(reader_);
  if (problem_.message.empty()) {
    problem_.message = "malformed XML";
    problem_.line = xmlTextReaderGetParserLineNumber(r);
    problem_.column = xmlTextReaderGetParserColumnNumber(r);
  }
  if (problem_.message.find("ntity") != std::string::npos) {
    // libxml2 places entity errors inside the entity's text; the document's line says more.
    fail(0, "entity refused near line " + std::to_string(xmlTextReaderGetParserLineNumber(r)) +
                ": " + problem_.message +
                " (Weft does not expand entities declared in a DTD, nor load external ones)");
  }
  fail(0, "malformed XML at line " + std::to_string(problem_.line) + ", column " +
              std::to_string(problem_.column) + ": " + problem_.message);
}

bool xml_reader::read() {
  const int r = xmlTextReaderRead(as_reader(reader_));
  if (r < 0 || !problem_.message.empty()) fail_parse();
  return r == 1;
}

nlohmann::json xml_reader::read_record() {
  auto r = as_reader(reader_);
  std::vector<frame> stack;
  stack.reserve(16);
  auto open_element = [&] {
    if (stack.size() >= options_.max_depth) {
      fail(row_line_, "nested deeper than " + std::to_string(options_.max_depth) + " levels");
    }
    stack.emplace_back();
    stack.back().name = text_of(xmlTextReaderConstLocalName(r));
    if (xmlTextReaderHasAttributes(r) == 1) {
      while (xmlTextReaderMoveToNextAttribute(r) == 1) {
        if (xmlTextReaderIsNamespaceDecl(r) == 1) continue;
        stack.back().members["@" + std::string(text_of(xmlTextReaderConstLocalName(r)))] =
            text_of(xmlTextReaderConstValue(r));
      }
      xmlTextReaderMoveToElement(r);
    }
    return xmlTextReaderIsEmptyElement(r) == 1;
  };
  nlohmann::json result;
  auto close_element = [&] {
    frame f = std::move(stack.back());
    stack.pop_back();
    nlohmann::json value;
    if (f.members.empty() && !stack.empty()) {
      // A leaf: its text. "true" and "false" become booleans, so that a section such as
      // {{#paid}} behaves as it does with JSON data (a non-empty string is always true).
      if (f.text == "true" || f.text == "false") {
        value = f.text == "true";
      } else {
        value = std::move(f.text);
      }
    } else {
      if (f.members.is_null()) f.members = nlohmann::json::object();
      if (!only_space(f.text)) f.members["#text"] = f.members.empty() ? f.text : trimmed(f.text);
      value = std::move(f.members);
    }
    if (stack.empty()) {
      result = std::move(value);
    } else {
      add_member(stack.back().members, f.name, std::move(value));
    }
  };
  std::size_t text_bytes = 0;
  if (open_element()) {
    close_element();
    return result;
  }
  while (read()) {
    switch (xmlTextReaderNodeType(r)) {
      case XML_READER_TYPE_ELEMENT:
        if (open_element()) close_element();
        break;
      case XML_READER_TYPE_END_ELEMENT:
        close_element();
        if (stack.empty()) return result;
        break;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
      case XML_READER_TYPE_WHITESPACE:
      case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
        const char* t = text_of(xmlTextReaderConstValue(r));
        const std::size_t n = std::char_traits<char>::length(t);
        text_bytes += n;
        if (text_bytes > options_.max_field_bytes) {
          fail(row_line_,
               "record is longer than " + std::to_string(options_.max_field_bytes) + " bytes");
        }
        stack.back().text.append(t, n);
        break;
      }
      case XML_READER_TYPE_ENTITY_REFERENCE:
        fail(xmlTextReaderGetParserLineNumber(r),
             std::string("entity &") + text_of(xmlTextReaderConstName(r)) + "; refused at line " +
                 std::to_string(xmlTextReaderGetParserLineNumber(r)) +
                 ": Weft does not expand entities declared in a DTD");
      default:
        break;  // comments, processing instructions
    }
  }
  fail(0, "the XML document ends inside a record");
}

bool xml_reader::next(record& out) {
  if (failed_) throw *failed_;
  if (done_) return false;
  auto r = as_reader(reader_);
  while (read()) {
    const int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_ENTITY_REFERENCE) {
      fail(xmlTextReaderGetParserLineNumber(r),
           std::string("entity &") + text_of(xmlTextReaderConstName(r)) + "; refused at line " +
               std::to_string(xmlTextReaderGetParserLineNumber(r)) +
               ": Weft does not expand entities declared in a DTD");
    }
    if (type != XML_READER_TYPE_ELEMENT) continue;
    const auto depth = static_cast<std::size_t>(xmlTextReaderDepth(r));
    if (depth == 0) root_ = text_of(xmlTextReaderConstName(r));
    // Elements deeper than the path are inside one that is not a record: read past them.
    if (depth >= path_.size()) continue;
    open_names_.resize(depth);
    open_names_.emplace_back(text_of(xmlTextReaderConstName(r)));
    if (open_names_.size() < path_.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < path_.size() && matches; ++i) {
      const auto& step = path_[i];
      const auto& name = open_names_[i];
      if (step == "*" || step == name) continue;
      // Without a prefix in the step, a prefixed name matches by its local part.
      const auto colon = name.find(':');
      matches = step.find(':') == std::string::npos && colon != std::string::npos &&
                name.compare(colon + 1, std::string::npos, step) == 0;
    }
    if (!matches) continue;
    ++row_;
    row_line_ = xmlTextReaderGetParserLineNumber(r);
    out.number = row_;
    out.value = read_record();
    if (!out.value.is_object()) {
      nlohmann::json wrapped = nlohmann::json::object();
      wrapped["#text"] = std::move(out.value);
      out.value = std::move(wrapped);
    }
    out.text.clear();
    return true;
  }
  done_ = true;
  if (row_ == 0) {
    std::string p;
    for (const auto& step : path_) p += "/" + step;
    fail(0, root_.empty() ? "no XML element in the document"
                          : "no element at " + p + " (the root element is <" + root_ +
                                ">; check --record-path)");
  }
  return false;
}

}  // namespace weft::document
