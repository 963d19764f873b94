"""Speaker adaptation: a linear transform of the acoustic model's Gaussian means, and a scale of its variances,
fitted to one speaker's voice (maximum-likelihood linear regression, MLLR), estimated from their own turns aligned
to the recogniser's transcripts.

pocketsphinx applies such a transform (a text file given as the decoder's `mllr` option: mean' = A·mean + b and
variance' = h·variance per feature stream) but ships nothing that estimates one (sphinxtrain's `mllr_solve` does,
from `bw` statistics). This module estimates it from the model files inside the pocketsphinx wheel: the turn is
force-aligned to its transcript at the HMM-state level, each frame's posterior over the Gaussians of its aligned
senone gives the statistics, and each row of the transform is a weighted least-squares solve (one global regression
class, the three 13-dimensional streams of the model's `1s_c_d_dd` features transformed apart, as the model's
svspec splits them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pocketsphinx
from threadpoolctl import ThreadpoolController

from gateway.speech.embedded.pronunciation import MODEL_DIR

ACOUSTIC_MODEL_DIR = os.path.join(MODEL_DIR, "en-us")
CEPSTRA = 13  # cepstral coefficients per frame, and the length of each of the model's three feature streams
STREAMS = 3
_BYTE_ORDER_MAGIC = 0x11223344
# Mixture weights in `sendump` are 8-bit negative logs in base 1.0001 shifted right by 10 bits (SENSCR_SHIFT).
_MIXW_LOG_UNIT = 1024 * np.log(1.0001)
_VARIANCE_FLOOR = 1e-4  # pocketsphinx's -varfloor default


def read_gaussians(path: str) -> np.ndarray:
    """A sphinx-3 Gaussian parameter file (means or variances) as [codebook, stream, density, dimension]."""
    data = Path(path).read_bytes()
    at = data.index(b"endhdr\n") + len(b"endhdr\n")
    if struct.unpack_from("<I", data, at)[0] != _BYTE_ORDER_MAGIC:
        raise ValueError(f"{path}: not a little-endian sphinx-3 parameter file")
    at += 4
    codebooks, streams, densities = struct.unpack_from("<3i", data, at)
    at += 12
    lengths = struct.unpack_from(f"<{streams}i", data, at)
    at += 4 * streams
    if set(lengths) != {CEPSTRA}:
        raise ValueError(f"{path}: streams of {lengths} dimensions, expected {CEPSTRA} each")
    count = struct.unpack_from("<i", data, at)[0]
    at += 4
    values = np.frombuffer(data, "<f4", count, at)
    return values.reshape(codebooks, streams, densities, CEPSTRA).astype(np.float64)


def read_log_mixture_weights(path: str, streams: int, densities: int) -> np.ndarray:
    """The `sendump` file's mixture weights as natural logs, [stream, density, senone]."""
    data = Path(path).read_bytes()
    at = 0

    def next_int() -> int:
        nonlocal at
        value = int(struct.unpack_from("<i", data, at)[0])
        at += 4
        return value

    for _ in ("title", "format description"):
        length = next_int()
        at += length
    while length := next_int():  # "key value" header strings until an empty one
        line = data[at:at + length].rstrip(b"\0").decode("ascii")
        at += length
        if line.startswith("cluster_count ") and int(line.split()[1]) != 0:
            raise ValueError(f"{path}: clustered (4-bit) mixture weights are not supported")
    rows, columns = next_int(), next_int()
    if rows != densities:
        raise ValueError(f"{path}: {rows} densities, the Gaussians have {densities}")
    quantised = np.frombuffer(data, np.uint8, streams * rows * columns, at).reshape(streams, rows, columns)
    return -quantised.astype(np.float64) * _MIXW_LOG_UNIT


def ci_phone_names(mdef_path: str, count: int) -> list[str]:
    """The model's context-independent phones in codebook order (a PTM model has one codebook per phone)."""
    data = Path(mdef_path).read_bytes()
    start = data.index(b"+NSN+\0")  # the binary mdef lists them, NUL-terminated, from the first filler on
    return [name.decode("ascii") for name in data[start:].split(b"\0")[:count]]


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    """The products here are small: BLAS threads woken for them spin on afterwards, costing the adaptation a
    third more CPU (measured), so they run on the calling thread alone."""
    return _blas().limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class AcousticModel:
    means: np.ndarray  # [codebook, stream, density, dimension]
    variances: np.ndarray
    log_weights: np.ndarray  # [stream, density, senone]
    log_norms: np.ndarray  # [codebook, stream, density]: each Gaussian's log normalising constant
    codebook_of_phone: dict[str, int]
    silence: int  # the codebook of SIL, whose frames say nothing about the speaker's voice


