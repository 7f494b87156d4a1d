#include "actors/document/layout/image_resource.hpp"

#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "actors/document/layout/layout_error.hpp"

namespace weft::document::layout {

namespace {

namespace fs = std::filesystem;

struct read_state {
  const std::vector<unsigned char>* data;
  std::size_t pos;
};

cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<read_state*>(closure);
  if (r->pos + length > r->data->size()) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(r->data->begin() + static_cast<std::ptrdiff_t>(r->pos), length, out);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

/// Width and height from a JPEG's start-of-frame marker; false if there is none.
bool jpeg_size(const std::vector<unsigned char>& d, int& w, int& h) {
  std::size_t i = 2;
  while (i + 9 < d.size()) {
    if (d[i] != 0xFF) return false;
    unsigned char m = d[i + 1];
    if (m == 0xFF) {
      ++i;
      continue;
    }
    const std::size_t len = static_cast<std::size_t>(d[i + 2] << 8 | d[i + 3]);
    if ((m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      h = d[i + 5] << 8 | d[i + 6];
      w = d[i + 7] << 8 | d[i + 8];
      return w > 0 && h > 0;
    }
    i += 2 + len;
  }
  return false;
}

/// libjpeg reports errors by calling error_exit, which must not return: jump back.
struct jpeg_error {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

[[noreturn]] void jpeg_fail(j_common_ptr c) {
  std::longjmp(reinterpret_cast<jpeg_error*>(c->err)->jump, 1);
}

void jpeg_quiet(j_common_ptr, int) {}

/// At most this many decoded pixels (a preview needs no more; 64 MB of RGB24).
constexpr unsigned long max_decoded_pixels = 16UL * 1024 * 1024;

/// Decodes a JPEG file into an RGB24 image surface (scaled down by libjpeg by 2, 4 or 8 when it
/// has more than max_decoded_pixels); nullptr when libjpeg cannot. No C++ object with a
/// destructor lives across the setjmp.
cairo_surface_t* decode_jpeg(const unsigned char* data, unsigned long size) {
  jpeg_decompress_struct info;
  jpeg_error err;
  info.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_quiet;
  cairo_surface_t* volatile surface = nullptr;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&info);
    if (surface) cairo_surface_destroy(surface);
    return nullptr;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, const_cast<unsigned char*>(data), size);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_RGB;  // grey and CMYK/YCCK too; libjpeg converts
  info.scale_num = 1;
  info.scale_denom = 1;
  while (info.scale_denom < 8 && static_cast<unsigned long>(info.image_width / info.scale_denom) *
                                         (info.image_height / info.scale_denom) >
                                     max_decoded_pixels)
    info.scale_denom *= 2;
  jpeg_start_decompress(&info);
  const int w = static_cast<int>(info.output_width), h = static_cast<int>(info.output_height);
  if (info.output_components != 3 ||
      static_cast<unsigned long>(w) * static_cast<unsigned long>(h) > max_decoded_pixels) {
    jpeg_destroy_decompress(&info);
    return nullptr;
  }
  surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    jpeg_destroy_decompress(&info);
    cairo_surface_destroy(surface);
    return nullptr;
  }
  unsigned char* pixels = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  JSAMPLE* row = static_cast<JSAMPLE*>(std::malloc(static_cast<std::size_t>(w) * 3));
  if (!row) {
    jpeg_destroy_decompress(&info);
    cairo_surface_destroy(surface);
    return nullptr;
  }
  while (info.output_scanline < info.output_height) {
    const int y = static_cast<int>(info.output_scanline);
    JSAMPROW rows[1] = {row};
    if (jpeg_read_scanlines(&info, rows, 1) != 1) break;
    auto* out = reinterpret_cast<std::uint32_t*>(pixels + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < w; ++x)
      out[x] = 0xFF000000u | (std::uint32_t{row[3 * x]} << 16) |
               (std::uint32_t{row[3 * x + 1]} << 8) | row[3 * x + 2];
  }
  std::free(row);
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  cairo_surface_mark_dirty(surface);
  return surface;
}

}  // namespace

image_resource::~image_resource() {
  cairo_surface_destroy(surface_);
  if (decoded_) cairo_surface_destroy(decoded_);
}

