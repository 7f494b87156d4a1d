#define BOOST_TEST_MODULE document_templates
#include <boost/test/unit_test.hpp>
#include <map>
#include <sstream>

#include "actors/document/csv_reader.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "actors/document/template_limits.hpp"
#include "test_support.hpp"

using namespace weft::document;
using nlohmann::json;

namespace {

/// Renders like the Mustache specification's test runner: template, data, partials by name.
std::string render(const std::string& tpl, const json& data,
                   const std::map<std::string, std::string>& partials = {}) {
  template_engine engine;
  auto compiled = engine.compile(tpl, "t", [&](const std::string& name) {
    auto it = partials.find(name);
    return it == partials.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  return compiled.render(data);
}

template_error compile_error(const std::string& tpl,
                             const std::map<std::string, std::string>& partials = {}) {
  try {
    render(tpl, json::object(), partials);
  } catch (const template_error& e) {
    return e;
  }
  BOOST_FAIL("template compiled: " + tpl);
  throw std::logic_error("unreachable");
}

}  // namespace

// --- interpolation (spec: interpolation.yml) ---------------------------------------------------

BOOST_AUTO_TEST_CASE(spec_interpolation_escapes_html_unless_triple_or_ampersand) {
  const json d = {{"forbidden", "& \" < >"}};
  BOOST_CHECK_EQUAL(render("These characters should be HTML escaped: {{forbidden}}\n", d),
                    "These characters should be HTML escaped: &amp; &quot; &lt; &gt;\n");
  BOOST_CHECK_EQUAL(render("These characters should not be HTML escaped: {{{forbidden}}}\n", d),
                    "These characters should not be HTML escaped: & \" < >\n");
  BOOST_CHECK_EQUAL(render("These characters should not be HTML escaped: {{&forbidden}}\n", d),
                    "These characters should not be HTML escaped: & \" < >\n");
  BOOST_CHECK_EQUAL(
      render("|{{ forbidden }}|{{{ forbidden }}}|{{& forbidden }}|", {{"forbidden", "x"}}),
      "|x|x|x|");
}

BOOST_AUTO_TEST_CASE(spec_interpolation_of_numbers_booleans_and_missing_names) {
  BOOST_CHECK_EQUAL(render("\"{{mph}} miles an hour!\"", {{"mph", 85}}), "\"85 miles an hour!\"");
  BOOST_CHECK_EQUAL(render("\"{{power}} jiggawatts!\"", {{"power", 1.21}}), "\"1.21 jiggawatts!\"");
  BOOST_CHECK_EQUAL(render("{{n}}", {{"n", 2.0}}), "2");
  BOOST_CHECK_EQUAL(render("I ({{cannot}}) be seen!", json::object()), "I () be seen!");
  BOOST_CHECK_EQUAL(render("I ({{cannot}}) be seen!", {{"cannot", nullptr}}), "I () be seen!");
}

BOOST_AUTO_TEST_CASE(spec_dotted_names_resolve_through_the_first_part) {
  const json d = {{"person", {{"name", "Joe"}}}};
  BOOST_CHECK_EQUAL(render("\"{{person.name}}\" == \"{{#person}}{{name}}{{/person}}\"", d),
                    "\"Joe\" == \"Joe\"");
  BOOST_CHECK_EQUAL(render("\"{{a.b.c.d.e.name}}\"",
                           {{"a", {{"b", {{"c", {{"d", {{"e", {{"name", "Phil"}}}}}}}}}}}}),
                    "\"Phil\"");
  // Broken chains resolve to nothing, even when a lower context has the rest.
  BOOST_CHECK_EQUAL(render("\"{{a.b.c}}\"", {{"a", {{"b", json::object()}}}, {"c", "ERROR"}}),
                    "\"\"");
  BOOST_CHECK_EQUAL(
      render("\"{{#a}}{{b.c}}{{/a}}\"", {{"a", {{"b", json::object()}}}, {"b", {{"c", "ERROR"}}}}),
      "\"\"");
  // A key with a dot in it is never matched whole (spec: "Dotted Names are never single keys").
  BOOST_CHECK_EQUAL(render("{{customer.name}}", {{"customer.name", "Ann"}}), "");
  BOOST_CHECK_EQUAL(render("{{#customer.name}}x{{/customer.name}}", {{"customer.name", "Ann"}}),
                    "");
}

BOOST_AUTO_TEST_CASE(dotted_csv_columns_reach_templates_as_dotted_names) {
  // The CSV reader nests a column named "customer.name", so {{customer.name}} and
  // {{#customer}}{{name}}{{/customer}} find it, as they would in NDJSON.
  std::istringstream in("id,customer.name,customer.city\n7,Ann,Oslo\n");
  csv_reader reader(in);
  const auto rows = weft::document::test::read_all(reader);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(
      render("{{id}} {{customer.name}} {{#customer}}{{city}}{{/customer}}", rows[0].value),
      "7 Ann Oslo");
}

BOOST_AUTO_TEST_CASE(spec_interpolation_keeps_surrounding_whitespace) {
  BOOST_CHECK_EQUAL(render("| {{string}} |", {{"string", "---"}}), "| --- |");
  BOOST_CHECK_EQUAL(render("  {{string}}\n", {{"string", "---"}}), "  ---\n");
}

// --- sections (spec: sections.yml) -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(spec_sections_over_truthy_falsy_lists_and_objects) {
  BOOST_CHECK_EQUAL(
      render("\"{{#boolean}}This should be rendered.{{/boolean}}\"", {{"boolean", true}}),
      "\"This should be rendered.\"");
  BOOST_CHECK_EQUAL(
      render("\"{{#boolean}}This should not be rendered.{{/boolean}}\"", {{"boolean", false}}),
      "\"\"");
  BOOST_CHECK_EQUAL(
      render("\"{{#context}}Hi {{name}}.{{/context}}\"", {{"context", {{"name", "Joe"}}}}),
      "\"Hi Joe.\"");
  BOOST_CHECK_EQUAL(render("\"{{#list}}{{item}}{{/list}}\"",
                           {{"list", {{{"item", 1}}, {{"item", 2}}, {{"item", 3}}}}}),
                    "\"123\"");
  BOOST_CHECK_EQUAL(render("\"{{#list}}Yay lists!{{/list}}\"", {{"list", json::array()}}), "\"\"");
  BOOST_CHECK_EQUAL(render("\"{{#list}}({{.}}){{/list}}\"", {{"list", {"a", "b", 3}}}),
                    "\"(a)(b)(3)\"");
  BOOST_CHECK_EQUAL(render("{{#n}}null is falsy{{/n}}", {{"n", nullptr}}), "");
}

BOOST_AUTO_TEST_CASE(spec_standalone_section_lines_are_removed) {
  const json d = {{"boolean", true}};
  BOOST_CHECK_EQUAL(render("| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", d),
                    "| This Is\n|\n| A Line\n");
  BOOST_CHECK_EQUAL(render("| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n", d),
                    "| This Is\n|\n| A Line\n");
  BOOST_CHECK_EQUAL(render("|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", d), "|\r\n|");
  BOOST_CHECK_EQUAL(render("  {{#boolean}}\n#{{/boolean}}\n/", d), "#\n/");
  BOOST_CHECK_EQUAL(render("#{{#boolean}}\n/\n  {{/boolean}}", d), "#\n/\n");
  BOOST_CHECK_EQUAL(render(" | {{#boolean}}\t|\t{{/boolean}} | \n", d), " | \t|\t | \n");
}

// Standalone is a property of the template line (one section, inverted, closing, comment,
// partial or set-delimiter tag, and blanks), not of what the line renders to. kainjow decided it
// at render time and dropped lines that are not standalone; its vendored copy no longer does
// (actors/document/third_party/kainjow-mustache/README.md).
BOOST_AUTO_TEST_CASE(standalone_lines_are_decided_by_the_template_not_by_the_output) {
  const json d = {{"a", true}, {"empty", ""}};
  // A section tag and a variable that renders empty: not standalone, the line break stays.
  BOOST_CHECK_EQUAL(render("{{#a}}{{empty}}\nX{{/a}}", d), "\nX");
  BOOST_CHECK_EQUAL(render("{{#a}}{{empty}}\r\nX{{/a}}", d), "\r\nX");
  // Two tags on a line: not standalone.
  BOOST_CHECK_EQUAL(render("{{#a}}{{! c}}\nx\n{{/a}}\n", d), "\nx\n");
  BOOST_CHECK_EQUAL(render("  {{#a}}  {{/a}}\n", d), "    \n");
  BOOST_CHECK_EQUAL(render("{{#a}}{{/a}}\n", d), "\n");
  // A list item whose value is empty keeps its line.
  BOOST_CHECK_EQUAL(
      render("{{#items}}{{name}}\n{{/items}}", {{"items", {{{"name", ""}}, {{"name", "b"}}}}}),
      "\nb\n");
  BOOST_CHECK_EQUAL(render("{{#list}}\n- {{.}}\n{{/list}}\n", {{"list", {"a", "", "c"}}}),
                    "- a\n- \n- c\n");
  // A lone carriage return does not end a line.
  BOOST_CHECK_EQUAL(render("{{#a}}\r{{/a}}", d), "\r");
  // CRLF standalone lines, indented and nested, in sections and partials.
  BOOST_CHECK_EQUAL(render("  {{#a}}\r\n  {{#a}}\r\n  x\r\n  {{/a}}\r\n  {{/a}}\r\n", d),
                    "  x\r\n");
  BOOST_CHECK_EQUAL(
      render("{{#list}}\r\n  {{>p}}\r\n{{/list}}\r\n", {{"list", {1, 2}}}, {{"p", "p\r\n"}}),
      "  p\r\n  p\r\n");
  BOOST_CHECK_EQUAL(render("  {{>p}}\n", d, {{"p", "  {{#a}}\nx\n  {{/a}}\n"}}), "  x\n");
}

BOOST_AUTO_TEST_CASE(spec_inverted_sections) {
  BOOST_CHECK_EQUAL(
      render("\"{{^boolean}}This should be rendered.{{/boolean}}\"", {{"boolean", false}}),
      "\"This should be rendered.\"");
  BOOST_CHECK_EQUAL(
      render("\"{{^boolean}}This should not be rendered.{{/boolean}}\"", {{"boolean", true}}),
      "\"\"");
  BOOST_CHECK_EQUAL(render("\"{{^list}}Yay lists!{{/list}}\"", {{"list", json::array()}}),
                    "\"Yay lists!\"");
  BOOST_CHECK_EQUAL(
      render("| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", {{"boolean", false}}),
      "| This Is\n|\n| A Line\n");
}

// --- comments (spec: comments.yml) -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(spec_comments_and_standalone_comment_lines_vanish) {
  const json d = json::object();
  BOOST_CHECK_EQUAL(render("12345{{! Comment Block! }}67890", d), "1234567890");
  BOOST_CHECK_EQUAL(render("Begin.\n{{! Comment Block! }}\nEnd.\n", d), "Begin.\nEnd.\n");
  BOOST_CHECK_EQUAL(render("Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", d),
                    "Begin.\nEnd.\n");
  BOOST_CHECK_EQUAL(render("|\r\n{{! Standalone Comment }}\r\n|", d), "|\r\n|");
  BOOST_CHECK_EQUAL(render("  {{! I'm Still Standalone }}\n!", d), "!");
  BOOST_CHECK_EQUAL(render("!\n  {{! I'm Still Standalone }}", d), "!\n");
  BOOST_CHECK_EQUAL(render("Begin.\n{{!\n  Something's going on here...\n}}\nEnd.\n", d),
                    "Begin.\nEnd.\n");
  BOOST_CHECK_EQUAL(render("  12 {{! 34 }}\n", d), "  12 \n");
}