@lru_cache(maxsize=1)
def acoustic_model() -> AcousticModel:
    means = read_gaussians(os.path.join(ACOUSTIC_MODEL_DIR, "means"))
    variances = np.maximum(read_gaussians(os.path.join(ACOUSTIC_MODEL_DIR, "variances")), _VARIANCE_FLOOR)
    weights = read_log_mixture_weights(os.path.join(ACOUSTIC_MODEL_DIR, "sendump"), means.shape[1],
                                       means.shape[2])
    phones = {name: k for k, name in enumerate(ci_phone_names(os.path.join(ACOUSTIC_MODEL_DIR, "mdef"),
                                                              means.shape[0]))}
    norms = -0.5 * np.sum(np.log(2 * np.pi * variances), axis=-1)
    return AcousticModel(means, variances, weights, norms, phones, phones["SIL"])


def read_cepstra(path: str) -> np.ndarray:
    """A sphinx MFC file (big-endian: a float count, then the frames) as [frame, coefficient]."""
    data = Path(path).read_bytes()
    count = struct.unpack_from(">i", data)[0]
    return np.frombuffer(data, ">f4", count, 4).reshape(-1, CEPSTRA).astype(np.float64)


def stream_features(cepstra: np.ndarray) -> list[np.ndarray]:
    """The model's three feature streams (`1s_c_d_dd`): the mean-normalised cepstra, their deltas
    c[t+2] - c[t-2] and second deltas (c[t+3] - c[t-1]) - (c[t+1] - c[t-3]), edges padded as sphinx pads them."""
    c = cepstra - cepstra.mean(axis=0)
    frames = c.shape[0]
    padded = np.pad(c, ((3, 3), (0, 0)), mode="edge")

    def shifted(k: int) -> np.ndarray:
        return padded[3 + k:3 + k + frames]

    return [c, shifted(2) - shifted(-2), (shifted(3) - shifted(-1)) - (shifted(1) - shifted(-3))]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the pool keys decoders by it
class ModelTransform:
    """mean' = A·mean + b and variance' = h·variance (h per dimension) for each stream: pocketsphinx's MLLR file."""

    matrices: tuple[np.ndarray, ...]
    offsets: tuple[np.ndarray, ...]
    variance_scales: tuple[np.ndarray, ...] | None = None  # None: variances as they are

    def write(self, path: str) -> None:
        lines = ["1", str(len(self.matrices))]  # one regression class, then the streams
        scales = self.variance_scales or tuple(np.ones(len(b)) for b in self.offsets)
        for matrix, offset, scale in zip(self.matrices, self.offsets, scales, strict=True):
            lines.append(str(len(offset)))
            lines += [" ".join(f"{x:.7g}" for x in row) for row in matrix]
            lines.append(" ".join(f"{x:.7g}" for x in offset))
            lines.append(" ".join(f"{x:.7g}" for x in scale))
        with open(path, "w", encoding="ascii") as out:
            out.write("\n".join(lines) + "\n")