void image_resource::paint(cairo_t* cr, double x, double y, double w, double h) const {
  cairo_surface_t* source = surface_;
  if (cairo_surface_get_type(cairo_get_target(cr)) != CAIRO_SURFACE_TYPE_PDF) {
    const unsigned char* jpeg = nullptr;
    unsigned long length = 0;
    cairo_surface_get_mime_data(surface_, CAIRO_MIME_TYPE_JPEG, &jpeg, &length);
    if (jpeg && !decode_tried_) {
      decode_tried_ = true;
      decoded_ = decode_jpeg(jpeg, length);
    }
    if (jpeg && decoded_) source = decoded_;
  }
  cairo_save(cr);
  cairo_translate(cr, x, y);
  if (source == surface_) {
    cairo_scale(cr, w / width, h / height);
  } else {
    cairo_scale(cr, w / cairo_image_surface_get_width(source),
                h / cairo_image_surface_get_height(source));
  }
  cairo_set_source_surface(cr, source, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  if (source == surface_)
    cairo_rectangle(cr, 0, 0, width, height);
  else
    cairo_rectangle(cr, 0, 0, cairo_image_surface_get_width(source),
                    cairo_image_surface_get_height(source));
  cairo_fill(cr);
  cairo_restore(cr);
}

std::shared_ptr<const image_resource> image_cache::load(const std::string& src,
                                                        source_position where) {
  const std::string at = "line " + std::to_string(where.line) + ":" + std::to_string(where.column) +
                         ": <img src=\"" + src + "\">: ";
  if (dir_.empty())
    throw layout_error(at + "the job has no resources directory (submit --resources DIR)");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(dir_, ec);
  fs::path p = fs::path(src);
  if (p.is_absolute() || src.find("://") != std::string::npos)
    throw layout_error(at + "only paths relative to the job's resources are allowed");
  const fs::path full = fs::weakly_canonical(base / p, ec);
  auto rel = full.lexically_relative(base);
  if (ec || rel.empty() || *rel.begin() == "..")
    throw layout_error(at + "the path leaves the job's resources directory");
  auto it = loaded_.find(full.string());
  if (it != loaded_.end()) return it->second;
  if (!fs::is_regular_file(full, ec))
    throw layout_error(at + "no such file in the job's resources");
  const auto size = fs::file_size(full, ec);
  if (ec) throw layout_error(at + "cannot read it: " + ec.message());
  if (max_bytes_ > 0 && size > max_bytes_)
    throw layout_error(at + "the image has " + std::to_string(size) + " bytes, more than " +
                       std::to_string(max_bytes_) + " (jobs.max_image_bytes)");
  std::ifstream in(full, std::ios::binary);
  std::vector<unsigned char> data((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw layout_error(at + "cannot read it");
  cairo_surface_t* surface = nullptr;
  int w = 0, h = 0;
  static const unsigned char png_magic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (data.size() > 8 && std::equal(png_magic, png_magic + 8, data.begin())) {
    read_state r{&data, 0};
    surface = cairo_image_surface_create_from_png_stream(read_png, &r);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(surface);
      throw layout_error(at + "not a valid PNG image");
    }
    w = cairo_image_surface_get_width(surface);
    h = cairo_image_surface_get_height(surface);
  } else if (data.size() > 4 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    if (!jpeg_size(data, w, h)) throw layout_error(at + "not a valid JPEG image (no frame header)");
    // The pixels stay in the JPEG: the PDF surface embeds the file as it is. The surface itself
    // only carries the size (1 bit per pixel); other surfaces (the --png preview) get the
    // pixels decoded by image_resource::paint.
    surface = cairo_image_surface_create(CAIRO_FORMAT_A1, w, h);
    auto* copy = new std::vector<unsigned char>(std::move(data));
    cairo_surface_set_mime_data(
        surface, CAIRO_MIME_TYPE_JPEG, copy->data(), copy->size(),
        [](void* v) { delete static_cast<std::vector<unsigned char>*>(v); }, copy);
  } else {
    throw layout_error(at + "not a PNG or JPEG image");
  }
  auto* id = new std::string(full.string());
  cairo_surface_set_mime_data(
      surface, CAIRO_MIME_TYPE_UNIQUE_ID, reinterpret_cast<const unsigned char*>(id->data()),
      id->size(), [](void* v) { delete static_cast<std::string*>(v); }, id);
  auto res = std::make_shared<const image_resource>(surface, w, h);
  loaded_.emplace(full.string(), res);
  return res;
}

}  // namespace weft::document::layout
