#include "actors/document/compiled_template.hpp"

#include <cstdint>
#include <utility>

#include "actors/document/detail/compiled_template_impl.hpp"
#include "actors/document/detail/template_scanner.hpp"
#include "actors/document/template_error.hpp"
#include "actors/document/to_mustache_data.hpp"

namespace weft::document {

namespace {

using kainjow::mustache::data;

/// Stack budget for nested partials. A partial that includes itself through a section that
/// stays true would otherwise recurse until the process crashes.
constexpr std::uintptr_t max_partial_stack_bytes = 512u * 1024u;
constexpr std::size_t max_partial_variants = 1024;

std::uintptr_t stack_position() {
  char probe = 0;
  return reinterpret_cast<std::uintptr_t>(&probe);
}

/// kainjow's context, with the specification's dotted-name rule (a.b.c resolves a through the
/// stack, then b and c inside it only), literal dotted keys first (CSV columns named "a.b"),
/// and partials from the compiled template instead of from the data.
class render_context : public kainjow::mustache::basic_context<std::string> {
 public:
  render_context(const data* root, compiled_template::impl& tpl)
      : tpl_(tpl), stack_base_(stack_position()) {
    items_.reserve(16);
    items_.push_back(root);
  }

  void push(const data* d) override { items_.push_back(d); }
  void pop() override { items_.pop_back(); }

  const data* get(const std::string& name) const override {
    if (name.size() == 1 && name[0] == '.') return items_.back();
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      if (const data* v = (*it)->get(name)) return v;
    }
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 0) return nullptr;
    const data* v = nullptr;
    const std::string first = name.substr(0, dot);
    for (auto it = items_.rbegin(); it != items_.rend() && !v; ++it) v = (*it)->get(first);
    std::size_t from = dot + 1;
    while (v && from <= name.size()) {
      const auto next = name.find('.', from);
      const std::size_t stop = next == std::string::npos ? name.size() : next;
      v = v->get(name.substr(from, stop - from));
      from = stop + 1;
    }
    return v;
  }

  const data* get_partial(const std::string& name) const override {
    const std::uintptr_t here = stack_position();
    const std::uintptr_t used = here > stack_base_ ? here - stack_base_ : stack_base_ - here;
    if (used > max_partial_stack_bytes) {
      throw template_error(tpl_.name, 0, 0,
                           "partials nest too deeply while rendering (recursive partial \"" +
                               name.substr(0, name.find('\x1f')) + "\")");
    }
    auto it = tpl_.partial_variants.find(name);
    if (it != tpl_.partial_variants.end()) return &it->second;
    std::string base;
    std::string indent;
    if (!detail::parse_partial_variant(name, base, indent)) return nullptr;
    const auto src = tpl_.partial_sources.find(base);
    if (src == tpl_.partial_sources.end()) return nullptr;
    if (tpl_.partial_variants.size() >= max_partial_variants) {
      throw template_error(tpl_.name, 0, 0,
                           "too many differently indented uses of partial \"" + base + "\"");
    }
    const std::string text = detail::indent_lines(src->second, indent);
    const auto tokens = detail::scan_template(text, base + ".mustache");
    auto inserted =
        tpl_.partial_variants.emplace(name, data(detail::rewrite_standalone(text, tokens)));
    return &inserted.first->second;
  }

 private:
  compiled_template::impl& tpl_;
  std::uintptr_t stack_base_;
  std::vector<const data*> items_;
};

struct string_sink {
  std::string& out;
};

string_sink& operator<<(string_sink& sink, const std::string& text) {
  sink.out += text;
  return sink;
}

}  // namespace

compiled_template::compiled_template(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
compiled_template::compiled_template(compiled_template&&) noexcept = default;
compiled_template& compiled_template::operator=(compiled_template&&) noexcept = default;
compiled_template::~compiled_template() = default;

void compiled_template::render(const nlohmann::json& value, std::string& out) {
  const data root = to_mustache_data(value);
  render_context ctx(&root, *impl_);
  string_sink sink{out};
  impl_->main->render(ctx, sink);
  if (!impl_->main->is_valid()) {
    throw template_error(impl_->name, 0, 0, impl_->main->error_message());
  }
}

std::string compiled_template::render(const nlohmann::json& value) {
  std::string out;
  render(value, out);
  return out;
}

const std::string& compiled_template::name() const { return impl_->name; }

std::vector<std::string> compiled_template::partials() const {
  std::vector<std::string> names;
  for (const auto& [name, text] : impl_->partial_sources) names.push_back(name);
  return names;
}

}  // namespace weft::document
