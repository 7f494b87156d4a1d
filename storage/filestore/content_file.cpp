#include "storage/filestore/content_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "storage/filestore/layout.hpp"

namespace weft::filestore {

namespace {

void put_le(std::FILE* f, uint64_t v, int bytes) {
  unsigned char buf[8];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<unsigned char>(v >> (8 * i));
  std::fwrite(buf, 1, static_cast<size_t>(bytes), f);
}

bool get_le(std::FILE* f, uint64_t& v, int bytes) {
  unsigned char buf[8];
  auto n = std::fread(buf, 1, static_cast<size_t>(bytes), f);
  if (n == 0) return false;
  if (n != static_cast<size_t>(bytes)) throw std::runtime_error("truncated frame header");
  v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(buf[i]) << (8 * i);
  return true;
}

}  // namespace

content_writer::content_writer(std::string path) : path_(std::move(path)), part_(part_path(path_)) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  file_ = std::fopen(part_.c_str(), "wb");
  if (!file_) throw std::runtime_error("cannot create " + part_ + ": " + std::strerror(errno));
}

content_writer::~content_writer() {
  if (file_) {
    std::fclose(file_);
    std::remove(part_.c_str());
  }
}

void content_writer::add(int64_t seq, const std::string& text) {
  put_le(file_, static_cast<uint64_t>(seq), 8);
  put_le(file_, text.size(), 4);
  std::fwrite(text.data(), 1, text.size(), file_);
  bytes_ += 12 + static_cast<int64_t>(text.size());
}

int64_t content_writer::finish() {
  bool ok = std::fflush(file_) == 0 && ::fdatasync(fileno(file_)) == 0 && !std::ferror(file_);
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok || std::rename(part_.c_str(), path_.c_str()) != 0) {
    std::remove(part_.c_str());
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
  return bytes_;
}

content_reader::content_reader(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fileno(file_), &st) != 0) {
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

content_reader::~content_reader() {
  if (file_) std::fclose(file_);
}

bool content_reader::next(int64_t& seq, std::string& text) {
  uint64_t s = 0, len = 0;
  if (!get_le(file_, s, 8)) return false;
  if (!get_le(file_, len, 4)) throw std::runtime_error(path_ + ": truncated frame");
  // A corrupt length must not make the weaver allocate up to 4 GB: no frame is longer than
  // what is left of the file.
  const auto at = std::ftell(file_);
  if (at < 0 || len > size_ - std::min<uint64_t>(size_, static_cast<uint64_t>(at)))
    throw std::runtime_error(path_ + ": truncated frame (length " + std::to_string(len) +
                             " past the end of the file)");
  text.resize(len);
  if (len > 0 && std::fread(text.data(), 1, len, file_) != len)
    throw std::runtime_error(path_ + ": truncated frame");
  seq = static_cast<int64_t>(s);
  return true;
}

}  // namespace weft::filestore
