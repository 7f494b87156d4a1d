#include "actors/document/compiled_template.hpp"

#include <cstdint>
#include <cstdlib>
#include <utility>

#include "actors/document/detail/compiled_template_impl.hpp"
#include "actors/document/detail/template_scanner.hpp"
#include "actors/document/template_error.hpp"
#include "actors/document/to_mustache_data.hpp"

namespace weft::document {

namespace {

using kainjow::mustache::data;

/// Stack budget for nested partials, a safety net under jobs.max_partial_depth: a partial that
/// includes itself through a section that stays true would otherwise recurse until the process
/// crashes.
constexpr std::uintptr_t max_partial_stack_bytes = 512u * 1024u;
constexpr std::size_t max_partial_variants = 1024;
/// The render check runs once per this many steps (a power of two).
constexpr uint64_t check_every = 4096;

std::uintptr_t stack_position() {
  char probe = 0;
  return reinterpret_cast<std::uintptr_t>(&probe);
}

/// kainjow's context, with the specification's dotted-name rule (a.b.c resolves a through the
/// stack, then b and c inside it only; a key that itself contains a dot is never matched whole:
/// CSV columns named "a.b" reach templates nested, see csv_reader), and partials from the
/// compiled template instead of from the data.
///
/// It also enforces the render limits (template_limits), since kainjow calls it at every step:
/// push() for each section item, get() for each variable and section, get_partial() for each
/// partial. The render markers the compiler put into the templates (detail::render_markers)
/// arrive through get(): "t<N>" adds the literal text a section item or partial renders to the
/// output count, "e" ends a partial. Values that are output count their bytes. kainjow keeps a
/// line in its own buffer until its line break, so the output is counted here rather than
/// measured in the sink.
class render_context : public kainjow::mustache::basic_context<std::string> {
 public:
  render_context(const data* root, compiled_template::impl& tpl)
      : tpl_(tpl), stack_base_(stack_position()) {
    items_.reserve(16);
    items_.push_back(root);
  }

  void push(const data* d) override {
    step();
    items_.push_back(d);
  }
  void pop() override { items_.pop_back(); }

  const data* get(const std::string& name) const override {
    step();
    if (!name.empty() && name[0] == detail::render_marker) {
      marker(name);
      return nullptr;
    }
    const data* v = lookup(name);
    if (v && v->is_string() && tpl_.section_names.count(name) == 0)
      count_output(v->string_value().size());
    return v;
  }

  const data* get_partial(const std::string& name) const override {
    step();
    const std::string base_name = name.substr(0, name.find('\x1f'));
    // Counted back down by the partial's end marker; a partial that is not found renders
    // nothing and has none.
    if (partial_depth_ + 1 > tpl_.limits.max_partial_depth) {
      throw render_limit_error(
          "partials nest deeper than " + std::to_string(tpl_.limits.max_partial_depth) +
          " levels (jobs.max_partial_depth) at partial \"" + base_name + "\" in " + tpl_.name);
    }
    const std::uintptr_t here = stack_position();
    const std::uintptr_t used = here > stack_base_ ? here - stack_base_ : stack_base_ - here;
    if (used > max_partial_stack_bytes) {
      throw render_limit_error("partials nest too deeply while rendering (recursive partial \"" +
                               base_name + "\" in " + tpl_.name + ")");
    }
    auto it = tpl_.partial_variants.find(name);
    if (it != tpl_.partial_variants.end()) {
      ++partial_depth_;
      return &it->second;
    }
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
    auto inserted = tpl_.partial_variants.emplace(
        name, data(detail::rewrite_standalone(text, tokens, detail::render_markers::partial)));
    ++partial_depth_;
    return &inserted.first->second;
  }

  /// Fails when `bytes` rendered so far (measured by the caller) pass the limit.
  void check_output(std::size_t bytes) const {
    if (bytes > tpl_.limits.max_record_output) output_exceeded();
  }

 private:
  const data* lookup(const std::string& name) const {
    if (name.size() == 1 && name[0] == '.') return items_.back();
    const auto dot = name.find('.');
    if (dot == std::string::npos) {
      for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
        if (const data* v = (*it)->get(name)) return v;
      }
      return nullptr;
    }
    if (dot == 0) return nullptr;
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

  void marker(const std::string& name) const {
    if (name.size() >= 2 && name[1] == 'e') {
      if (partial_depth_ > 0) --partial_depth_;
    } else if (name.size() >= 3 && name[1] == 't') {
      count_output(static_cast<std::size_t>(std::strtoull(name.c_str() + 2, nullptr, 10)));
    }
  }

  void count_output(std::size_t bytes) const {
    output_ += bytes;
    if (output_ > tpl_.limits.max_record_output) output_exceeded();
  }

  [[noreturn]] void output_exceeded() const {
    throw render_limit_error("renders to more than " +
                             std::to_string(tpl_.limits.max_record_output) +
                             " bytes (jobs.max_record_output) with " + tpl_.name);
  }

  void step() const {
    if ((++steps_ & (check_every - 1)) == 0 && tpl_.check) tpl_.check();
  }

  compiled_template::impl& tpl_;
  std::uintptr_t stack_base_;
  std::vector<const data*> items_;
  // kainjow's context interface is const where it looks values up.
  mutable std::size_t output_ = 0;
  mutable std::size_t partial_depth_ = 0;
  mutable uint64_t steps_ = 0;
};

struct string_sink {
  std::string& out;
  std::size_t start;
  const render_context& ctx;
};

string_sink& operator<<(string_sink& sink, const std::string& text) {
  sink.out += text;
  sink.ctx.check_output(sink.out.size() - sink.start);
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
  string_sink sink{out, out.size(), ctx};
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

void compiled_template::set_render_check(render_check check) { impl_->check = std::move(check); }

const template_limits& compiled_template::limits() const { return impl_->limits; }

std::vector<std::string> compiled_template::partials() const {
  std::vector<std::string> names;
  for (const auto& [name, text] : impl_->partial_sources) names.push_back(name);
  return names;
}

}  // namespace weft::document
