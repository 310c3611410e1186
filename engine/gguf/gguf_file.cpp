#include "engine/gguf/gguf_file.h"

#include "engine/error.h"
#include "engine/gguf/byte_cursor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace engine {

// Owns either a read-only memory mapping of a file or an in-memory copy.
struct GgufFile::Mapping {
    void* address = nullptr;
    size_t length = 0;
    std::vector<uint8_t> bytes;

    ~Mapping() {
        if (address) munmap(address, length);
    }
};

namespace {

constexpr int kMaxArrayDepth = 8;         // nested arrays deeper than this are refused
constexpr uint32_t kMaxDims = 4;          // as in ggml

// Smallest encoded size of one element, so counts can be checked against the bytes left.
uint64_t min_encoded_size(GgufValueType type) {
    switch (type) {
    case GgufValueType::UInt8: case GgufValueType::Int8: case GgufValueType::Bool: return 1;
    case GgufValueType::UInt16: case GgufValueType::Int16: return 2;
    case GgufValueType::UInt32: case GgufValueType::Int32: case GgufValueType::Float32: return 4;
    case GgufValueType::UInt64: case GgufValueType::Int64: case GgufValueType::Float64: return 8;
    case GgufValueType::String: return 8;
    case GgufValueType::Array: return 12;
    }
    return 1;
}

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::Float64); }

GgufValue read_value(ByteCursor& in, GgufValueType type, const std::string& what, int depth) {
    switch (type) {
    case GgufValueType::UInt8: return GgufValue::from_uint(type, in.read<uint8_t>(what));
    case GgufValueType::Int8: return GgufValue::from_int(type, in.read<int8_t>(what));
    case GgufValueType::UInt16: return GgufValue::from_uint(type, in.read<uint16_t>(what));
    case GgufValueType::Int16: return GgufValue::from_int(type, in.read<int16_t>(what));
    case GgufValueType::UInt32: return GgufValue::from_uint(type, in.read<uint32_t>(what));
    case GgufValueType::Int32: return GgufValue::from_int(type, in.read<int32_t>(what));
    case GgufValueType::UInt64: return GgufValue::from_uint(type, in.read<uint64_t>(what));
    case GgufValueType::Int64: return GgufValue::from_int(type, in.read<int64_t>(what));
    case GgufValueType::Float32: return GgufValue::from_float(type, in.read<float>(what));
    case GgufValueType::Float64: return GgufValue::from_float(type, in.read<double>(what));
    case GgufValueType::Bool: {
        uint8_t b = in.read<uint8_t>(what);
        if (b > 1) in.fail(what, "bool value " + std::to_string(b) + " is neither 0 nor 1");
        return GgufValue::from_bool(b != 0);
    }
    case GgufValueType::String: return GgufValue::from_string(in.read_string(what));
    case GgufValueType::Array: {
        if (depth >= kMaxArrayDepth)
            in.fail(what, "arrays nested more than " + std::to_string(kMaxArrayDepth) + " deep");
        uint32_t element_type = in.read<uint32_t>(what + " (array element type)");
        if (!known_value_type(element_type))
            in.fail(what, "unknown array element type " + std::to_string(element_type));
        uint64_t count = in.read<uint64_t>(what + " (array length)");
        auto etype = static_cast<GgufValueType>(element_type);
        if (count > in.remaining() / min_encoded_size(etype))
            in.fail(what, "array of " + std::to_string(count) + " elements cannot fit in the " +
                              std::to_string(in.remaining()) + " bytes left in the file");
        GgufArray array{etype, {}};
        array.elements.reserve(static_cast<size_t>(count));
        for (uint64_t i = 0; i < count; ++i) array.elements.push_back(read_value(in, etype, what, depth + 1));
        return GgufValue::from_array(std::move(array));
    }
    }
    in.fail(what, "unknown value type " + std::to_string(static_cast<uint32_t>(type)));
}

// a * b, or nullopt on unsigned 64-bit overflow.
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
    return a * b;
}

}  // namespace

int64_t GgufTensorInfo::rows() const {
    int64_t r = 1;
    for (size_t i = 1; i < shape.size(); ++i) r *= shape[i];
    return r;
}

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

