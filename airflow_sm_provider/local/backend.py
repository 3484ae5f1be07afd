"""The composition root: one backend home's store, services and tuning engine.

Startup order matters: training jobs orphaned by a previous process are marked Failed first, so
the tuning engine's ``recover()`` sees them as ended trials when it resumes its searches. The
tuning engine (optuna) loads on a background thread; tuning requests wait until it is ready.
Shutdown runs the other way: the tuning engine stops launching trials, then running training
processes are stopped, then the store is closed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from airflow_sm_provider.local.arns import DEFAULT_ACCOUNT, DEFAULT_REGION, kind_of, make_arn
from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.logs.service import LogsService
from airflow_sm_provider.local.logs.streams import Streams
from airflow_sm_provider.local.registry.model_packages import ModelPackageRegistry
from airflow_sm_provider.local.registry.models import ModelRegistry
from airflow_sm_provider.local.registry.tags import Tags
from airflow_sm_provider.local.store import Store
from airflow_sm_provider.local.training.options import TrainingOptions
from airflow_sm_provider.local.training.service import TrainingService

__all__ = ["LocalBackend"]

log = logging.getLogger(__name__)


class TuningUnavailable:
    """Stands in for the tuning engine when it cannot be imported: every call says why."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise ValidationError(f"Hyperparameter tuning is unavailable in this local backend: {self.error}")

        return unavailable


def _load_tuning(store: Store, training: TrainingService) -> Any:
    try:
        from airflow_sm_provider.local.tuning import TuningService
    except ImportError as err:
        log.warning("tuning engine not available: %s", err)
        return TuningUnavailable(err)
    return TuningService(store, training)


class LocalBackend:
    """Everything behind the HTTP layer for one ``--home``.

    :param home: state directory (SQLite file, job directories, logs).
    :param region: default region for ARNs when a request carries none.
    :param account_id: account number in ARNs.
    :param stop_grace: seconds between SIGTERM and SIGKILL when stopping a job.
    :param training: instance limit, spot interruption simulator.
    """

    def __init__(
        self,
        home: Path | str,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        stop_grace: float = 5.0,
        training: TrainingOptions | None = None,
    ) -> None:
        self.home = Path(home).absolute()  # every path derived from it is absolute too
        self.region = region
        self.account_id = account_id
        self.store = Store(self.home)
        self.training = TrainingService(
            self.store, region=region, account_id=account_id, stop_grace=stop_grace, options=training
        )
        self.models = ModelRegistry(self.store, lambda r, n: make_arn(r, account_id, "model", n))
        self.model_packages = ModelPackageRegistry(
            self.store, lambda r, kind, name: make_arn(r, account_id, kind, name)
        )
        self.tags = Tags(self.store, self._arn_exists)
        # CloudWatch Logs: the training hosts' journals, found from the jobs (nothing to recover)
        streams = Streams(
            self.training.jobs_dir, self.training.describe_training_job, self.training.list_training_jobs
        )
        self.logs = LogsService(streams, account_id)
        self.training.recover()
        self.models.recover()
        self.model_packages.recover()
        self._closed = False
        # optuna takes seconds to import: load the engine in the background so the server answers
        # training requests at once; tuning requests wait for it (see ``tuning``).
        self._tuning: Any = None
        self._tuning_ready = threading.Event()
        self._tuning_loader = threading.Thread(target=self._start_tuning, name="tuning-loader", daemon=True)
        self._tuning_loader.start()

    def _start_tuning(self) -> None:
        try:
            tuning = _load_tuning(self.store, self.training)
            if not isinstance(tuning, TuningUnavailable):
                tuning.recover()
        except Exception as err:
            log.exception("tuning engine failed to start")
            tuning = TuningUnavailable(err)
        self._tuning = tuning
        self._tuning_ready.set()

    @property
    def tuning(self) -> Any:
        """The tuning engine (``TuningService``), once loaded and recovered."""
        if not self._tuning_ready.wait(timeout=120):
            raise ValidationError("The local tuning engine is still starting; retry shortly")
        return self._tuning

    def _arn_exists(self, arn: str) -> bool | None:
        kind = kind_of(arn)
        if kind == "training-job":
            return self.training.arn_exists(arn)
        if kind == "model":
            return self.models.arn_exists(arn)
        if kind in ("model-package", "model-package-group"):
            return self.model_packages.arn_exists(arn)
        return None

    def close(self) -> None:
        """Stop the tuning engine and every training process, then close the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._tuning_loader.join()
        if not isinstance(self._tuning, TuningUnavailable):
            try:
                self._tuning.close()
            except Exception:
                log.exception("tuning engine failed to close cleanly")
        self.training.close()
        self.store.close()
