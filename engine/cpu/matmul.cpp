#include "engine/cpu/matmul.h"

#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/row_decode.h"

#include <algorithm>

namespace engine::cpu {
namespace {

// Rows per task: a full tile of the widest transposed-key kernel (two AVX-512 registers).
constexpr int64_t kRowTile = 32;
constexpr int64_t kTokenTile = 32;
// Up to this many tokens (decode), a dot per row (integer for Q4_0/Q4_1/Q8_0, widening for
// F16/BF16) beats decoding a tile of rows first.
constexpr int64_t kFusedMaxTokens = 2;

int64_t tasks_for(int64_t rows) { return (rows + kRowTile - 1) / kRowTile; }

// Rows per task when each row is cheap (one or two tokens): about eight tasks per thread,
// enough to balance a busy machine, few enough that handing out tasks costs little.
int64_t cheap_row_tile(int64_t rows, int threads) {
    const int64_t target = std::max<int64_t>(1, int64_t{threads} * 8);
    const int64_t tile = (rows + target - 1) / target;
    return std::max(kRowTile, (tile + kRowTile - 1) / kRowTile * kRowTile);
}

void matmul_q8(ThreadPool& pool, MatmulScratch& scratch, Q8Dot dot, const WeightMatrix& w,
               const float* x, int64_t n_tokens, float* out) {
    const int64_t nb = w.cols / kQ8BlockSize;
    scratch.activations.resize(static_cast<size_t>(n_tokens * nb));
    Q8Block* xq = scratch.activations.data();
    pool.parallel_for(n_tokens, [&](int64_t t, int) { quantize_activations_q8(x + t * w.cols, w.cols, xq + t * nb); });

    const size_t row_bytes = ggml_row_size(w.type, w.cols);
    pool.parallel_for(tasks_for(w.rows), [&](int64_t task, int) {
        const int64_t r0 = task * kRowTile, r1 = std::min(w.rows, r0 + kRowTile);
        for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
            const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
            for (int64_t r = r0; r < r1; ++r) {
                const uint8_t* row = w.data + static_cast<size_t>(r) * row_bytes;
                for (int64_t t = t0; t < t1; ++t) out[t * w.rows + r] = dot(row, xq + t * nb, nb);
            }
        }
    });
}

// Decode (one or two tokens) in Q4_0, Q4_1 or Q8_0: the token's activations rounded to 16-bit
// blocks once, then an integer dot per row.
void matmul_q16(ThreadPool& pool, MatmulScratch& scratch, Q16Dot dot, QuantizeQ16 quantize, const WeightMatrix& w,
                const float* x, int64_t n_tokens, float* out) {
    const int64_t nb = w.cols / kQ8BlockSize;
    scratch.activations16.resize(static_cast<size_t>(n_tokens * nb));
    Q16Block* xq = scratch.activations16.data();
    for (int64_t t = 0; t < n_tokens; ++t) quantize(x + t * w.cols, w.cols, xq + t * nb);
    const size_t row_bytes = ggml_row_size(w.type, w.cols);
    const int64_t tile = cheap_row_tile(w.rows, pool.size());
    pool.parallel_for((w.rows + tile - 1) / tile, [&](int64_t task, int) {
        const int64_t r0 = task * tile, r1 = std::min(w.rows, r0 + tile);
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t t = 0; t < n_tokens; ++t)
                out[t * w.rows + r] = dot(w.data + static_cast<size_t>(r) * row_bytes, xq + t * nb, nb);
    });
}

void matmul_fused(ThreadPool& pool, BlockDot dot, const WeightMatrix& w, const float* x, int64_t n_tokens,
                  float* out) {
    const size_t row_bytes = ggml_row_size(w.type, w.cols);
    const int64_t tile = cheap_row_tile(w.rows, pool.size());
    pool.parallel_for((w.rows + tile - 1) / tile, [&](int64_t task, int) {
        const int64_t r0 = task * tile, r1 = std::min(w.rows, r0 + tile);
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t t = 0; t < n_tokens; ++t)
                out[t * w.rows + r] = dot(w.data + static_cast<size_t>(r) * row_bytes, x + t * w.cols, w.cols);
    });
}

// Weight rows as floats: F32 rows as stored, others decoded into the calling thread's buffer
// (room for `rows_at_once` consecutive rows).
struct RowReader {
    const WeightMatrix& w;
    BlockDecode fast_decode;
    MatmulScratch& scratch;
    size_t row_bytes = ggml_row_size(w.type, w.cols);
    bool direct = w.type == GgmlType::F32;