// --- delimiters (spec: delimiters.yml) ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(spec_set_delimiter_changes_tags_and_standalone_lines_vanish) {
  BOOST_CHECK_EQUAL(render("{{=<% %>=}}(<%text%>)", {{"text", "Hey!"}}), "(Hey!)");
  BOOST_CHECK_EQUAL(render("({{=[ ]=}}[text])", {{"text", "It worked!"}}), "(It worked!)");
  BOOST_CHECK_EQUAL(
      render("[\n{{#section}}\n  {{data}}\n  |data|\n{{/section}}\n\n{{= | | =}}\n|#section|\n"
             "  {{data}}\n  |data|\n|/section|\n]\n",
             {{"section", true}, {"data", "I got interpolated."}}),
      "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n  I got interpolated.\n]\n");
  BOOST_CHECK_EQUAL(render("Begin.\n{{=@ @=}}\nEnd.\n", json::object()), "Begin.\nEnd.\n");
  BOOST_CHECK_EQUAL(render("Begin.\n  {{=@ @=}}\nEnd.\n", json::object()), "Begin.\nEnd.\n");
}

// --- partials (spec: partials.yml) -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(spec_partials_render_in_the_current_context) {
  BOOST_CHECK_EQUAL(render("\"{{>text}}\"", json::object(), {{"text", "from partial"}}),
                    "\"from partial\"");
  BOOST_CHECK_EQUAL(render("\"{{>partial}}\"", {{"text", "content"}}, {{"partial", "*{{text}}*"}}),
                    "\"*content*\"");
  BOOST_CHECK_EQUAL(render("\"{{> partial }}\"", {{"boolean", true}}, {{"partial", "[]"}}),
                    "\"[]\"");
}