class AdaptationStatistics:
    """What the estimate needs from a speaker's aligned turns, added up turn by turn (~65 kB).

    With diagonal covariances each output dimension i of each stream is a weighted least-squares fit over the
    extended means ξ = [1, mean]: G_i w_i = k_i, with G_i = Σ occupancy/σ²_i ξξᵀ and k_i = Σ sum_i/σ²_i ξ over every
    Gaussian, where occupancy, sum and (below) square sum are the Gaussian's posterior-weighted frame count, feature
    sum and sum of squared features. The variance scale is the frames' mean squared residual under the new means,
    in units of each Gaussian's variance: (Σ square_sum_i/σ²_i - w_i·k_i) / frames, needing one more number, q_i.
    """

    def __init__(self) -> None:
        streams = acoustic_model().means.shape[1]
        self.g = np.zeros((streams, CEPSTRA, CEPSTRA + 1, CEPSTRA + 1))
        self.k = np.zeros((streams, CEPSTRA, CEPSTRA + 1))
        self.q = np.zeros((streams, CEPSTRA))
        self.frames = 0

    def add(self, cepstra: np.ndarray, senones: np.ndarray, codebooks: np.ndarray,
            current: ModelTransform | None = None) -> None:
        """One turn: its cepstra and, per frame, the aligned senone and its codebook (-1: unaligned).

        `current` is the speaker's transform so far: the frames' posteriors are taken under the model it adapted,
        as an EM iteration would, so each turn refines the estimate rather than only adding to it."""
        self.add_streams(stream_features(cepstra), senones, codebooks, current)

    def add_streams(self, streams: list[np.ndarray], senones: np.ndarray, codebooks: np.ndarray,
                    current: ModelTransform | None = None) -> None:
        """One turn as the model's feature streams ([frame, dimension] each)."""
        with _one_blas_thread():
            self._add_streams(streams, senones, codebooks, current)

    def _add_streams(self, streams: list[np.ndarray], senones: np.ndarray, codebooks: np.ndarray,
                     current: ModelTransform | None) -> None:
        model = acoustic_model()
        codebook_count, stream_count, densities, _ = model.means.shape
        occupancy = np.zeros((codebook_count, stream_count, densities))
        sums = np.zeros(model.means.shape)
        square_sums = np.zeros(model.means.shape)
        for codebook in np.unique(codebooks):
            if codebook < 0 or codebook == model.silence:
                continue
            frames = np.nonzero(codebooks == codebook)[0]
            self.frames += len(frames)
            for s, features in enumerate(streams):
                x = features[frames]
                means, variances = model.means[codebook, s], model.variances[codebook, s]
                if current is not None:
                    means = means @ current.matrices[s].T + current.offsets[s]
                loglik = model.log_norms[codebook, s][None, :] - 0.5 * np.einsum(
                    "fdk,dk->fd", (x[:, None, :] - means[None]) ** 2, 1.0 / variances)
                loglik += model.log_weights[s][:, senones[frames]].T
                loglik -= loglik.max(axis=1, keepdims=True)
                posterior = np.exp(loglik)
                posterior /= posterior.sum(axis=1, keepdims=True)
                occupancy[codebook, s] = posterior.sum(axis=0)
                sums[codebook, s] = posterior.T @ x
                square_sums[codebook, s] = posterior.T @ (x * x)
        for s in range(stream_count):
            # only the Gaussians the turn occupied: a few hundred of the 5376
            seen = np.nonzero(occupancy[:, s].reshape(-1) > 1e-6)[0]
            means = model.means[:, s].reshape(-1, CEPSTRA)[seen]
            precisions = 1.0 / model.variances[:, s].reshape(-1, CEPSTRA)[seen]
            extended = np.hstack([np.ones((len(seen), 1)), means])
            outer = (extended[:, :, None] * extended[:, None, :]).reshape(len(seen), -1)
            weights = occupancy[:, s].reshape(-1)[seen, None] * precisions  # [Gaussian, output dimension]
            self.g[s] += (weights.T @ outer).reshape(CEPSTRA, CEPSTRA + 1, CEPSTRA + 1)
            self.k[s] += (sums[:, s].reshape(-1, CEPSTRA)[seen] * precisions).T @ extended
            self.q[s] += (square_sums[:, s].reshape(-1, CEPSTRA)[seen] * precisions).sum(axis=0)

    def estimate(self, variances: bool = False) -> ModelTransform:
        """The transform that maximises the aligned frames' likelihood under the model: of the means, and with
        `variances` of the variances too."""
        with _one_blas_thread():
            return self._estimate(variances)

    def _estimate(self, variances: bool) -> ModelTransform:
        matrices, offsets, scales = [], [], []
        for g, k, q in zip(self.g, self.k, self.q, strict=True):
            matrix, offset, scale = np.eye(CEPSTRA), np.zeros(CEPSTRA), np.ones(CEPSTRA)
            for i in range(CEPSTRA):
                row = np.concatenate([[0.0], matrix[i]])
                with contextlib.suppress(np.linalg.LinAlgError):  # too little data for this row: leave it as it was
                    row = np.linalg.solve(g[i], k[i])
                offset[i], matrix[i] = row[0], row[1:]
                if self.frames:
                    residual = (q[i] - 2 * row @ k[i] + row @ g[i] @ row) / self.frames
                    # a turn or two can misjudge the spread badly; beyond a factor of 4 is not a voice
                    scale[i] = float(np.clip(residual, 0.25, 4.0))
            matrices.append(matrix)
            offsets.append(offset)
            scales.append(scale)
        return ModelTransform(tuple(matrices), tuple(offsets), tuple(scales) if variances else None)


def aligned_frames(decoder: pocketsphinx.Decoder, transcript: str, pcm16: bytes,
                   cepstra_dir: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Force-align a turn to its transcript at the HMM-state level: (cepstra, senone per frame, codebook per frame),
    or None where it does not align.

    `decoder` must log its cepstra to `cepstra_dir` (its `mfclogdir`): they are exactly the features it aligned,
    after its warp and noise removal. The decoder is left searching with its language model again.
    """
    for stale in glob.glob(os.path.join(cepstra_dir, "*.mfc")):
        os.remove(stale)
    try:
        decoder.set_align_text(transcript)
        decoder.start_utt()
        decoder.process_raw(pcm16, False, True)
        decoder.end_utt()
        decoder.set_alignment()
        decoder.start_utt()
        decoder.process_raw(pcm16, False, True)
        decoder.end_utt()
        alignment = decoder.get_alignment()
        logged = sorted(glob.glob(os.path.join(cepstra_dir, "*.mfc")))
        if alignment is None or not logged:
            return None
        cepstra = read_cepstra(logged[-1])
        # read out now: the alignment belongs to the alignment search, which activating another one frees
        states = [(phone.name, int(state.name), state.start, state.duration)
                  for phone in alignment.phones() for state in phone]
    except (RuntimeError, ValueError, KeyError, OSError):
        return None
    finally:
        decoder.activate_search()  # the search it was built with
    codebook_of_phone = acoustic_model().codebook_of_phone
    senones = np.full(cepstra.shape[0], -1)
    codebooks = np.full(cepstra.shape[0], -1)
    for phone, senone, start, duration in states:
        senones[start:start + duration] = senone
        codebooks[start:start + duration] = codebook_of_phone.get(phone, -1)
    return cepstra, senones, codebooks
