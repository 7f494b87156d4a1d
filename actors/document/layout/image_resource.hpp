#pragma once

// Images (<img>) and barcodes (<barcode>) as the layout engine holds them: loaded once per output
// file, painted any number of times.

#include <cairo.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "actors/document/layout/style.hpp"

namespace weft::document::layout {

/// A decoded PNG or a JPEG passed through as it is (CAIRO_MIME_TYPE_JPEG); tagged with
/// CAIRO_MIME_TYPE_UNIQUE_ID so that a PDF file embeds it once however often it is painted.
class image_resource {
 public:
  image_resource(cairo_surface_t* surface, double w, double h)
      : surface_(surface), width(w), height(h) {}
  ~image_resource();
  image_resource(const image_resource&) = delete;
  image_resource& operator=(const image_resource&) = delete;
  /// Paints the image scaled into the box (x, y, w, h). A JPEG is passed through to a PDF
  /// surface; on any other surface (the --png preview) it is decoded (libjpeg) the first time.
  void paint(cairo_t* cr, double x, double y, double w, double h) const;

 private:
  cairo_surface_t* surface_;
  mutable cairo_surface_t* decoded_ = nullptr;  // a JPEG's pixels, for non-PDF surfaces
  mutable bool decode_tried_ = false;

 public:
  const double width;   ///< pixels
  const double height;  ///< pixels
};

/// The images of one output file, by canonical path.
class image_cache {
 public:
  image_cache(std::filesystem::path resources_dir, std::uint64_t max_bytes)
      : dir_(std::move(resources_dir)), max_bytes_(max_bytes) {}
  /// Loads `src` (relative to the resources directory) once.
  /// @throws layout_error naming `src` and `where`: missing, outside the directory, too big, not
  /// a PNG or JPEG image.
  std::shared_ptr<const image_resource> load(const std::string& src, source_position where);

 private:
  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
  std::map<std::string, std::shared_ptr<const image_resource>> loaded_;
};

/// A barcode symbol, drawn as vectors.
class barcode_resource {
 public:
  virtual ~barcode_resource() = default;
  /// Height / width, quiet zone included.
  virtual double aspect() const = 0;
  virtual void draw(cairo_t* cr, double x, double y, double w, double h) const = 0;
};

/// Encodes `value` as a barcode of `type` (qrcode, code128, datamatrix, ean13, pdf417).
/// @throws layout_error, its message starting with `where`, for an unknown type or an invalid
/// value.
std::shared_ptr<const barcode_resource> make_barcode_resource(const std::string& type,
                                                              const std::string& value,
                                                              const std::string& where);

}  // namespace weft::document::layout
