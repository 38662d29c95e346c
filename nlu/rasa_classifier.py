"""Rasa 3 graph component: Rasa's logistic-regression intent classifier with the knobs it hides.

Rasa 3.6's LogisticRegressionClassifier fixes C=1 and feeds raw counts. For short Vietnamese
messages, sublinear term weights (log1p), length-normalised rows and a tunable C separate the
question types better (docs/benchmarks.md). Everything else, persistence included, is Rasa's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 4.0, "max_iter": 1000}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = LogisticRegression(
            C=float(self.config["C"]),
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            class_weight="balanced",
            tol=self.config["tol"],
            random_state=self.config["random_state"],
        )

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        counts = csr_matrix(super()._create_X(messages), dtype=np.float64)
        counts.data = np.log1p(counts.data)  # a word said twice is not twice the evidence
        return normalize(counts)  # long messages do not outvote short ones