BOOST_AUTO_TEST_CASE(spec_recursive_partials_follow_the_data) {
  const json d = {{"content", "X"}, {"nodes", {{{"content", "Y"}, {"nodes", json::array()}}}}};
  BOOST_CHECK_EQUAL(
      render("{{>node}}", d, {{"node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>"}}), "X<Y<>>");
}

BOOST_AUTO_TEST_CASE(spec_standalone_partials_are_indented_and_lose_their_line) {
  BOOST_CHECK_EQUAL(render("| {{>partial}}\n", json::object(), {{"partial", ">\n>"}}), "| >\n>\n");
  BOOST_CHECK_EQUAL(render("|\n{{>partial}}\n|", json::object(), {{"partial", ">\n"}}), "|\n>\n|");
  BOOST_CHECK_EQUAL(render("|\r\n{{>partial}}\r\n|", json::object(), {{"partial", ">"}}),
                    "|\r\n>|");
  BOOST_CHECK_EQUAL(render("  {{>partial}}\n>", json::object(), {{"partial", ">\n>"}}),
                    "  >\n  >>");
  BOOST_CHECK_EQUAL(render(">\n  {{>partial}}", json::object(), {{"partial", ">\n>"}}),
                    ">\n  >\n  >");
  BOOST_CHECK_EQUAL(render("\\\n {{>partial}}\n/\n", {{"content", "<\n->"}},
                           {{"partial", "|\n{{{content}}}\n|\n"}}),
                    "\\\n |\n <\n->\n |\n/\n");
}