    RowReader(const WeightMatrix& matrix, BlockDecode decode, MatmulScratch& s, int threads, int64_t rows_at_once)
        : w(matrix), fast_decode(decode), scratch(s) {
        scratch.decoded_rows.resize(static_cast<size_t>(threads));
        if (!direct)
            for (auto& rows : scratch.decoded_rows) rows.resize(static_cast<size_t>(rows_at_once * w.cols));
    }

    // Rows [r0, r1), w.cols floats apart.
    const float* rows(int64_t r0, int64_t r1, int thread) const {
        const uint8_t* src = w.data + static_cast<size_t>(r0) * row_bytes;
        if (direct) return reinterpret_cast<const float*>(src);
        float* decoded = scratch.decoded_rows[static_cast<size_t>(thread)].data();
        for (int64_t r = r0; r < r1; ++r, src += row_bytes) {
            float* row = decoded + (r - r0) * w.cols;
            fast_decode ? fast_decode(src, row, w.cols) : decode_row(w.type, src, row, w.cols);
        }
        return decoded;
    }
    const float* row(int64_t r, int thread) const { return rows(r, r + 1, thread); }
};

// One token in a format without a block dot: each row decoded, then dotted.
void matmul_rows(ThreadPool& pool, MatmulScratch& scratch, FloatDot dot, BlockDecode fast_decode, const WeightMatrix& w,
                 const float* x, int64_t n_tokens, float* out) {
    const RowReader rows(w, fast_decode, scratch, pool.size(), 1);
    const int64_t tile = cheap_row_tile(w.rows, pool.size());
    pool.parallel_for((w.rows + tile - 1) / tile, [&](int64_t task, int thread) {
        const int64_t r0 = task * tile, r1 = std::min(w.rows, r0 + tile);
        for (int64_t r = r0; r < r1; ++r) {
            const float* row = rows.row(r, thread);
            for (int64_t t = 0; t < n_tokens; ++t) out[t * w.rows + r] = dot(row, x + t * w.cols, w.cols);
        }
    });
}

// A task decodes its tile of weight rows once into a panel laid out column by column
// (element c of the tile's rows at panel[c * kRowTile ...]) and runs the transposed-key
// kernel over every token: each step broadcasts one activation against a row of the panel.
void matmul_float(ThreadPool& pool, MatmulScratch& scratch, const DotKernels& kernels, BlockDecode fast_decode,
                  const WeightMatrix& w, const float* x, int64_t n_tokens, float* out) {
    const RowReader rows(w, fast_decode, scratch, pool.size(), kRowTile);
    scratch.panels.resize(static_cast<size_t>(pool.size()));
    for (auto& panel : scratch.panels) panel.resize(static_cast<size_t>(kRowTile * w.cols));
    pool.parallel_for(tasks_for(w.rows), [&](int64_t task, int thread) {
        const int64_t r0 = task * kRowTile, r1 = std::min(w.rows, r0 + kRowTile);
        float* panel = scratch.panels[static_cast<size_t>(thread)].data();
        kernels.transpose(rows.rows(r0, r1, thread), w.cols, r1 - r0, w.cols, 1.0f, panel, kRowTile);
        kernels.f32_scores_t(x, w.cols, n_tokens, panel, kRowTile, r1 - r0, w.cols, out + r0, w.rows);
    });
}

}  // namespace

void matmul(ThreadPool& pool, MatmulScratch& scratch, const WeightMatrix& w, const float* x,
            int64_t n_tokens, float* out, const MatmulOptions& options) {
    if (n_tokens <= 0 || w.rows <= 0) return;
    const DotKernels& kernels = options.kernels ? *options.kernels : dot_kernels();
    if (options.q8_activations) {
        if (Q8Dot dot = kernels.q8_kernel(w.type)) return matmul_q8(pool, scratch, dot, w, x, n_tokens, out);
    }
    if (n_tokens <= kFusedMaxTokens) {
        if (Q16Dot dot = kernels.q16_kernel(w.type)) return matmul_q16(pool, scratch, dot, kernels.quantize_q16, w, x, n_tokens, out);
    }
    const BlockFloatKernels* block = options.block_simd ? block_float_kernels(w.type) : nullptr;
    if (block && block->dot && n_tokens <= kFusedMaxTokens) return matmul_fused(pool, block->dot, w, x, n_tokens, out);
    // One token (decode): a row's dot beats decoding and transposing a tile for one product.
    // Past kFusedMaxTokens, the panel kernel sums each token's products in the same order
    // whatever the number of tokens: a prompt's values do not depend on its chunk sizes.
    if (n_tokens == 1)
        return matmul_rows(pool, scratch, kernels.f32, block ? block->decode : nullptr, w, x, n_tokens, out);
    matmul_float(pool, scratch, kernels, block ? block->decode : nullptr, w, x, n_tokens, out);
}

}  // namespace engine::cpu
