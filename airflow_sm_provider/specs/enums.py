"""The closed sets of values SageMaker accepts, as string enums (each member equals its API value)."""

from __future__ import annotations

from enum import StrEnum


class InputMode(StrEnum):
    """How training data reaches the container."""

    FILE = "File"
    PIPE = "Pipe"
    FAST_FILE = "FastFile"


class S3DataType(StrEnum):
    """What an S3 URI of a channel points at."""

    S3_PREFIX = "S3Prefix"
    MANIFEST_FILE = "ManifestFile"
    AUGMENTED_MANIFEST_FILE = "AugmentedManifestFile"


class S3DataDistribution(StrEnum):
    """Whether every instance gets all the data or a shard of it."""

    FULLY_REPLICATED = "FullyReplicated"
    SHARDED_BY_S3_KEY = "ShardedByS3Key"


class CompressionType(StrEnum):
    """Compression of a channel's input data."""

    NONE = "None"
    GZIP = "Gzip"


class ScalingType(StrEnum):
    """How a tuning job searches a numeric range."""

    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


class ObjectiveType(StrEnum):
    """Whether the tuning objective metric is minimised or maximised."""

    MINIMIZE = "Minimize"
    MAXIMIZE = "Maximize"


class Strategy(StrEnum):
    """How a tuning job picks the hyperparameters of the next training job."""

    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    GRID = "Grid"
    HYPERBAND = "Hyperband"


class EarlyStopping(StrEnum):
    """Whether a tuning job stops training jobs that are unlikely to beat the best so far."""

    OFF = "Off"
    AUTO = "Auto"


class WarmStartType(StrEnum):
    """How a warm-started tuning job relates to its parents."""

    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    TRANSFER_LEARNING = "TransferLearning"
