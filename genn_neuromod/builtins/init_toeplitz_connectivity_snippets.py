"""GeNN 5.4's Toeplitz connectivity snippets: convolutions whose weights are one kernel shared by every position.

Each diagonal ``id_diag`` of the Toeplitz matrix is one (kernel row, kernel column, output channel); its code
loops over the presynaptic spikes (``for_each_synapse``), finds the output position the kernel entry maps the
spiking input to and, if it lies inside the output, calls ``addSynapse(id_post, kernel row, kernel column, input
channel, output channel)``.  The kernel is flipped (a convolution, not a correlation), as GeNN's.
Neurons are laid out row major with the channel fastest: ``id = (row * width + column) * channels + channel``.
"""

from __future__ import annotations

import math

from ..api.snippets import InitToeplitzConnectivitySnippetBase, _Registry, create_toeplitz_connect_init_snippet

_DIAGONAL = """
const int kernRow = (id_diag / conv_oc) / conv_kw;
const int kernCol = (id_diag / conv_oc) % conv_kw;
const int kernOutChan = id_diag % conv_oc;
const int flipRow = conv_kh - 1 - kernRow;
const int flipCol = conv_kw - 1 - kernCol;
for_each_synapse {
{input}
    const int postRow = inRow + kernRow - conv_bh;
    const int postCol = inCol + kernCol - conv_bw;
    if ({inside}postRow >= 0 && postCol >= 0 && postRow < conv_oh && postCol < conv_ow) {
        addSynapse((postRow * conv_ow + postCol) * conv_oc + kernOutChan, flipRow, flipCol, inChan, kernOutChan);
    }
}
"""


def _max_row_length(num_pre: int, num_post: int, pars: dict) -> int:
    return int(pars["conv_kh"]) * int(pars["conv_kw"]) * int(pars["conv_oc"])


def Conv2D() -> InitToeplitzConnectivitySnippetBase:
    """A 2D convolution, stride 1, output centred on the input (border ``conv_bh``, ``conv_bw``)."""
    code = _DIAGONAL.replace("{input}", """
    const int inRow = (id_pre / conv_ic) / conv_iw;
    const int inCol = (id_pre / conv_ic) % conv_iw;
    const int inChan = id_pre % conv_ic;""").replace("{inside}", "")
    return create_toeplitz_connect_init_snippet(
        "Conv2D",
        params=[(p, "int") for p in ("conv_kh", "conv_kw", "conv_ih", "conv_iw", "conv_ic", "conv_oh", "conv_ow",
                                     "conv_oc")],
        derived_params=[
            ("conv_bw", lambda p, dt: ((p["conv_iw"] + p["conv_kw"] - 1) - p["conv_ow"]) // 2, "int"),
            ("conv_bh", lambda p, dt: ((p["conv_ih"] + p["conv_kh"] - 1) - p["conv_oh"]) // 2, "int")],
        diagonal_build_code=code, calc_max_row_len_func=_max_row_length,
        calc_kernel_size_func=lambda p: [int(p["conv_kh"]), int(p["conv_kw"]), int(p["conv_ic"]),
                                         int(p["conv_oc"])])


def AvgPoolConv2D() -> InitToeplitzConnectivitySnippetBase:
    """Average pooling (``pool_kh`` x ``pool_kw``, strides ``pool_sh``, ``pool_sw``) followed by a 2D convolution;
    inputs outside every pooling window make no synapse."""
    code = _DIAGONAL.replace("{input}", """
    const int poolRow = (id_pre / pool_ic) / pool_iw;
    const int poolCol = (id_pre / pool_ic) % pool_iw;
    const int inChan = id_pre % pool_ic;
    const int inRow = poolRow / pool_sh;
    const int inCol = poolCol / pool_sw;""").replace(
        "{inside}", "poolRow < inRow * pool_sh + pool_kh && poolCol < inCol * pool_sw + pool_kw\n        && ")

    def pooled(size: str, kern: str, stride: str, p: dict) -> int:
        return int(math.ceil((p[size] - p[kern] + 1.0) / p[stride]))

    return create_toeplitz_connect_init_snippet(
        "AvgPoolConv2D",
        params=[(p, "int") for p in ("conv_kh", "conv_kw", "pool_kh", "pool_kw", "pool_sh", "pool_sw", "pool_ih",
                                     "pool_iw", "pool_ic", "conv_oh", "conv_ow", "conv_oc")],
        derived_params=[
            ("conv_bw", lambda p, dt: (pooled("pool_iw", "pool_kw", "pool_sw", p) + p["conv_kw"] - 1
                                       - p["conv_ow"]) // 2, "int"),
            ("conv_bh", lambda p, dt: (pooled("pool_ih", "pool_kh", "pool_sh", p) + p["conv_kh"] - 1
                                       - p["conv_oh"]) // 2, "int")],
        diagonal_build_code=code, calc_max_row_len_func=_max_row_length,
        calc_kernel_size_func=lambda p: [int(p["conv_kh"]), int(p["conv_kw"]), int(p["pool_ic"]),
                                         int(p["conv_oc"])])


REGISTRY = _Registry("Toeplitz connectivity snippet", {"Conv2D": Conv2D, "AvgPoolConv2D": AvgPoolConv2D})