BOOST_AUTO_TEST_CASE(partials_load_from_the_template_directory) {
  weft::document::test::temp_dir dir("tpl");
  weft::document::test::write_file(dir / "main.mustache", "Hello {{> greeting}}!\n");
  weft::document::test::write_file(dir / "greeting.mustache", "{{name}} from a partial");
  auto tpl = template_engine().compile_file(dir / "main.mustache");
  BOOST_CHECK_EQUAL(tpl.render({{"name", "Ann"}}), "Hello Ann from a partial!\n");
  BOOST_CHECK_EQUAL(tpl.partials().size(), 1u);
  BOOST_CHECK_EQUAL(tpl.name(), "main.mustache");
}

BOOST_AUTO_TEST_CASE(an_unknown_partial_is_a_compile_error_naming_it) {
  const auto e = compile_error("line one\n  {{> footer}}\n");
  BOOST_CHECK_EQUAL(e.line(), 2u);
  BOOST_CHECK_EQUAL(e.column(), 3u);
  BOOST_CHECK_EQUAL(std::string(e.what()),
                    "t:2:3: unknown partial \"footer\" (no footer.mustache)");
}

BOOST_AUTO_TEST_CASE(an_error_inside_a_partial_names_the_partial_file) {
  const auto e = compile_error("{{> box}}", {{"box", "ok\n{{#open}}"}});
  BOOST_CHECK_EQUAL(e.template_name(), "box.mustache");
  BOOST_CHECK_EQUAL(e.line(), 2u);
  BOOST_CHECK_EQUAL(e.column(), 1u);
}

BOOST_AUTO_TEST_CASE(partial_names_cannot_leave_the_template_directory) {
  BOOST_CHECK(compile_error("{{> ../secret}}").reason().find("invalid partial name") == 0);
}

