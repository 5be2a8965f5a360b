"""Built-in sparse connectivity snippets (GeNN 5.4 ``InitSparseConnectivitySnippet``).

Row/column lengths are bounded, as in GeNN, by the 0.9999 quantile of the whole matrix:
the per-row quantile ``0.9999^(1/num_pre)`` (per column ``0.9999^(1/num_post)``) of the
row-length distribution, via :func:`.binomial.binomial_inverse_cdf`.

Uninitialised
    Connectivity left to the user. No code.
OneToOne
    Pre neuron i connects to post neuron i. Max row/column length 1.
FixedProbability
    Each pre/post pair connected independently with probability ``prob``; gaps between
    targets are drawn from the geometric distribution by inversion.
    Parameters: ``prob``. Derived: ``probLogRecip = 1 / log(1 - prob)``.
    Max row length: ``Binom(num_post, prob)`` quantile; max column length: ``Binom(num_pre, prob)``.
FixedProbabilityNoAutapse
    As FixedProbability, excluding ``i -> i`` connections.
FixedNumberPostWithReplacement
    Each pre neuron gets ``num`` targets drawn uniformly with replacement, in ascending
    order (sequential 1st-order statistics of the uniform distribution).
    Parameters: ``num`` (unsigned int). Max row length ``num``; max column length:
    ``Binom(num * num_pre, 1 / num_post)`` quantile.
FixedNumberTotalWithReplacement
    ``num`` synapses in total, placed uniformly with replacement. Row lengths are drawn on
    the host by sequential binomial splitting (``Binom(remaining, num_post / remaining_cells)``
    per row, the last row taking the rest), then each row is built as in
    FixedNumberPostWithReplacement. Parameters: ``num`` (unsigned int).
    Max row length: ``Binom(num, 1 / num_pre)`` quantile; max column length: ``Binom(num, 1 / num_post)``.
    GeNN does the row-length draw in ``SET_HOST_INIT_CODE`` (C++), which we do not support;
    here it is the Python function ``host_init`` (see :func:`FixedNumberTotalWithReplacement`),
    whose result the engine must upload as EGP ``preCalcRowLength`` (unsigned int, one per
    pre neuron; GeNN's is uint16 with one per pre neuron and thread).
FixedNumberPreWithReplacement
    Each post neuron gets ``num`` sources drawn uniformly with replacement (column build).
    Parameters: ``num`` (unsigned int). Max column length ``num``; max row length:
    ``Binom(num * num_post, 1 / num_pre)`` quantile.
Conv2D
    2D convolution from an ``conv_ih x conv_iw x conv_ic`` input (pre, HWC order) to an
    ``conv_oh x conv_ow x conv_oc`` output (post) with a ``conv_kh x conv_kw`` kernel, strides
    ``conv_sh, conv_sw`` and padding ``conv_padh, conv_padw`` (all int parameters).
    ``addSynapse(idPost, kernRow, kernCol, inChan, outChan)`` passes the kernel indices.
    Max row length ``ceil(kh / sh) ceil(kw / sw) oc``; kernel size ``[kh, kw, ic, oc]``.
"""

from __future__ import annotations

import math

import numpy as np

from ..api.snippets import InitSparseConnectivitySnippetBase, _Registry, create_sparse_connect_init_snippet
from .binomial import binomial_inverse_cdf


def _log_recip(x: float) -> float:
    """1 / log(x) with C's conventions at the edge: x = 0 gives 1 / -inf = -0.0 (prob = 1 is all-to-all)."""
    return -0.0 if x <= 0.0 else 1.0 / math.log(x)


def _row_quantile(num_pre: int) -> float:
    return math.pow(0.9999, 1.0 / float(num_pre))


def _col_quantile(num_post: int) -> float:
    return math.pow(0.9999, 1.0 / float(num_post))


def Uninitialised() -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet("Uninitialised")


def OneToOne() -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet(
        "OneToOne",
        row_build_code="addSynapse(id_pre);\n",
        calc_max_row_len_func=lambda num_pre, num_post, pars: 1,
        calc_max_col_len_func=lambda num_pre, num_post, pars: 1)


