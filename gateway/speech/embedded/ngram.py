"""A compact interpolated Kneser-Ney n-gram estimator that writes ARPA files.

No installed library builds ARPA models, so this does it: count n-grams of
tokenised sentences, discount with the Kneser-Ney estimate D = n1 / (n1 + 2 n2)
per order, use continuation counts for the lower orders, and write the
interpolated probabilities in backoff form (the backoff weight of a context is
exactly its interpolation weight, so the ARPA model equals the interpolated one).

The unigram distribution can be mixed with an external one (`unigram_mix`),
which is how the domain model keeps a weighted general-English fallback.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

BOS = "<s>"
EOS = "</s>"
_LOG_ZERO = -99.0


@dataclass
class NGramCounts:
    order: int = 3
    # counts[n][ngram] for n = 1..order; ngram is a tuple of words
    counts: list[dict[tuple[str, ...], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [defaultdict(float) for _ in range(self.order + 1)]

    def add(self, words: Iterable[str], weight: float = 1.0) -> None:
        tokens = [BOS, *words, EOS]
        for n in range(1, self.order + 1):
            table = self.counts[n]
            for i in range(len(tokens) - n + 1):
                table[tuple(tokens[i:i + n])] += weight


@dataclass(frozen=True)
class ArpaModel:
    """Log10 probabilities and backoff weights per order, ready to serialise."""

    order: int
    # grams[n] maps an n-gram to (log10 prob, log10 backoff or None)
    grams: list[dict[tuple[str, ...], tuple[float, float | None]]]

    def to_arpa(self) -> str:
        lines = ["", "\\data\\"]
        lines += [f"ngram {n}={len(self.grams[n])}" for n in range(1, self.order + 1)]
        for n in range(1, self.order + 1):
            lines += ["", f"\\{n}-grams:"]
            for gram, (logp, bow) in sorted(self.grams[n].items()):
                text = f"{logp:.6f}\t{' '.join(gram)}"
                lines.append(text if bow is None else f"{text}\t{bow:.6f}")
        lines += ["", "\\end\\", ""]
        return "\n".join(lines)

    def prob(self, words: tuple[str, ...]) -> float:
        """log10 P(words[-1] | words[:-1]) by backoff, to check the model in tests."""
        for start in range(len(words)):
            gram = words[start:]
            if len(gram) <= self.order and gram in self.grams[len(gram)]:
                backoff = 0.0
                for s in range(start):
                    ctx = words[s:-1]
                    entry = self.grams[len(ctx)].get(ctx) if len(ctx) <= self.order else None
                    if entry is not None and entry[1] is not None:
                        backoff += entry[1]
                return self.grams[len(gram)][gram][0] + backoff
        return _LOG_ZERO


def _discount(table: Mapping[tuple[str, ...], float]) -> float:
    """Kneser-Ney discount from counts of counts, clamped to a sane range for small artificial corpora."""
    n1 = sum(1 for c in table.values() if 0.5 <= c < 1.5)
    n2 = sum(1 for c in table.values() if 1.5 <= c < 2.5)
    d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
    return min(max(d, 0.1), 0.9)


def estimate(counts: NGramCounts, unigram_mix: Mapping[str, float] | None = None,
             mix_weight: float = 0.0, min_backoff: float = 0.0) -> ArpaModel:
    """Interpolated Kneser-Ney model of `counts`.

    unigram_mix: an external unigram distribution (probabilities summing to ≤ 1) interpolated with
    weight `mix_weight` into the unigram level; its words join the vocabulary.
    min_backoff: the least interpolation weight any context gives the lower order. Kneser-Ney frees mass in
    proportion to how many distinct words follow a context against its total count, which for a corpus
    generated from patterns (thousands of fills of the same few continuations) leaves almost nothing for a
    word order the patterns never produced; the seen continuations are scaled down to make room.
    """
    if not 0.0 <= min_backoff < 1.0:
        raise ValueError(f"min_backoff must be in [0, 1), got {min_backoff}")
    order = counts.order
    # Lower orders use continuation counts (how many distinct words precede the n-gram), except
    # n-grams that start with <s>, which have no left context and keep their real counts.
    adjusted: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    adjusted[order] = dict(counts.counts[order])
    for n in range(1, order):
        cont: dict[tuple[str, ...], float] = defaultdict(float)
        for gram in counts.counts[n + 1]:
            cont[gram[1:]] += 1.0
        for gram, c in counts.counts[n].items():
            adjusted[n][gram] = c if gram[0] == BOS else cont.get(gram, c)

    # probabilities at each order as interpolated values, computed from the lowest order up
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    gammas: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]

    # unigrams: discounted continuation counts, with the freed mass spread uniformly
    uni = {g: c for g, c in adjusted[1].items() if g[0] != BOS}
    d1 = _discount(uni)
    total = sum(uni.values())
    vocab = {g[0] for g in uni}
    if unigram_mix:
        vocab |= set(unigram_mix)
    uniform = 1.0 / len(vocab)
    freed = d1 * len(uni) / total
    for w in vocab:
        p = max(uni.get((w,), 0.0) - d1, 0.0) / total + freed * uniform
        if unigram_mix and mix_weight > 0:
            p = (1.0 - mix_weight) * p + mix_weight * unigram_mix.get(w, 0.0)
        probs[1][(w,)] = p

    for n in range(2, order + 1):
        table = adjusted[n]
        d = _discount(table)
        ctx_total: dict[tuple[str, ...], float] = defaultdict(float)
        ctx_types: dict[tuple[str, ...], int] = defaultdict(int)
        for gram, c in table.items():
            ctx_total[gram[:-1]] += c
            ctx_types[gram[:-1]] += 1
        seen_scale: dict[tuple[str, ...], float] = {}
        for ctx, tot in ctx_total.items():
            gamma = d * ctx_types[ctx] / tot
            seen_scale[ctx] = (1.0 - min_backoff) / (1.0 - gamma) if gamma < min_backoff else 1.0
            gammas[n - 1][ctx] = max(gamma, min_backoff)
        for gram, c in table.items():
            ctx = gram[:-1]
            lower = _lower_prob(probs, gammas, gram[1:])
            probs[n][gram] = seen_scale[ctx] * max(c - d, 0.0) / ctx_total[ctx] + gammas[n - 1][ctx] * lower

    grams: list[dict[tuple[str, ...], tuple[float, float | None]]] = [{} for _ in range(order + 1)]
    for n in range(1, order + 1):
        for gram, p in probs[n].items():
            # contexts never followed by anything back off fully: no weight written (log10 1 = 0)
            bow = gammas[n].get(gram) if n < order else None
            grams[n][gram] = (math.log10(p) if p > 0 else _LOG_ZERO, math.log10(bow) if bow else None)
    # <s> is never predicted but is a context: ARPA wants it among the unigrams
    grams[1][(BOS,)] = (_LOG_ZERO, math.log10(gammas[1][(BOS,)]) if (BOS,) in gammas[1] else 0.0)
    return ArpaModel(order, grams)


def _lower_prob(probs: list[dict[tuple[str, ...], float]], gammas: list[dict[tuple[str, ...], float]],
                gram: tuple[str, ...]) -> float:
    """Interpolated probability of `gram` at its own order, backing off through unseen contexts."""
    n = len(gram)
    if gram in probs[n]:
        return probs[n][gram]
    if n == 1:
        return 0.0
    return gammas[n - 1].get(gram[:-1], 1.0) * _lower_prob(probs, gammas, gram[1:])
