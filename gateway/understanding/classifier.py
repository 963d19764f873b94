"""The intent classifier: TF-IDF over word and character n-grams, a linear support vector machine.

It reads the masked form of an utterance ("book a table for znum at zvenue tonight"), so the names and
numbers it never saw in training do not matter. Character n-grams carry it through ASR misspellings.
Training takes about a second on the repository's labelled data, so it happens at start-up instead of
shipping a pickled model; liblinear's dual solver is deterministic here.

scikit-learn fits the model. Scoring one utterance through the fitted Pipeline costs about a millisecond
of input validation and sparse-matrix plumbing, so `margins` applies the same fitted vocabularies, idf
weights and coefficients directly (equal to `decision_function`, which a test checks).

The confidence is a softmax of the one-vs-rest margins: monotonic in how clearly the best intent wins,
0..1, and cheap (Platt calibration would multiply training time for no change in the ranking).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC


class _CompiledVectorizer:
    """A fitted TfidfVectorizer (sublinear tf, l2 norm) as plain look-ups, for one text at a time."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self._analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self._index = {term: offset + int(i) for term, i in vectorizer.vocabulary_.items()}
        self._idf: dict[int, float] = {offset + int(i): float(w) for i, w in enumerate(vectorizer.idf_)}

    def weights(self, text: str) -> dict[int, float]:
        counts = Counter(self._index[t] for t in self._analyze(text) if t in self._index)
        values = {i: (1.0 + math.log(c)) * self._idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        return {i: v / norm for i, v in values.items()} if norm else {}


class IntentClassifier:
    def __init__(self, c: float = 0.5, temperature: float = 0.25) -> None:
        self._temperature = temperature
        self._words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._svm = LinearSVC(C=c, class_weight="balanced")
        self.pipeline = Pipeline([
            ("features", FeatureUnion([("words", self._words), ("chars", self._chars)])),
            ("model", self._svm),
        ])
        self.labels: list[str] = []
        self._vectorizers: list[_CompiledVectorizer] = []
        self._coef = np.zeros((0, 0))
        self._intercept = np.zeros(0)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        self.pipeline.fit(list(texts), list(labels))
        self.labels = [str(c) for c in self._svm.classes_]
        self._vectorizers = [_CompiledVectorizer(self._words, 0),
                             _CompiledVectorizer(self._chars, len(self._words.vocabulary_))]
        self._coef = np.ascontiguousarray(self._svm.coef_.T)  # features x classes: one row per present feature
        self._intercept = np.asarray(self._svm.intercept_, dtype=float)
        return self

    def margins(self, text: str) -> np.ndarray:
        """One-vs-rest decision values per label (what the fitted pipeline's decision_function returns)."""
        scores = self._intercept.copy()
        for vectorizer in self._vectorizers:
            weights = vectorizer.weights(text)
            if weights:
                rows = np.fromiter(weights.keys(), dtype=np.intp, count=len(weights))
                values = np.fromiter(weights.values(), dtype=float, count=len(weights))
                scores += values @ self._coef[rows]
        return scores

    def probabilities(self, text: str) -> np.ndarray:
        margins = self.margins(text) / self._temperature
        exp = np.exp(margins - margins.max())
        probs: np.ndarray = exp / exp.sum()
        return probs

    def predict(self, text: str) -> tuple[str, float]:
        probs = self.probabilities(text)
        best = int(np.argmax(probs))
        return self.labels[best], float(probs[best])