def _fixed_probability(class_name: str, row_build_code: str) -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet(
        class_name,
        params=["prob"],
        derived_params=[("probLogRecip", lambda pars, dt: _log_recip(1.0 - pars["prob"]))],
        row_build_code=row_build_code,
        calc_max_row_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _row_quantile(num_pre), num_post, float(pars["prob"])),
        calc_max_col_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _col_quantile(num_post), num_pre, float(pars["prob"])))


def FixedProbability() -> InitSparseConnectivitySnippetBase:
    return _fixed_probability("FixedProbability", """
        int prevJ = -1;
        while(true) {
           const scalar u = gennrand_uniform();
           prevJ += (1 + (int)(log(u) * probLogRecip));
           if(prevJ < num_post) {
               addSynapse(prevJ + id_post_begin);
           }
           else {
               break;
           }
        }
        """)


def FixedProbabilityNoAutapse() -> InitSparseConnectivitySnippetBase:
    return _fixed_probability("FixedProbabilityNoAutapse", """
        int prevJ = -1;
        while(true) {
           int nextJ;
           do {
               const scalar u = gennrand_uniform();
               nextJ = prevJ + (1 + (int)(log(u) * probLogRecip));
           } while(nextJ == id_pre);
           prevJ = nextJ;
           if(prevJ < num_post) {
               addSynapse(prevJ + id_post_begin);
           }
           else {
               break;
           }
        }
        """)


def FixedNumberPostWithReplacement() -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet(
        "FixedNumberPostWithReplacement",
        params=[("num", "unsigned int")],
        row_build_code="""
        scalar x = 0.0;
        for(unsigned int c = num; c != 0; c--) {
           const scalar u = gennrand_uniform();
           x += (1.0 - x) * (1.0 - pow(u, 1.0 / (scalar)c));
           unsigned int postIdx = (unsigned int)(x * num_post);
           postIdx = (postIdx < num_post) ? postIdx : (num_post - 1);
           addSynapse(postIdx + id_post_begin);
        }
        """,
        calc_max_row_len_func=lambda num_pre, num_post, pars: int(pars["num"]),
        calc_max_col_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _col_quantile(num_post), int(pars["num"]) * num_pre, 1.0 / float(num_post)))


def _fixed_number_total_row_lengths(num_pre: int, num_post: int, params: dict,
                                    rng: np.random.Generator) -> np.ndarray:
    """Row lengths for FixedNumberTotalWithReplacement: GeNN's host init code with one thread.

    Each row but the last draws ``Binom(remaining, num_post / remaining_matrix_size)``;
    the last row takes the remaining connections.
    """
    num_pre = int(num_pre)
    num_post = int(num_post)
    remaining = int(params["num"])
    matrix_size = num_pre * num_post
    lengths = np.zeros(num_pre, dtype=np.uint32)
    for i in range(num_pre - 1):
        probability = float(num_post) / float(matrix_size)
        row_length = int(rng.binomial(remaining, probability)) if remaining > 0 else 0
        remaining -= row_length
        matrix_size -= num_post
        lengths[i] = row_length
    if num_pre > 0:
        lengths[num_pre - 1] = remaining
    return lengths


def FixedNumberTotalWithReplacement() -> InitSparseConnectivitySnippetBase:
    """Has a ``host_init(num_pre, num_post, params, rng) -> uint32 row lengths`` attribute.

    It replaces GeNN's ``SET_HOST_INIT_CODE``; its result is the EGP ``preCalcRowLength``.
    """
    snippet = create_sparse_connect_init_snippet(
        "FixedNumberTotalWithReplacement",
        params=[("num", "unsigned int")],
        extra_global_params=[("preCalcRowLength", "unsigned int*")],
        # GeNN indexes preCalcRowLength[(id_pre * num_threads) + id_thread]; one thread per row here
        row_build_code="""
        scalar x = 0.0;
        for(unsigned int c = preCalcRowLength[id_pre]; c != 0; c--) {
           const scalar u = gennrand_uniform();
           x += (1.0 - x) * (1.0 - pow(u, 1.0 / (scalar)c));
           unsigned int postIdx = (unsigned int)(x * num_post);
           postIdx = (postIdx < num_post) ? postIdx : (num_post - 1);
           addSynapse(postIdx + id_post_begin);
        }
        """,
        calc_max_row_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _row_quantile(num_pre), int(pars["num"]),
            float(num_post) / (float(num_pre) * float(num_post))),
        calc_max_col_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _col_quantile(num_post), int(pars["num"]),
            float(num_pre) / (float(num_pre) * float(num_post))))
    setattr(snippet, "host_init", _fixed_number_total_row_lengths)  # noqa: B010 - not a dataclass field
    return snippet