BOOST_AUTO_TEST_CASE(a_partial_that_includes_itself_forever_fails_instead_of_crashing) {
  try {
    render("{{>loop}}", {{"on", true}}, {{"loop", "x{{#on}}{{>loop}}{{/on}}"}});
    BOOST_FAIL("rendered");
  } catch (const render_limit_error& e) {
    BOOST_CHECK_EQUAL(std::string{e.what()},
                      "partials nest deeper than 10 levels (jobs.max_partial_depth) at partial "
                      "\"loop\" in t");
  }
}

// --- limits (docs/jobs.md#limits) ---------------------------------------------------------------

namespace {

/// `levels` sections `{{#a}}` nested, one per line, closed again.
std::string nested_sections(int levels) {
  std::string t;
  for (int i = 0; i < levels; ++i) t += "{{#a}}\n";
  t += "deep\n";
  for (int i = 0; i < levels; ++i) t += "{{/a}}\n";
  return t;
}

/// Partials p0 … p<levels>: each includes the next one `copies` times; the last is `leaf`.
std::map<std::string, std::string> doubling_partials(int levels, int copies,
                                                     const std::string& leaf) {
  std::map<std::string, std::string> p;
  for (int i = 0; i < levels; ++i) {
    std::string body;
    for (int c = 0; c < copies; ++c) body += "{{>p" + std::to_string(i + 1) + "}}";
    p["p" + std::to_string(i)] = body;
  }
  p["p" + std::to_string(levels)] = leaf;
  return p;
}

compiled_template compile_with(const std::string& tpl,
                               const std::map<std::string, std::string>& partials,
                               template_limits limits) {
  return template_engine(escape_mode::none, limits).compile(tpl, "t", [&](const std::string& name) {
    auto it = partials.find(name);
    return it == partials.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

std::string render_error(compiled_template& tpl, const json& data) {
  try {
    tpl.render(data);
  } catch (const render_limit_error& e) {
    return e.what();
  }
  return "(rendered)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(twenty_thousand_nested_sections_are_refused_at_compile_time_with_their_line) {
  const auto e = compile_error(nested_sections(20000));
  BOOST_CHECK_EQUAL(e.line(), 101u);
  BOOST_CHECK_EQUAL(e.column(), 1u);
  BOOST_CHECK_EQUAL(e.reason(), "sections nest deeper than 100 levels (jobs.max_section_depth)");
}

BOOST_AUTO_TEST_CASE(sections_nested_up_to_the_limit_compile_and_render) {
  BOOST_CHECK_EQUAL(render(nested_sections(100), {{"a", true}}), "deep\n");
  auto tpl = compile_with(nested_sections(5), {}, template_limits{5, 10, 1000});
  BOOST_CHECK_EQUAL(tpl.render({{"a", true}}), "deep\n");
  BOOST_CHECK_THROW(compile_with(nested_sections(6), {}, template_limits{5, 10, 1000}),
                    template_error);
}

BOOST_AUTO_TEST_CASE(a_partial_nesting_too_many_sections_is_refused_naming_the_partial) {
  const auto e = compile_error("{{>deep}}", {{"deep", nested_sections(101)}});
  BOOST_CHECK_EQUAL(e.template_name(), "deep.mustache");
  BOOST_CHECK_EQUAL(e.line(), 101u);
}

BOOST_AUTO_TEST_CASE(partials_doubling_at_each_level_stop_at_the_partial_depth) {
  auto tpl = compile_with("{{>p0}}", doubling_partials(30, 2, "x\n"), template_limits{});
  const auto error = render_error(tpl, json::object());
  BOOST_CHECK_EQUAL(error,
                    "partials nest deeper than 10 levels (jobs.max_partial_depth) at partial "
                    "\"p10\" in t");
}

BOOST_AUTO_TEST_CASE(partials_doubling_within_the_depth_stop_at_the_output_size) {
  // 2^20 copies of a 100-byte line: 100 MiB, refused once 1 MiB is reached.
  auto tpl = compile_with("{{>p0}}", doubling_partials(20, 2, std::string(99, 'x') + "\n"),
                          template_limits{100, 30, 1024 * 1024});
  BOOST_CHECK_EQUAL(render_error(tpl, json::object()),
                    "renders to more than 1048576 bytes (jobs.max_record_output) with t");
  // The same without line breaks: kainjow buffers the line, the count still stops it.
  auto one_line = compile_with("{{>p0}}", doubling_partials(20, 2, std::string(100, 'x')),
                               template_limits{100, 30, 1024 * 1024});
  BOOST_CHECK(contains(render_error(one_line, json::object()), "jobs.max_record_output"));
}

BOOST_AUTO_TEST_CASE(nested_sections_over_a_list_stop_at_the_output_size) {
  // 10^8 iterations of 100 bytes of text, without a single value.
  std::string t;
  for (int i = 0; i < 8; ++i) t += "{{#l}}";
  t += std::string(100, 'y');
  for (int i = 0; i < 8; ++i) t += "{{/l}}";
  auto tpl = compile_with(t, {}, template_limits{100, 10, 1024 * 1024});
  BOOST_CHECK(contains(render_error(tpl, {{"l", json::array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})}}),
                       "renders to more than 1048576 bytes (jobs.max_record_output)"));
}

BOOST_AUTO_TEST_CASE(values_count_towards_the_output_size) {
  auto tpl = compile_with("{{#l}}{{big}}{{/l}}", {}, template_limits{100, 10, 1000});
  BOOST_CHECK_EQUAL(tpl.render({{"l", {1, 2}}, {"big", std::string(400, 'b')}}).size(), 800u);
  BOOST_CHECK(contains(render_error(tpl, {{"l", {1, 2, 3}}, {"big", std::string(400, 'b')}}),
                       "max_record_output"));
  // A long string used as a section's condition is not output.
  auto cond = compile_with("{{#l}}{{#big}}.{{/big}}{{/l}}", {}, template_limits{100, 10, 1000});
  BOOST_CHECK_EQUAL(cond.render({{"l", {1, 2, 3}}, {"big", std::string(400, 'b')}}), "...");
}

BOOST_AUTO_TEST_CASE(the_render_check_stops_a_render_that_outputs_nothing) {
  // 10^40 iterations of an empty body: only the check (a cancellation, a time budget) ends it.
  std::string t;
  for (int i = 0; i < 40; ++i) t += "{{#l}}";
  for (int i = 0; i < 40; ++i) t += "{{/l}}";
  auto tpl = compile_with(t, {}, template_limits{});
  int calls = 0;
  tpl.set_render_check([&calls] {
    if (++calls == 3) throw std::runtime_error("cancelled");
  });
  BOOST_CHECK_EXCEPTION(
      tpl.render({{"l", json::array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})}}), std::runtime_error,
      [](const std::runtime_error& e) { return std::string{e.what()} == "cancelled"; });
  BOOST_CHECK_EQUAL(calls, 3);
}

