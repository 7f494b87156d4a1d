#include "actors/http/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace weft::http {

namespace {

constexpr std::size_t max_header_block = 8 * 1024;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/// The parameter `key` of a header value like `form-data; name="x"; filename="y"`.
std::optional<std::string> parameter(const std::string& value, const std::string& key) {
  std::size_t at = value.find(';');
  while (at != std::string::npos && at < value.size()) {
    ++at;
    while (at < value.size() && (value[at] == ' ' || value[at] == '\t')) ++at;
    auto eq = value.find('=', at);
    if (eq == std::string::npos) return std::nullopt;
    auto name = lower(trim(value.substr(at, eq - at)));
    std::string v;
    std::size_t next;
    if (eq + 1 < value.size() && value[eq + 1] == '"') {
      std::size_t i = eq + 2;
      for (; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      next = value.find(';', i);
    } else {
      next = value.find(';', eq);
      v = trim(value.substr(eq + 1, (next == std::string::npos ? value.size() : next) - eq - 1));
    }
    if (name == key) return v;
    at = next;
  }
  return std::nullopt;
}

}  // namespace

multipart_parser::multipart_parser(std::string boundary, std::size_t max_parts)
    : delimiter_("\r\n--" + std::move(boundary)), max_parts_(max_parts) {
  // The first delimiter may open the body without the CRLF before it.
  buf_ = "\r\n";
}

void multipart_parser::fail(std::string why) {
  if (state_ == state::failed) return;
  state_ = state::failed;
  error_ = std::move(why);
}

bool multipart_parser::feed(const char* data, std::size_t size) {
  if (state_ == state::failed) return false;
  if (state_ == state::epilogue) return true;  // the epilogue is ignored
  buf_.append(data, size);
  while (step()) {
  }
  return state_ != state::failed;
}

bool multipart_parser::parse_headers(const std::string& block) {
  part p;
  bool disposition = false;
  std::size_t at = 0;
  while (at < block.size()) {
    auto end = block.find("\r\n", at);
    if (end == std::string::npos) end = block.size();
    auto line = block.substr(at, end - at);
    at = end + 2;
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      fail("a part's header line has no ':'");
      return false;
    }
    auto name = lower(trim(line.substr(0, colon)));
    auto value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (lower(value.substr(0, 9)) != "form-data") {
        fail("a part's Content-Disposition is not form-data");
        return false;
      }
      disposition = true;
      p.name = parameter(value, "name").value_or("");
      p.filename = parameter(value, "filename").value_or("");
    } else if (name == "content-type") {
      p.content_type = value;
    }
  }
  if (!disposition || p.name.empty()) {
    fail("a part has no Content-Disposition with a name");
    return false;
  }
  if (++parts_ > max_parts_) {
    fail("more than " + std::to_string(max_parts_) + " parts");
    return false;
  }
  if (on_part && !on_part(p)) {
    fail(error_.empty() ? "part '" + p.name + "' refused" : error_);
    return false;
  }
  return true;
}

bool multipart_parser::step() {
  switch (state_) {
    case state::preamble: {
      auto at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        // Keep what could be the start of the delimiter; drop the rest.
        if (buf_.size() > delimiter_.size()) buf_.erase(0, buf_.size() - delimiter_.size());
        return false;
      }
      buf_.erase(0, at + delimiter_.size());
      state_ = state::after_delimiter;
      return true;
    }
    case state::after_delimiter: {
      if (buf_.size() < 2) return false;
      if (buf_.compare(0, 2, "--") == 0) {
        state_ = state::epilogue;
        buf_.clear();
        return false;
      }
      // Transport padding (spaces, tabs) may precede the CRLF.
      auto crlf = buf_.find("\r\n");
      if (crlf == std::string::npos) {
        if (buf_.size() > 256) fail("no CRLF after a delimiter");
        return false;
      }
      for (std::size_t i = 0; i < crlf; ++i)
        if (buf_[i] != ' ' && buf_[i] != '\t') {
          fail("garbage after a delimiter");
          return false;
        }
      buf_.erase(0, crlf + 2);
      state_ = state::headers;
      return true;
    }
    case state::headers: {
      // An empty header block: the part's body starts at once.
      std::size_t end;
      std::size_t skip;
      if (buf_.compare(0, 2, "\r\n") == 0) {
        end = 0;
        skip = 2;
      } else {
        end = buf_.find("\r\n\r\n");
        skip = 4;
        if (end == std::string::npos) {
          if (buf_.size() > max_header_block) fail("a part's headers are larger than 8 KiB");
          return false;
        }
      }
      if (end > max_header_block) {
        fail("a part's headers are larger than 8 KiB");
        return false;
      }
      auto block = buf_.substr(0, end);
      buf_.erase(0, end + skip);
      if (!parse_headers(block)) return false;
      state_ = state::body;
      return true;
    }
    case state::body: {
      auto at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        // Everything but a possible start of the delimiter is the part's.
        if (buf_.size() >= delimiter_.size()) {
          auto n = buf_.size() - (delimiter_.size() - 1);
          if (on_data && !on_data(buf_.data(), n)) {
            fail(error_.empty() ? "a part's data was refused" : error_);
            return false;
          }
          buf_.erase(0, n);
        }
        return false;
      }
      if (at > 0 && on_data && !on_data(buf_.data(), at)) {
        fail(error_.empty() ? "a part's data was refused" : error_);
        return false;
      }
      buf_.erase(0, at + delimiter_.size());
      if (on_part_end && !on_part_end()) {
        fail(error_.empty() ? "a part was refused" : error_);
        return false;
      }
      state_ = state::after_delimiter;
      return true;
    }
    case state::epilogue:
    case state::failed:
      return false;
  }
  return false;
}

std::optional<std::string> form_boundary(const std::string& content_type) {
  auto semi = content_type.find(';');
  auto type = lower(trim(content_type.substr(0, semi)));
  if (type != "multipart/form-data") return std::nullopt;
  auto b = parameter(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

}  // namespace weft::http
