# Writes OUT, a C++ source defining weft::http::openapi_document() with the text of IN.
file(READ ${IN} text)
string(FIND "${text}" ")weft_openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string's delimiter")
endif()
file(WRITE ${OUT}.tmp "// Generated from docs/openapi.json by actors/http/embed_openapi.cmake.\n"
     "#include \"actors/http/routes.hpp\"\n"
     "namespace weft::http {\n"
     "const std::string& openapi_document() {\n"
     "  static const std::string text = R\"weft_openapi(${text})weft_openapi\";\n"
     "  return text;\n"
     "}\n"
     "}  // namespace weft::http\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