BOOST_AUTO_TEST_CASE(limits_leave_ordinary_templates_alone) {
  // Markers for the output count are invisible: set delimiters, standalone lines, partials.
  BOOST_CHECK_EQUAL(render("{{=<% %>=}}\n<%#a%>\n[<%b%>]\n<%/a%>\n", {{"a", true}, {"b", "x"}}),
                    "[x]\n");
  BOOST_CHECK_EQUAL(
      render("a\n  {{>p}}\nb\n", {{"on", true}}, {{"p", "{{=| |=}}\n|#on|\nin\n|/on|\n"}}),
      "a\n  in\nb\n");
  BOOST_CHECK_EQUAL(render("{{#l}}{{>item}}{{/l}}", {{"l", {1, 2, 3}}}, {{"item", "<{{.}}>"}}),
                    "<1><2><3>");
}

// --- compile errors with line and column -------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_unclosed_section_points_at_its_opening_tag) {
  const auto e = compile_error("Dear {{name}},\n\n  {{#items}}\n  - {{qty}}\n");
  BOOST_CHECK_EQUAL(e.line(), 3u);
  BOOST_CHECK_EQUAL(e.column(), 3u);
  BOOST_CHECK(e.reason().find("unclosed section {{#items}}") == 0);
}

BOOST_AUTO_TEST_CASE(a_mismatched_closing_tag_points_at_itself_and_names_both) {
  const auto e = compile_error("{{#a}}\n{{#b}}x{{/a}}\n{{/b}}");
  BOOST_CHECK_EQUAL(e.line(), 2u);
  BOOST_CHECK_EQUAL(e.column(), 8u);
  BOOST_CHECK_EQUAL(e.reason(), "closing tag {{/a}} does not match {{#b}} opened at 2:1");
  const auto stray = compile_error("text {{/x}}");
  BOOST_CHECK_EQUAL(stray.column(), 6u);
  BOOST_CHECK(stray.reason().find("without an open section") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unclosed_tag_points_at_its_start) {
  auto e = compile_error("ab\ncd {{name\nmore");
  BOOST_CHECK_EQUAL(e.line(), 2u);
  BOOST_CHECK_EQUAL(e.column(), 4u);
  BOOST_CHECK(e.reason().find("unclosed tag") == 0);
  e = compile_error("Gr\xC3\xBC\xC3\x9F\x65 {{{raw}}");
  BOOST_CHECK_EQUAL(e.line(), 1u);
  BOOST_CHECK_EQUAL(e.column(), 7u);  // counted in characters, not bytes
}

BOOST_AUTO_TEST_CASE(an_invalid_set_delimiter_tag_is_an_error) {
  const auto e = compile_error("x\n{{=<% =}}");
  BOOST_CHECK_EQUAL(e.line(), 2u);
  BOOST_CHECK(e.reason().find("invalid set-delimiter tag") == 0);
}

BOOST_AUTO_TEST_CASE(a_missing_template_file_is_a_template_error) {
  BOOST_CHECK_THROW(template_engine().compile_file("/nonexistent/x.mustache"), template_error);
}

// --- escaping and reuse -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(plain_text_mode_inserts_values_unescaped) {
  auto tpl = template_engine(escape_mode::none).compile("{{name}}");
  BOOST_CHECK_EQUAL(tpl.render({{"name", "Smith & Sons <Ltd>"}}), "Smith & Sons <Ltd>");
}

