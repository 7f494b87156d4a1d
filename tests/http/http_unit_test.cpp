// The REST API's CAF-free parts (actors/http): the route table against the
// OpenAPI document (both ways), the router, the multipart parser, tokens.

#define BOOST_TEST_MODULE http_unit_test
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "actors/http/multipart.hpp"
#include "actors/http/routes.hpp"
#include "actors/http/tokens.hpp"

using namespace weft::http;

namespace {

std::set<std::string> route_keys() {
  api_context ctx;  // the handlers are not called
  std::set<std::string> out;
  for (const auto& r : make_routes(ctx).routes()) {
    std::string m = r.method;
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.insert(m + " " + r.pattern);
  }
  return out;
}

nlohmann::json openapi_file() {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/docs/openapi.json");
  BOOST_REQUIRE(in);
  return nlohmann::json::parse(in);
}

struct collected {
  std::vector<multipart_parser::part> parts;
  std::vector<std::string> bodies;
};

/// Feeds `body` in pieces of `step` bytes.
bool parse(const std::string& body, const std::string& boundary, std::size_t step, collected& c,
           std::string* error = nullptr) {
  multipart_parser p(boundary, 8);
  p.on_part = [&](const multipart_parser::part& part) {
    c.parts.push_back(part);
    c.bodies.emplace_back();
    return true;
  };
  p.on_data = [&](const char* d, std::size_t n) {
    c.bodies.back().append(d, n);
    return true;
  };
  p.on_part_end = [] { return true; };
  for (std::size_t at = 0; at < body.size(); at += step)
    if (!p.feed(body.data() + at, std::min(step, body.size() - at))) {
      if (error) *error = p.error();
      return false;
    }
  return p.done();
}

const std::string form =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"format\"\r\n\r\n"
    "pdf\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"data\"; filename=\"a b.csv\"\r\n"
    "Content-Type: text/csv\r\n\r\n"
    "id,x\r\n1,--XyZ is not a boundary here\r\n\r\n"
    "--XyZ--\r\n"
    "epilogue";

}  // namespace

BOOST_AUTO_TEST_CASE(every_route_is_in_the_openapi_document) {
  auto doc = openapi_file();
  for (const auto& key : route_keys()) {
    auto space = key.find(' ');
    auto method = key.substr(0, space), path = key.substr(space + 1);
    BOOST_TEST(doc["paths"].contains(path), key);
    if (doc["paths"].contains(path)) BOOST_TEST(doc["paths"][path].contains(method), key);
  }
}

BOOST_AUTO_TEST_CASE(every_operation_of_the_openapi_document_is_a_route) {
  auto doc = openapi_file();
  auto routes = route_keys();
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      BOOST_TEST(routes.count(method + " " + path) == 1u, method << " " << path);
      BOOST_TEST(op.contains("responses"), method << " " << path);
    }
}

BOOST_AUTO_TEST_CASE(the_compiled_in_document_is_the_file) {
  BOOST_TEST(nlohmann::json::parse(openapi_document()) == openapi_file());
}

BOOST_AUTO_TEST_CASE(routes_match_with_placeholders_and_tell_405_from_404) {
  api_context ctx;
  auto r = make_routes(ctx);
  auto m = r.find("GET", "/v1/jobs/42/outputs/a%20b.pdf");
  BOOST_REQUIRE(m.found);
  BOOST_TEST(m.found->pattern == "/v1/jobs/{id}/outputs/{name}");
  BOOST_TEST(m.params["id"] == "42");
  BOOST_TEST(m.params["name"] == "a b.pdf");
  auto wrong = r.find("PUT", "/v1/jobs");
  BOOST_TEST(!wrong.found);
  BOOST_TEST(wrong.path_known);
  auto none = r.find("GET", "/v1/jobz");
  BOOST_TEST(!none.found);
  BOOST_TEST(!none.path_known);
  BOOST_TEST((r.find("GET", "/healthz").found->need == scope::none));
  BOOST_TEST((r.find("POST", "/v1/jobs").found->need == scope::submit));
  BOOST_TEST(r.find("POST", "/v1/jobs").found->streams_upload);
}

BOOST_AUTO_TEST_CASE(scopes_nest) {
  BOOST_TEST(allows(scope::admin, scope::submit));
  BOOST_TEST(allows(scope::submit, scope::read));
  BOOST_TEST(!allows(scope::read, scope::submit));
  BOOST_TEST(!allows(scope::submit, scope::admin));
  BOOST_TEST((parse_scope("root") == scope::none));
}

BOOST_AUTO_TEST_CASE(queries_are_decoded) {
  auto q = parse_query("state=done&limit=5&x=a%2Fb+c&flag");
  BOOST_TEST(q["state"] == "done");
  BOOST_TEST(q["x"] == "a/b c");
  BOOST_TEST(q.count("flag") == 1u);
  BOOST_TEST(url_decode("%zz%4") == "%zz%4");
}

BOOST_AUTO_TEST_CASE(multipart_parses_in_pieces_of_any_size) {
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 100000u}) {
    collected c;
    BOOST_TEST(parse(form, "XyZ", step, c), "step " << step);
    BOOST_REQUIRE(c.parts.size() == 2u);
    BOOST_TEST(c.parts[0].name == "format");
    BOOST_TEST(c.parts[0].filename == "");
    BOOST_TEST(c.bodies[0] == "pdf");
    BOOST_TEST(c.parts[1].filename == "a b.csv");
    BOOST_TEST(c.parts[1].content_type == "text/csv");
    BOOST_TEST(c.bodies[1] == "id,x\r\n1,--XyZ is not a boundary here\r\n");
  }
}

BOOST_AUTO_TEST_CASE(multipart_refuses_what_is_malformed) {
  std::string error;
  collected c;
  BOOST_TEST(!parse("--b\r\nContent-Type: x\r\n\r\nbody\r\n--b--", "b", 5, c, &error));
  BOOST_TEST(error.find("Content-Disposition") != std::string::npos, error);
  collected c2;
  std::string many;
  for (int i = 0; i < 10; ++i)
    many += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  many += "--b--";
  BOOST_TEST(!parse(many, "b", 1000, c2, &error));
  BOOST_TEST(error.find("more than 8 parts") != std::string::npos, error);
  collected c3;
  BOOST_TEST(!parse("--b\r\n" + std::string(9000, 'h'), "b", 100, c3, &error));
  BOOST_TEST(error.find("8 KiB") != std::string::npos, error);
  collected c4;  // cut before its last boundary: not done
  BOOST_TEST(!parse("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nxx", "b", 3, c4));
}

BOOST_AUTO_TEST_CASE(boundaries_come_from_the_content_type) {
  BOOST_TEST(form_boundary("multipart/form-data; boundary=abc").value() == "abc");
  BOOST_TEST(form_boundary("Multipart/Form-Data; charset=x; boundary=\"a b\"").value() == "a b");
  BOOST_TEST(!form_boundary("application/json"));
  BOOST_TEST(!form_boundary("multipart/form-data"));
  BOOST_TEST(!form_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
}

BOOST_AUTO_TEST_CASE(tokens_are_random_and_stored_as_their_hash) {
  auto a = new_token(), b = new_token();
  BOOST_TEST(a != b);
  BOOST_TEST(a.size() == 69u);
  BOOST_TEST(token_hash("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(token_hash(a).find(a.substr(5)) == std::string::npos);
}
