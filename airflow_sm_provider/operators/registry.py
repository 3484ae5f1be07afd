"""Model registry operators: register a model version, and approve or reject one.

Same names as the amazon provider's where it has them (``SageMakerRegisterModelVersionOperator``),
so migrating stays an import change; unlike it, content types and instance types are parameters,
the version carries its metrics and lineage, and a retried task never registers a second version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_sm_provider import model_registry, naming
from airflow_sm_provider.exceptions import ConfigValidationError, SageMakerProviderError
from airflow_sm_provider.hooks.mixin import SageMakerHookMixin
from airflow_sm_provider.jobs import MODEL_PACKAGE, package_result

if TYPE_CHECKING:
    from datetime import datetime

    from airflow.sdk import Context

CREATE_OPERATION = MODEL_PACKAGE.create_operation


def _validate(request: dict[str, Any], operation: str, *, local_endpoint: bool) -> None:
    from airflow_sm_provider.validation.shape import shape_problems

    problems = shape_problems(request, operation, local_endpoint=local_endpoint)
    if problems:
        error = ConfigValidationError(problems[0].field, problems[0].rule)
        error.errors = problems  # type: ignore[attr-defined]
        raise error


def _run_due(context: Context) -> datetime | None:
    """When the DAG run was due: a version this task instance created is never older."""
    run = context.get("dag_run")
    return getattr(run, "run_after", None) or getattr(run, "logical_date", None)


class SageMakerRegisterModelVersionOperator(SageMakerHookMixin, BaseOperator):
    """Register a training job's model as a new version in a model package group.

    The group is created if it does not exist. The version carries, in
    ``CustomerMetadataProperties``: the metrics (``metric:<name>``: the job's final metrics,
    overlaid by ``metrics``), the tuned hyperparameters (``hyperparameter:<name>``), the training
    job, the tuning job and its best trial (from ``tuning``), and the DAG run. With
    ``evaluation_report_uri``, ``ModelMetrics.ModelQuality.Statistics`` points at the report.

    Idempotent: the version is tagged with the task instance's identity; a retry that finds the
    version an earlier attempt registered returns it instead of registering another.

    Pushes ``return_value``: ``{"model_package_arn", "model_package_group_name",
    "model_package_version", "approval_status", "approval_description", "image",
    "model_data_url", "metrics", "customer_metadata", "training_job_name"}``.

    Migrating from the amazon provider: its parameters are accepted as they are
    (``package_group_name``, ``image_uri``, ``model_url``, ``package_desc``,
    ``package_group_desc``, ``model_approval``, ``extras``), so a version can also be registered
    from an image and artifacts without a training job. ``return_value`` is the dict above, not
    the bare ARN: read ``["model_package_arn"]``.

    :param model_package_group_name: The group (created if missing). Templated.
    :param training_job: A Completed training job's name, or the training operator's
        ``return_value`` (a dict with ``training_job_name``); optional when ``image_uri`` and
        ``model_data_url`` are given. Templated.
    :param image_uri: Inference image; defaults to the training job's image. Templated.
    :param model_data_url: Model artifacts; default the training job's. Templated.
    :param content_types: ``SupportedContentTypes``. Templated.
    :param response_types: ``SupportedResponseMIMETypes``. Templated.
    :param inference_instance_types: ``SupportedRealtimeInferenceInstanceTypes``. Templated.
    :param transform_instance_types: ``SupportedTransformInstanceTypes``. Templated.
    :param metrics: Extra metrics (e.g. holdout evaluation), ``{name: number}``. Templated.
    :param evaluation_report_uri: S3 URI of an evaluation report (JSON). Templated.
    :param tuning: The tuning operator's ``return_value``, for the lineage. Templated.
    :param approval_status: ``PendingManualApproval`` (default), ``Approved`` or ``Rejected``.
    :param model_package_description: The version's description. Templated.
    :param group_description: Description for a newly created group. Templated.
    :param customer_metadata: More ``CustomerMetadataProperties``. Templated.
    :param environment: Container environment (never logged). Templated.
    :param tags: Extra tags. Templated.
    :param extras: More CreateModelPackage members, over the ones built here (tags are merged,
        ours win). Templated.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    """

    template_fields = (
        "model_package_group_name",
        "training_job",
        "image_uri",
        "model_data_url",
        "content_types",
        "response_types",
        "inference_instance_types",
        "transform_instance_types",
        "metrics",
        "evaluation_report_uri",
        "tuning",
        "approval_status",
        "model_package_description",
        "group_description",
        "customer_metadata",
        "environment",
        "tags",
        "extras",
        "aws_conn_id",
        "region_name",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "metrics": "json",
        "tuning": "json",
        "extras": "json",
    }
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        model_package_group_name: str | None = None,
        training_job: str | dict[str, Any] | None = None,
        image_uri: str | None = None,
        model_data_url: str | None = None,
        content_types: list[str] | None = None,
        response_types: list[str] | None = None,
        inference_instance_types: list[str] | None = None,
        transform_instance_types: list[str] | None = None,
        metrics: dict[str, float] | None = None,
        evaluation_report_uri: str | None = None,
        tuning: dict[str, Any] | None = None,
        approval_status: str = "PendingManualApproval",
        model_package_description: str | None = None,
        group_description: str | None = None,
        customer_metadata: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        tags: list[dict[str, str]] | None = None,
        extras: dict[str, Any] | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        # the amazon provider's names for the same things
        package_group_name: str | None = None,
        model_url: str | None = None,
        package_desc: str | None = None,
        package_group_desc: str | None = None,
        model_approval: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        group = model_package_group_name or package_group_name
        if not group:
            raise ValueError(
                "model_package_group_name (or the amazon provider's package_group_name) is required"
            )
        self.model_package_group_name = group
        self.training_job = training_job
        self.image_uri = image_uri
        self.model_data_url = model_data_url or model_url
        if training_job is None and not (image_uri and self.model_data_url):
            raise ValueError("training_job is required unless image_uri and model_data_url are given")
        if model_approval is not None:  # the amazon provider's ApprovalStatus enum, or its value
            approval_status = str(getattr(model_approval, "value", model_approval))
        model_package_description = model_package_description or package_desc or None
        group_description = group_description or package_group_desc or None
        self.extras = extras
        self.content_types = content_types if content_types is not None else ["text/csv"]
        self.response_types = response_types if response_types is not None else ["text/csv"]
        self.inference_instance_types = inference_instance_types
        self.transform_instance_types = transform_instance_types
        self.metrics = metrics
        self.evaluation_report_uri = evaluation_report_uri
        self.tuning = tuning
        self.approval_status = approval_status
        self.model_package_description = model_package_description
        self.group_description = group_description
        self.customer_metadata = customer_metadata
        self.environment = environment
        self.tags = tags
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def _training_job_name(self) -> str | None:
        job = self.training_job
        if job is None:
            return None
        name = job.get("training_job_name") if isinstance(job, dict) else job
        if not name:
            raise ConfigValidationError("training_job", "a training job name, or a training result with one")
        return str(name)

    def build_request(self, identity: naming.TaskIdentity, job: dict[str, Any] | None) -> dict[str, Any]:
        """The CreateModelPackage request, for the Completed training job ``job`` if there is one."""
        from airflow_sm_provider.jobs import training_result

        trained = training_result(job) if job else {"final_metrics": {}, "model_artifacts": None}
        image = self.image_uri or ((job or {}).get("AlgorithmSpecification") or {}).get("TrainingImage")
        if not image:
            raise ConfigValidationError("image_uri", "required: the training job has no TrainingImage")
        container: dict[str, Any] = {
            "Image": image,
            "ModelDataUrl": self.model_data_url or trained["model_artifacts"],
        }
        if self.environment:
            container["Environment"] = dict(self.environment)
        inference: dict[str, Any] = {"Containers": [container]}
        optional = {
            "SupportedContentTypes": self.content_types,
            "SupportedResponseMIMETypes": self.response_types,
            "SupportedRealtimeInferenceInstanceTypes": self.inference_instance_types,
            "SupportedTransformInstanceTypes": self.transform_instance_types,
        }
        inference.update({key: list(value) for key, value in optional.items() if value})
        metrics = {**trained["final_metrics"], **{k: float(v) for k, v in (self.metrics or {}).items()}}
        tuning = self.tuning or {}
        best = tuning.get("best_training_job") or {}
        hyperparameters = best.get("tuned_hyperparameters") or {}
        request: dict[str, Any] = {
            "ModelPackageGroupName": self.model_package_group_name,
            "InferenceSpecification": inference,
            "ModelApprovalStatus": self.approval_status,
            "CustomerMetadataProperties": model_registry.metadata_properties(
                metrics=metrics,
                hyperparameters=hyperparameters,
                training_job_name=trained.get("training_job_name"),
                tuning_job_name=tuning.get("tuning_job_name"),
                best_trial=best.get("name"),
                identity=identity,
                extra=self.customer_metadata,
            ),
            "Tags": naming.merge_tags(
                [*(self.tags or []), *(self.extras or {}).get("Tags", [])], identity.tags()
            ),
        }
        if self.model_package_description:
            request["ModelPackageDescription"] = self.model_package_description
        if self.evaluation_report_uri:
            request["ModelMetrics"] = {
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": self.evaluation_report_uri}
                }
            }
        request.update({key: value for key, value in (self.extras or {}).items() if key != "Tags"})
        return request

    def execute(self, context: Context) -> dict[str, Any]:
        if self.approval_status not in model_registry.APPROVAL_STATUSES:
            raise ConfigValidationError(
                "approval_status",
                f"must be one of {model_registry.APPROVAL_STATUSES}, got {self.approval_status!r}",
            )
        identity = naming.TaskIdentity.from_context(context)
        name = self._training_job_name()
        group = self.model_package_group_name
        self.log.info(
            "Registering %s in model package group %s via %s",
            f"training job {name}" if name else self.model_data_url,
            group,
            self.hook.describe_target(),
        )
        job = self.hook.describe_training_job(name) if name else None
        if job is not None and job["TrainingJobStatus"] != "Completed":
            raise SageMakerProviderError(
                f"Training job {name} is {job['TrainingJobStatus']}; "
                "only a Completed job's model can be registered"
            )
        request = self.build_request(identity, job)
        _validate(request, CREATE_OPERATION, local_endpoint=not self.hook.is_aws())
        model_registry.ensure_group(self.hook, group, self.group_description, self.log)
        arn = model_registry.find_own_version(self.hook, group, identity, _run_due(context))
        if arn is not None:
            self.log.info("An earlier attempt of this task registered %s: returning it", arn)
        else:
            arn = self.hook.create_model_package(request)["ModelPackageArn"]
        result = package_result(self.hook.describe(MODEL_PACKAGE, arn))
        self.log.info(
            "Model package %s: version %s of %s, %s; metrics %s",
            arn,
            result["model_package_version"],
            group,
            result["approval_status"],
            result["metrics"],
        )
        return {**result, "training_job_name": name}


class SageMakerUpdateModelApprovalOperator(SageMakerHookMixin, BaseOperator):
    """Approve or reject a model package version, saying who or what decided.

    Pushes the version's summary (as :class:`SageMakerRegisterModelVersionOperator`, without
    ``training_job_name``) as ``return_value``.

    :param model_package_arn: The version. Templated.
    :param approval_status: ``Approved`` or ``Rejected``. Templated.
    :param approval_description: Who or what decided and why; by default names this task and DAG
        run. Templated.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    """

    template_fields = (
        "model_package_arn",
        "approval_status",
        "approval_description",
        "aws_conn_id",
        "region_name",
    )
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        model_package_arn: str,
        approval_status: str,
        approval_description: str | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_package_arn = model_package_arn
        self.approval_status = approval_status
        self.approval_description = approval_description
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def execute(self, context: Context) -> dict[str, Any]:
        if self.approval_status not in ("Approved", "Rejected"):
            raise ConfigValidationError(
                "approval_status", f"must be 'Approved' or 'Rejected', got {self.approval_status!r}"
            )
        identity = naming.TaskIdentity.from_context(context)
        description = self.approval_description or (
            f"{self.approval_status} by Airflow task {identity.dag_id}.{identity.task_id} "
            f"(run {identity.run_id})"
        )
        request = {
            "ModelPackageArn": self.model_package_arn,
            "ModelApprovalStatus": self.approval_status,
            "ApprovalDescription": description,
        }
        _validate(request, "UpdateModelPackage", local_endpoint=not self.hook.is_aws())
        before = self.hook.describe(MODEL_PACKAGE, self.model_package_arn)["ModelApprovalStatus"]
        self.hook.update_model_package(request)
        self.log.info(
            "Model package %s: %s -> %s (%s)",
            self.model_package_arn,
            before,
            self.approval_status,
            description,
        )
        return package_result(self.hook.describe(MODEL_PACKAGE, self.model_package_arn))