def FixedNumberPreWithReplacement() -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet(
        "FixedNumberPreWithReplacement",
        params=[("num", "unsigned int")],
        col_build_code="""
        for(unsigned int c = num; c != 0; c--) {
           const unsigned int idPre = gennrand() % num_pre;
           addSynapse(idPre + id_pre_begin);
        }
        """,
        calc_max_row_len_func=lambda num_pre, num_post, pars: binomial_inverse_cdf(
            _row_quantile(num_pre), int(pars["num"]) * num_post, 1.0 / float(num_pre)),
        calc_max_col_len_func=lambda num_pre, num_post, pars: int(pars["num"]))


_CONV2D_PARAMS = ["conv_kh", "conv_kw", "conv_sh", "conv_sw", "conv_padh", "conv_padw",
                  "conv_ih", "conv_iw", "conv_ic", "conv_oh", "conv_ow", "conv_oc"]


def Conv2D() -> InitSparseConnectivitySnippetBase:
    return create_sparse_connect_init_snippet(
        "Conv2D",
        params=[(p, "int") for p in _CONV2D_PARAMS],
        row_build_code="""
        const int inRow = (id_pre / conv_ic) / conv_iw;
        const int inCol = (id_pre / conv_ic) % conv_iw;
        const int inChan = id_pre % conv_ic;
        const int maxOutRow = min(conv_oh, max(0, 1 + ((inRow + conv_padh) / conv_sh)));
        const int minOutCol = min(conv_ow, max(0, 1 + (int)floor((inCol + conv_padw - conv_kw)
                                                                  / (scalar)conv_sw)));
        const int maxOutCol = min(conv_ow, max(0, 1 + ((inCol + conv_padw) / conv_sw)));
        int outRow = min(conv_oh, max(0, 1 + (int)floor((inRow + conv_padh - conv_kh) / (scalar)conv_sh)));
        for(;outRow < maxOutRow; outRow++) {
           const int strideRow = (outRow * conv_sh) - conv_padh;
           const int kernRow = inRow - strideRow;
           for(int outCol = minOutCol; outCol < maxOutCol; outCol++) {
               const int strideCol = (outCol * conv_sw) - conv_padw;
               const int kernCol = inCol - strideCol;
               for(int outChan = 0; outChan < conv_oc; outChan++) {
                   const int idPost = ((outRow * conv_ow * conv_oc) +
                                        (outCol * conv_oc) +
                                        outChan);
                    addSynapse(idPost, kernRow, kernCol, inChan, outChan);
               }
           }
        }
        """,
        calc_max_row_len_func=lambda num_pre, num_post, pars: (
            int(math.ceil(float(pars["conv_kh"]) / float(pars["conv_sh"])))
            * int(math.ceil(float(pars["conv_kw"]) / float(pars["conv_sw"])))
            * int(pars["conv_oc"])),
        calc_kernel_size_func=lambda pars: [int(pars["conv_kh"]), int(pars["conv_kw"]),
                                            int(pars["conv_ic"]), int(pars["conv_oc"])])


REGISTRY = _Registry("sparse connectivity snippet", {
    "Uninitialised": Uninitialised, "OneToOne": OneToOne, "FixedProbability": FixedProbability,
    "FixedProbabilityNoAutapse": FixedProbabilityNoAutapse,
    "FixedNumberPostWithReplacement": FixedNumberPostWithReplacement,
    "FixedNumberTotalWithReplacement": FixedNumberTotalWithReplacement,
    "FixedNumberPreWithReplacement": FixedNumberPreWithReplacement, "Conv2D": Conv2D})