GgufFile GgufFile::open(const std::filesystem::path& path) {
    GgufFile file;
    file.name_ = path.string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::Io, file.name_ + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw Error(ErrorKind::Io, file.name_ + ": cannot read its size: " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::BadFile, file.name_ + ": not a regular file");
    }
    if (st.st_size == 0) {
        ::close(fd);
        throw Error(ErrorKind::BadFile, file.name_ + ": the file is empty (0 bytes), not a GGUF model");
    }
    auto mapping = std::make_unique<Mapping>();
    mapping->length = static_cast<size_t>(st.st_size);
    void* address = mmap(nullptr, mapping->length, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    ::close(fd);
    if (address == MAP_FAILED) throw Error(ErrorKind::BadFile, file.name_ + ": cannot map the file: " + std::strerror(e));
    mapping->address = address;
    file.base_ = static_cast<const uint8_t*>(address);
    file.size_ = mapping->length;
    file.mapping_ = std::move(mapping);
    file.parse_image();
    return file;
}

GgufFile GgufFile::parse(std::vector<uint8_t> bytes, std::string name) {
    GgufFile file;
    file.name_ = std::move(name);
    file.mapping_ = std::make_unique<Mapping>();
    file.mapping_->bytes = std::move(bytes);
    file.base_ = file.mapping_->bytes.data();
    file.size_ = file.mapping_->bytes.size();
    if (file.size_ == 0) throw Error(ErrorKind::BadFile, file.name_ + ": the file is empty (0 bytes), not a GGUF model");
    file.parse_image();
    return file;
}

void GgufFile::parse_image() {
    ByteCursor in(base_, size_, name_);
    if (size_ < 4 || std::memcmp(base_, "GGUF", 4) != 0)
        throw Error(ErrorKind::BadFile, name_ + ": not a GGUF file (it does not start with the bytes \"GGUF\")");
    in.read<uint32_t>("magic");
    version_ = in.read<uint32_t>("header.version");
    if (version_ == 1)
        throw Error(ErrorKind::BadFile, name_ + ": GGUF version 1 is obsolete and not supported; convert the model again");
    if (version_ != 2 && version_ != 3) {
        if (__builtin_bswap32(version_) == 2 || __builtin_bswap32(version_) == 3)
            throw Error(ErrorKind::BadFile, name_ + ": big-endian GGUF files are not supported");
        throw Error(ErrorKind::BadFile, name_ + ": unsupported GGUF version " + std::to_string(version_) + " (2 and 3 are supported)");
    }
    uint64_t tensor_count = in.read<uint64_t>("header.tensor_count");
    uint64_t kv_count = in.read<uint64_t>("header.metadata_kv_count");
    // Each key/value needs at least 12 bytes and each tensor info at least 24.
    if (kv_count > in.remaining() / 12)
        in.fail("header.metadata_kv_count", std::to_string(kv_count) + " entries cannot fit in the file");
    if (tensor_count > in.remaining() / 24)
        in.fail("header.tensor_count", std::to_string(tensor_count) + " tensors cannot fit in the file");

    metadata_.reserve(static_cast<size_t>(kv_count));
    for (uint64_t i = 0; i < kv_count; ++i) {
        std::string key = in.read_string("metadata key #" + std::to_string(i));
        std::string what = "metadata '" + key + "'";
        uint32_t type = in.read<uint32_t>(what + " (type)");
        if (!known_value_type(type)) in.fail(what, "unknown value type " + std::to_string(type));
        GgufValue value = read_value(in, static_cast<GgufValueType>(type), what, 0);
        if (metadata_index_.count(key)) in.fail(what, "the key appears twice");
        metadata_index_.emplace(key, metadata_.size());
        metadata_.emplace_back(std::move(key), std::move(value));
    }

    if (const GgufValue* a = find("general.alignment")) {
        if (a->type() != GgufValueType::UInt32)
            throw Error(ErrorKind::BadFile, name_ + ": metadata 'general.alignment': expected uint32, found " +
                        std::string(gguf_value_type_name(a->type())));
        uint64_t alignment = a->as_uint();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw Error(ErrorKind::BadFile, name_ + ": metadata 'general.alignment': " + std::to_string(alignment) +
                        " is not a power of two");
        alignment_ = alignment;
    }

    tensors_.reserve(static_cast<size_t>(tensor_count));
    for (uint64_t i = 0; i < tensor_count; ++i) {
        GgufTensorInfo t;
        t.name = in.read_string("tensor #" + std::to_string(i) + " name");
        std::string what = "tensor '" + t.name + "'";
        uint32_t n_dims = in.read<uint32_t>(what + " (dimension count)");
        if (n_dims == 0 || n_dims > kMaxDims)
            in.fail(what, "has " + std::to_string(n_dims) + " dimensions (1 to " + std::to_string(kMaxDims) + " allowed)");
        uint64_t elements = 1;
        for (uint32_t d = 0; d < n_dims; ++d) {
            uint64_t dim = in.read<uint64_t>(what + " (dimension " + std::to_string(d) + ")");
            if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                in.fail(what, "dimension " + std::to_string(d) + " has the invalid size " + std::to_string(dim));
            auto product = checked_mul(elements, dim);
            if (!product || *product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                in.fail(what, "the product of its dimensions overflows 64 bits");
            elements = *product;
            t.shape.push_back(static_cast<int64_t>(dim));
        }
        uint32_t type_id = in.read<uint32_t>(what + " (type)");
        auto traits = ggml_type_traits(type_id);
        if (!traits) in.fail(what, "unknown tensor type id " + std::to_string(type_id));
        t.type = traits->type;
        if (t.shape[0] % traits->block_size != 0)
            in.fail(what, "row length " + std::to_string(t.shape[0]) + " is not a multiple of the " +
                              std::string(traits->name) + " block size " + std::to_string(traits->block_size));
        t.offset = in.read<uint64_t>(what + " (data offset)");
        if (t.offset % alignment_ != 0)
            in.fail(what, "data offset " + std::to_string(t.offset) + " is not aligned to " + std::to_string(alignment_));
        auto bytes = checked_mul(elements / static_cast<uint64_t>(traits->block_size),
                                 static_cast<uint64_t>(traits->type_size));
        if (!bytes) in.fail(what, "its byte size overflows 64 bits");
        t.size_bytes = *bytes;
        t.n_elements = static_cast<int64_t>(elements);
        if (tensor_index_.count(t.name)) in.fail(what, "the tensor name appears twice");
        tensor_index_.emplace(t.name, tensors_.size());
        tensors_.push_back(std::move(t));
    }

    uint64_t header_end = in.position();
    data_offset_ = header_end + (alignment_ - header_end % alignment_) % alignment_;
    if (!tensors_.empty() && data_offset_ > size_)
        throw Error(ErrorKind::BadFile, name_ + ": the tensor data section starts at " + std::to_string(data_offset_) +
                    ", past the end of the file (" + std::to_string(size_) + " bytes)");
    for (auto& t : tensors_) {
        uint64_t available = size_ - data_offset_;
        if (t.offset > available || t.size_bytes > available - t.offset)
            throw Error(ErrorKind::BadFile, name_ + ": tensor '" + t.name + "' ends past the end of the file (offset " +
                        std::to_string(data_offset_ + t.offset) + ", size " + std::to_string(t.size_bytes) +
                        ", file size " + std::to_string(size_) + ")");
        t.data = base_ + data_offset_ + t.offset;
    }
}

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = metadata_index_.find(std::string(key));
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufValue& GgufFile::get(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) throw Error(ErrorKind::BadFile, name_ + ": metadata key '" + std::string(key) + "' is missing");
    return *v;
}

