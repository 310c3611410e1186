#include "engine/quant/ggml_type.h"

#include "engine/error.h"
#include "engine/quant/block_layouts.h"

#include <array>
#include <string>

namespace engine {
namespace {

constexpr std::array kTypes = {
    GgmlTypeTraits{GgmlType::F32, "F32", 1, 4, true},
    GgmlTypeTraits{GgmlType::F16, "F16", 1, 2, true},
    GgmlTypeTraits{GgmlType::Q4_0, "Q4_0", 32, 18, true},
    GgmlTypeTraits{GgmlType::Q4_1, "Q4_1", 32, 20, true},
    GgmlTypeTraits{GgmlType::Q5_0, "Q5_0", 32, 22, true},
    GgmlTypeTraits{GgmlType::Q5_1, "Q5_1", 32, 24, true},
    GgmlTypeTraits{GgmlType::Q8_0, "Q8_0", 32, 34, true},
    GgmlTypeTraits{GgmlType::Q8_1, "Q8_1", 32, 36, false},
    GgmlTypeTraits{GgmlType::Q2_K, "Q2_K", 256, 84, true},
    GgmlTypeTraits{GgmlType::Q3_K, "Q3_K", 256, 110, true},
    GgmlTypeTraits{GgmlType::Q4_K, "Q4_K", 256, 144, true},
    GgmlTypeTraits{GgmlType::Q5_K, "Q5_K", 256, 176, true},
    GgmlTypeTraits{GgmlType::Q6_K, "Q6_K", 256, 210, true},
    GgmlTypeTraits{GgmlType::Q8_K, "Q8_K", 256, 292, false},
    GgmlTypeTraits{GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66, false},
    GgmlTypeTraits{GgmlType::IQ2_XS, "IQ2_XS", 256, 74, false},
    GgmlTypeTraits{GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98, false},
    GgmlTypeTraits{GgmlType::IQ1_S, "IQ1_S", 256, 50, false},
    GgmlTypeTraits{GgmlType::IQ4_NL, "IQ4_NL", 32, 18, false},
    GgmlTypeTraits{GgmlType::IQ3_S, "IQ3_S", 256, 110, false},
    GgmlTypeTraits{GgmlType::IQ2_S, "IQ2_S", 256, 82, false},
    GgmlTypeTraits{GgmlType::IQ4_XS, "IQ4_XS", 256, 136, false},
    GgmlTypeTraits{GgmlType::I8, "I8", 1, 1, false},
    GgmlTypeTraits{GgmlType::I16, "I16", 1, 2, false},
    GgmlTypeTraits{GgmlType::I32, "I32", 1, 4, false},
    GgmlTypeTraits{GgmlType::I64, "I64", 1, 8, false},
    GgmlTypeTraits{GgmlType::F64, "F64", 1, 8, false},
    GgmlTypeTraits{GgmlType::IQ1_M, "IQ1_M", 256, 56, false},
    GgmlTypeTraits{GgmlType::BF16, "BF16", 1, 2, true},
    GgmlTypeTraits{GgmlType::TQ1_0, "TQ1_0", 256, 54, false},
    GgmlTypeTraits{GgmlType::TQ2_0, "TQ2_0", 256, 66, false},
    GgmlTypeTraits{GgmlType::MXFP4, "MXFP4", 32, 17, false},
};

constexpr int64_t table_type_size(GgmlType type) {
    for (const auto& t : kTypes)
        if (t.type == type) return t.type_size;
    return -1;
}

// The packed block structs the codecs use must have exactly the sizes the table states.
static_assert(table_type_size(GgmlType::Q4_0) == sizeof(quant_blocks::BlockQ4_0));
static_assert(table_type_size(GgmlType::Q4_1) == sizeof(quant_blocks::BlockQ4_1));
static_assert(table_type_size(GgmlType::Q5_0) == sizeof(quant_blocks::BlockQ5_0));
static_assert(table_type_size(GgmlType::Q5_1) == sizeof(quant_blocks::BlockQ5_1));
static_assert(table_type_size(GgmlType::Q8_0) == sizeof(quant_blocks::BlockQ8_0));
static_assert(table_type_size(GgmlType::Q2_K) == sizeof(quant_blocks::BlockQ2_K));
static_assert(table_type_size(GgmlType::Q3_K) == sizeof(quant_blocks::BlockQ3_K));
static_assert(table_type_size(GgmlType::Q4_K) == sizeof(quant_blocks::BlockQ4_K));
static_assert(table_type_size(GgmlType::Q5_K) == sizeof(quant_blocks::BlockQ5_K));
static_assert(table_type_size(GgmlType::Q6_K) == sizeof(quant_blocks::BlockQ6_K));

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t type_id) {
    for (const auto& t : kTypes)
        if (static_cast<uint32_t>(t.type) == type_id) return t;
    return std::nullopt;
}

const GgmlTypeTraits& ggml_type_traits(GgmlType type) {
    for (const auto& t : kTypes)
        if (t.type == type) return t;
    throw Error("unknown tensor type id " + std::to_string(static_cast<uint32_t>(type)));
}

std::string_view ggml_type_name(GgmlType type) { return ggml_type_traits(type).name; }

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
    for (const auto& t : kTypes)
        if (t.name == name) return t.type;
    return std::nullopt;
}

size_t ggml_row_size(GgmlType type, int64_t n) {
    const auto& t = ggml_type_traits(type);
    if (n < 0 || n % t.block_size != 0)
        throw Error(std::string(t.name) + " rows need a multiple of " + std::to_string(t.block_size) +
                    " elements, got " + std::to_string(n));
    return static_cast<size_t>(n / t.block_size) * static_cast<size_t>(t.type_size);
}

}  // namespace engine
