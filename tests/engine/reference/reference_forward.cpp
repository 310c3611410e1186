#include "reference_forward.h"

#include "engine/quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace reference {
namespace {

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;   // [rows][cols]

Mat load_matrix(const engine::GgufFile& file, const std::string& name) {
    const auto& t = file.tensor(name);
    const int64_t cols = t.shape[0], rows = t.rows();
    const size_t row_bytes = engine::ggml_row_size(t.type, cols);
    std::vector<float> row(static_cast<size_t>(cols));
    Mat m(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        engine::dequantize_row(t.type, t.data + static_cast<size_t>(r) * row_bytes, row.data(), cols);
        m[static_cast<size_t>(r)].assign(row.begin(), row.end());
    }
    return m;
}

Vec load_vector(const engine::GgufFile& file, const std::string& name) { return load_matrix(file, name)[0]; }

Vec matvec(const Mat& w, const Vec& x) {
    Vec y(w.size(), 0.0);
    for (size_t r = 0; r < w.size(); ++r)
        for (size_t c = 0; c < x.size(); ++c) y[r] += w[r][c] * x[c];
    return y;
}

Vec rmsnorm(const Vec& x, const Vec& w, double eps) {
    double ss = 0.0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
}

// Rotates each head of x (n_heads * head_dim) for position pos.
void rope(Vec& x, int64_t n_heads, int64_t head_dim, int64_t pos, const std::vector<double>& freqs, bool neox) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        double* v = x.data() + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            const double angle = static_cast<double>(pos) * freqs[static_cast<size_t>(i)];
            const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
            const double x0 = v[a], x1 = v[b];
            v[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
            v[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
        }
    }
}

}  // namespace

std::vector<std::vector<double>> reference_logits(const engine::GgufFile& file, const TinySpec& s,
                                                  const std::vector<int32_t>& tokens,
                                                  std::vector<double>* attention) {
    const auto freqs = reference_rope_frequencies(s);
    const Mat embd = load_matrix(file, "token_embd.weight");
    const Mat out_w = s.tied_output ? embd : load_matrix(file, "output.weight");
    const Vec out_norm = load_vector(file, "output_norm.weight");
    const size_t n = tokens.size();
    const int64_t hd = s.head_dim, group = s.n_heads / s.n_kv_heads;

    if (attention) attention->assign(static_cast<size_t>(s.n_layers * s.n_heads) * n * n, 0.0);
    std::vector<Vec> x(n);
    for (size_t t = 0; t < n; ++t) x[t] = embd[static_cast<size_t>(tokens[t])];

    for (int64_t l = 0; l < s.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        const Mat wq = load_matrix(file, p + "attn_q.weight"), wk = load_matrix(file, p + "attn_k.weight"),
                  wv = load_matrix(file, p + "attn_v.weight"), wo = load_matrix(file, p + "attn_output.weight"),
                  wg = load_matrix(file, p + "ffn_gate.weight"), wu = load_matrix(file, p + "ffn_up.weight"),
                  wd = load_matrix(file, p + "ffn_down.weight");
        const Vec attn_norm = load_vector(file, p + "attn_norm.weight"), ffn_norm = load_vector(file, p + "ffn_norm.weight");

        std::vector<Vec> q(n), k(n), v(n);
        for (size_t t = 0; t < n; ++t) {
            const Vec xn = rmsnorm(x[t], attn_norm, s.rms_eps);
            q[t] = matvec(wq, xn);
            k[t] = matvec(wk, xn);
            v[t] = matvec(wv, xn);
            if (s.qkv_bias()) {
                const Vec bq = load_vector(file, p + "attn_q.bias"), bk = load_vector(file, p + "attn_k.bias"),
                          bv = load_vector(file, p + "attn_v.bias");
                for (size_t i = 0; i < bq.size(); ++i) q[t][i] += bq[i];
                for (size_t i = 0; i < bk.size(); ++i) k[t][i] += bk[i], v[t][i] += bv[i];
            }
            if (s.qk_norm()) {
                const Vec qn = load_vector(file, p + "attn_q_norm.weight"), kn = load_vector(file, p + "attn_k_norm.weight");
                auto norm_heads = [&](Vec& z, int64_t heads, const Vec& w) {
                    for (int64_t h = 0; h < heads; ++h) {
                        Vec head(z.begin() + h * hd, z.begin() + (h + 1) * hd);
                        head = rmsnorm(head, w, s.rms_eps);
                        std::copy(head.begin(), head.end(), z.begin() + h * hd);
                    }
                };
                norm_heads(q[t], s.n_heads, qn);
                norm_heads(k[t], s.n_kv_heads, kn);
            }
            rope(q[t], s.n_heads, hd, static_cast<int64_t>(t), freqs, s.neox());
            rope(k[t], s.n_kv_heads, hd, static_cast<int64_t>(t), freqs, s.neox());
        }

        for (size_t t = 0; t < n; ++t) {
            Vec attn(static_cast<size_t>(s.n_heads * hd), 0.0);
            for (int64_t h = 0; h < s.n_heads; ++h) {
                const int64_t kvh = h / group;
                std::vector<double> w(t + 1);
                double max_w = -1e300;
                for (size_t j = 0; j <= t; ++j) {
                    double dot = 0.0;
                    for (int64_t d = 0; d < hd; ++d) dot += q[t][h * hd + d] * k[j][kvh * hd + d];
                    w[j] = dot / std::sqrt(static_cast<double>(hd));
                    max_w = std::max(max_w, w[j]);
                }
                double sum = 0.0;
                for (auto& e : w) sum += (e = std::exp(e - max_w));
                if (attention)
                    for (size_t j = 0; j <= t; ++j)
                        (*attention)[((static_cast<size_t>(l * s.n_heads + h)) * n + t) * n + j] = w[j] / sum;
                for (size_t j = 0; j <= t; ++j)
                    for (int64_t d = 0; d < hd; ++d) attn[h * hd + d] += w[j] / sum * v[j][kvh * hd + d];
            }
            const Vec o = matvec(wo, attn);
            for (size_t i = 0; i < o.size(); ++i) x[t][i] += o[i];

            const Vec xn = rmsnorm(x[t], ffn_norm, s.rms_eps);
            const Vec g = matvec(wg, xn), u = matvec(wu, xn);
            Vec hidden(g.size());
            for (size_t i = 0; i < g.size(); ++i) hidden[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
            const Vec d = matvec(wd, hidden);
            for (size_t i = 0; i < d.size(); ++i) x[t][i] += d[i];
        }
    }

    std::vector<std::vector<double>> logits(n);
    for (size_t t = 0; t < n; ++t) logits[t] = matvec(out_w, rmsnorm(x[t], out_norm, s.rms_eps));
    return logits;
}

double relative_error(const std::vector<float>& a, const std::vector<double>& b) {
    double max_diff = 0.0, max_ref = 0.0;
    for (size_t i = 0; i < b.size(); ++i) {
        const double ai = i < a.size() ? a[i] : 0.0;
        max_diff = std::max(max_diff, std::fabs(ai - b[i]));
        max_ref = std::max(max_ref, std::fabs(b[i]));
    }
    if (a.size() != b.size() || !std::isfinite(max_diff)) return INFINITY;
    return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

}  // namespace reference
