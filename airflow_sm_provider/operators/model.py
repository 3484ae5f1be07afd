"""SageMakerCreateModelOperator: register a SageMaker model from a finished training job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_sm_provider import naming
from airflow_sm_provider.exceptions import ConfigValidationError, JobNameConflictError, SageMakerProviderError
from airflow_sm_provider.hooks.mixin import SageMakerHookMixin

if TYPE_CHECKING:
    from airflow.sdk import Context


class SageMakerCreateModelOperator(SageMakerHookMixin, BaseOperator):
    """Create a SageMaker model from a Completed training job's ModelArtifacts.

    Idempotent: without ``model_name`` the name is derived from the task instance, and a retry
    that finds the model it created before returns it instead of failing on the duplicate.

    :param training_job_name: The Completed training job whose model artifacts to serve. Templated.
    :param execution_role_arn: IAM role SageMaker assumes for the model. Templated.
    :param image_uri: Inference image; defaults to the training job's image. Templated.
    :param model_name: Explicit model name (max 63). Templated.
    :param environment: Container environment (never logged). Templated.
    :param vpc_config: ``VpcConfig`` passed through as CreateModel takes it. Templated.
    :param tags: Extra tags (``[{"Key": ..., "Value": ...}]``). Templated.
    :param enable_network_isolation: Passed through to CreateModel.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    """

    template_fields = (
        "training_job_name",
        "execution_role_arn",
        "image_uri",
        "model_name",
        "environment",
        "vpc_config",
        "tags",
        "aws_conn_id",
        "region_name",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "environment": "json",
        "vpc_config": "json",
        "tags": "json",
    }
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        training_job_name: str,
        execution_role_arn: str,
        image_uri: str | None = None,
        model_name: str | None = None,
        environment: dict[str, str] | None = None,
        vpc_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        enable_network_isolation: bool = False,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.training_job_name = training_job_name
        self.execution_role_arn = execution_role_arn
        self.image_uri = image_uri
        self.model_name = model_name
        self.environment = environment
        self.vpc_config = vpc_config
        self.tags = tags
        self.enable_network_isolation = enable_network_isolation
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_sm_provider.transient import is_not_found
        from airflow_sm_provider.validation import validate_model_request

        identity = naming.TaskIdentity.from_context(context)
        name = self.model_name or naming.base_name(identity, 63)
        self.log.info("SageMaker model %s via %s", name, self.hook.describe_target())
        job = self.hook.describe_training_job(self.training_job_name)
        artifacts = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if job["TrainingJobStatus"] != "Completed" or not artifacts:
            raise SageMakerProviderError(
                f"Training job {self.training_job_name} is {job['TrainingJobStatus']} with no model "
                "artifacts; a model needs a Completed training job"
            )
        algorithm = job.get("AlgorithmSpecification") or {}
        image = self.image_uri or algorithm.get("TrainingImage")
        if not image:  # trained by an algorithm resource: its inference image is not on the job
            raise ConfigValidationError(
                "image_uri",
                f"required: training job {self.training_job_name} ran algorithm "
                f"{algorithm.get('AlgorithmName')!r} and has no TrainingImage to default to",
            )
        container: dict[str, Any] = {
            "Image": image,
            "ModelDataUrl": artifacts,
        }
        if self.environment:
            container["Environment"] = dict(self.environment)
        request: dict[str, Any] = {
            "ModelName": name,
            "PrimaryContainer": container,
            "ExecutionRoleArn": self.execution_role_arn,
            "Tags": naming.merge_tags(self.tags, identity.tags()),
            "EnableNetworkIsolation": self.enable_network_isolation,
        }
        if self.vpc_config:
            request["VpcConfig"] = dict(self.vpc_config)
        validate_model_request(request, local_endpoint=not self.hook.is_aws())

        try:
            existing = self.hook.describe_model(name)
        except Exception as err:
            if not is_not_found(err):
                raise
            arn = self.hook.create_model(request)["ModelArn"]
            self.log.info("Created SageMaker model %s (%s) from %s", name, arn, artifacts)
        else:
            if not naming.owned_by(self.hook.list_tags(existing["ModelArn"]), identity):
                raise JobNameConflictError(
                    f"A SageMaker model named {name!r} already exists and was not created by this "
                    "task instance"
                )
            arn = existing["ModelArn"]
            self.log.info("Model %s already created by an earlier attempt: reusing it", name)
        return {
            "model_name": name,
            "model_arn": arn,
            "model_data_url": artifacts,
            "image": container["Image"],
            "training_job_name": self.training_job_name,
        }