namespace {

// Runs a conversion of a value, prefixing its error with the file and key.
template <typename F>
decltype(auto) convert(const std::string& file, std::string_view key, F&& f) {
    try {
        return f();
    } catch (const Error& e) {
        throw Error(ErrorKind::BadFile, file + ": metadata '" + std::string(key) + "': " + e.what());
    }
}

}  // namespace

std::string GgufFile::get_string(std::string_view key) const {
    const GgufValue& v = get(key);
    return convert(name_, key, [&] { return v.as_string(); });
}
int64_t GgufFile::get_int(std::string_view key) const {
    const GgufValue& v = get(key);
    return convert(name_, key, [&] { return v.as_int(); });
}
double GgufFile::get_float(std::string_view key) const {
    const GgufValue& v = get(key);
    return convert(name_, key, [&] { return v.as_float(); });
}
bool GgufFile::get_bool(std::string_view key) const {
    const GgufValue& v = get(key);
    return convert(name_, key, [&] { return v.as_bool(); });
}
std::optional<std::string> GgufFile::get_string_opt(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_string(key);
}
std::optional<int64_t> GgufFile::get_int_opt(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_int(key);
}
std::optional<double> GgufFile::get_float_opt(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_float(key);
}
std::optional<bool> GgufFile::get_bool_opt(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_bool(key);
}

const GgufArray& GgufFile::get_array(std::string_view key, GgufValueType element_type) const {
    const GgufValue& v = get(key);
    return convert(name_, key, [&]() -> const GgufArray& {
        const GgufArray& a = v.as_array();
        if (a.element_type != element_type)
            throw Error(ErrorKind::BadFile, "expected an array of " + std::string(gguf_value_type_name(element_type)) +
                        ", found an array of " + std::string(gguf_value_type_name(a.element_type)));
        return a;
    });
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
    const GgufTensorInfo* t = find_tensor(name);
    if (!t) throw Error(ErrorKind::BadFile, name_ + ": tensor '" + std::string(name) + "' is missing");
    return *t;
}

}  // namespace engine
