#pragma once
// The per-row ops of the lookahead rows' pass through a layer, each with its backward right
// beside it, in double precision (the rows are few; the trainer's gradients must be exact).
// Buffers are row-major, one row per lookahead token. Every backward *adds* into its
// gradient outputs, so gradients from several uses of a value sum without extra buffers.
// Base-model weights (norm scales, biases, dequantized matrices) are float and fixed.

#include "engine/model/model_config.h"

#include <cstdint>
#include <span>

namespace engine::lookahead {

// sum of w[i] * x[i] in double (float weights or double values).
double dot(const float* w, const double* x, int64_t n);
double dot(const double* w, const double* x, int64_t n);

// The two matrix products of the rows' pass, over float matrices (weights, or a prompt's
// keys and values) with rows `ldw` apart; every other matrix's rows are ld* apart too.
// Y[t][o] = sum_i X[t][i] * W[o][i], for t < n_rows, o < n_out, i < n (Y is overwritten).
void rows_dot_rows(const double* x, int64_t ldx, int64_t n_rows, const float* w, int64_t ldw, int64_t n_out, int64_t n,
                   double* y, int64_t ldy);
// DX[t][i] += sum_o DY[t][o] * W[o][i], for t < n_rows, o < n_out, i < n.
void add_rows_times_matrix(const double* dy, int64_t lddy, int64_t n_rows, const float* w, int64_t ldw, int64_t n_out,
                           int64_t n, double* dx, int64_t lddx);

// y = x / sqrt(mean(x^2) + eps) * w, per row of `dim`.
void rmsnorm_forward(const double* x, const float* w, int64_t n_rows, int64_t dim, double eps, double* y);
void rmsnorm_backward(const double* x, const float* w, int64_t n_rows, int64_t dim, double eps, const double* dy,
                      double* dx);

// A projection y = W x + bias + scale * B (A x), with W fixed and A, B learned.
struct LoraLinear {
    const float* w = nullptr;       // [out][in]
    const float* bias = nullptr;    // [out] or nullptr
    int64_t in = 0;
    int64_t out = 0;
    const double* a = nullptr;      // [rank][in]; nullptr: no LoRA on this projection
    const double* b = nullptr;      // [out][rank]
    int64_t rank = 0;
    double scale = 1.0;             // alpha / rank
};

// xa ([n_rows][rank], kept for the backward) = x A^T; y = x W^T + bias + scale * xa B^T.
void linear_forward(const LoraLinear& p, const double* x, int64_t n_rows, double* xa, double* y);
// dx (may be nullptr), da and db (may be nullptr when there is no LoRA) are added to.
void linear_backward(const LoraLinear& p, const double* x, const double* xa, const double* dy, int64_t n_rows,
                     double* dx, double* da, double* db);

// Rotates, in place, the first 2 * freqs.size() dims of every head of row r at position
// first_position + r, pairing dims as `style` says (the engine's RoPE, in double).
void rope_forward(double* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, int64_t first_position,
                  std::span<const float> freqs, RopeStyle style);
// RoPE is a rotation, so its backward rotates the gradient back: in place on dx.
void rope_backward(double* dx, int64_t n_rows, int64_t n_heads, int64_t head_dim, int64_t first_position,
                   std::span<const float> freqs, RopeStyle style);

// p = softmax(x) over n values (p may be x).
void softmax_forward(const double* x, int64_t n, double* p);
// dx += p * (dp - sum(p * dp)).
void softmax_backward(const double* p, const double* dp, int64_t n, double* dx);

// y = silu(gate) * up over n values.
void swiglu_forward(const double* gate, const double* up, int64_t n, double* y);
void swiglu_backward(const double* gate, const double* up, const double* dy, int64_t n, double* dgate, double* dup);

// x += y over n values (a residual); its backward passes the gradient to both operands.
void add_forward(double* x, const double* y, int64_t n);
void add_backward(const double* dsum, int64_t n, double* dx, double* dy);

}  // namespace engine::lookahead