BOOST_AUTO_TEST_CASE(one_compiled_template_renders_many_records) {
  auto tpl = template_engine().compile("Invoice {{invoice}}\n{{#items}}- {{qty}}\n{{/items}}");
  std::string out;
  for (int i = 0; i < 100; ++i) {
    out.clear();
    tpl.render({{"invoice", "INV-" + std::to_string(i)}, {"items", {{{"qty", i}}}}}, out);
    BOOST_CHECK_EQUAL(out, "Invoice INV-" + std::to_string(i) + "\n- " + std::to_string(i) + "\n");
  }
}

BOOST_AUTO_TEST_CASE(the_sample_invoice_template_compiles_and_renders) {
  auto tpl =
      template_engine(escape_mode::none)
          .compile_file(std::string(WEFT_SOURCE_DIR) + "/actors/document/samples/invoice.mustache");
  const std::string out =
      tpl.render({{"invoice", "INV-000123"},
                  {"customer", {{"name", "Ann"}}},
                  {"items", {{{"qty", 2}, {"description", "Widget"}, {"amount", "3.00"}}}},
                  {"paid", true}});
  BOOST_CHECK(out.find("# Invoice INV-000123\n") == 0);
  BOOST_CHECK(out.find("2 x Widget") != std::string::npos);
  BOOST_CHECK(out.find("Paid - thank you.") != std::string::npos);
  BOOST_CHECK(out.find("{{") == std::string::npos);
}

// Found by fuzzing (tests/fuzz/corpus/template/regression-not-utf8): a variable name that is
// not UTF-8 compiled, then made the mapper's report (JSON) throw after every record was mapped.
BOOST_AUTO_TEST_CASE(refuses_a_template_or_partial_that_is_not_utf8) {
  auto e = compile_error("ab\ncd {{na\xF6me}}");
  BOOST_TEST(e.line() == 2u);
  BOOST_TEST(e.column() == 8u);
  BOOST_TEST(e.reason() == "not UTF-8 text (byte 0xF6); save the template as UTF-8");
  auto cut = compile_error("total \xE2\x82");  // a character cut off at the end
  BOOST_TEST(cut.reason().find("not UTF-8") == 0u);
  auto partial = compile_error("{{> p}}", {{"p", "\xC0\xAF"}});  // an overlong '/'
  BOOST_TEST(partial.template_name() == "p.mustache");
  BOOST_TEST(render("{{x}} \xE2\x82\xAC", json{{"x", "1"}}) == "1 \xE2\x82\xAC");
}
