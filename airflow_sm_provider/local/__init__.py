"""An embedded, SageMaker-compatible backend: real training processes behind the SageMaker API.

Start it with ``python -m airflow_sm_provider.local serve --port 8080 --home ./.sagemaker-local``
(or in-process with :class:`airflow_sm_provider.local.server.LocalServer`) and point any boto3
SageMaker client at it with ``endpoint_url``. It never imports Airflow, and the provider never
imports it: they talk over HTTP like any SageMaker client and service.

What it emulates
    CreateTrainingJob, DescribeTrainingJob, StopTrainingJob, ListTrainingJobs; the five
    hyperparameter tuning operations (``tuning/``, on optuna); CreateModel, DescribeModel,
    DeleteModel; the model registry (Create/Describe/List/DeleteModelPackageGroup,
    Create/Describe/List/Update/DeleteModelPackage: versioned packages only, numbered 1, 2, ...
    per group); AddTags, ListTags. Requests are validated against botocore's own service model;
    errors carry SageMaker's codes and, where SageMaker is known to differ from the obvious
    (DescribeTrainingJob on a missing job is a ValidationException), its behaviour.

    On the same port, the part of CloudWatch Logs SageMaker's training logs use (``logs/``,
    ``X-Amz-Target: Logs_20140328.*``, signed for ``logs``): DescribeLogStreams, GetLogEvents
    and FilterLogEvents over the group ``/aws/sagemaker/TrainingJobs``, one stream per instance
    named ``<TrainingJobName>/algo-<n>-<creation epoch seconds>``, each line of output an event
    timestamped when it was read, kept with the job (``<host dir>/log.events``).

    A training job is the SageMaker script-mode contract run as local processes, one per
    instance (``algo-1`` .. ``algo-N``), with the backend's Python: ``sagemaker_program`` from
    ``sagemaker_submit_directory`` (directory or ``.tar.gz``), the ``/opt/ml`` layout under
    ``<home>/jobs/<job>/``, ``inputdataconfig.json`` / ``resourceconfig.json`` and the ``SM_*``
    environment as SageMaker and its training toolkit write them, command-line hyperparameters,
    MetricDefinitions parsed from the output, model and output data uploaded to
    ``<S3OutputPath>/<job>/output/`` (archived or, with CompressionType NONE, as files),
    ``output/failure`` as FailureReason, MaxRuntimeInSeconds and MaxWaitTimeInSeconds enforced,
    checkpoints restored and synced continuously with ``CheckpointConfig.S3Uri``, managed spot
    interruptions simulated on request, RetryStrategy after a backend restart, network isolation
    in a network namespace of the process's own. SageMaker's built-in XGBoost image runs the
    ``xgboost`` library (``algorithms/``). Data, code and output locations may be ``file://``
    or ``s3://`` (any S3 endpoint boto3 is configured for, e.g. ``AWS_ENDPOINT_URL_S3``).

    State lives in SQLite under ``--home``: finished jobs, models, tags, tuning jobs and logs
    survive a restart; jobs that were running are retried if their RetryStrategy allows, else
    reported Failed (their processes are killed).

What it does not
    Run container images (a job on any image but the built-in XGBoost one needs
    ``sagemaker_program``), FileSystemDataSource or manifest S3
    data types (refused), algorithm resources (AlgorithmName, refused), VPC, warm pools,
    Debugger/Profiler rules, or anything about endpoints and inference. The README's table
    lists every field. Of CloudWatch Logs, anything but the three reads above (no filter
    patterns, no other log groups).

Console (``console/``, read-only HTML; ``GET``, ``<name>`` percent-encoded)
    ``/console/`` jobs list; ``/console/training-jobs/<name>`` status, timeline,
    hyperparameters, metrics, log tail; ``/console/training-jobs/<name>/logs`` every instance's
    stream (``?stream=&before=`` pages back); ``/console/tuning-jobs/<name>`` the leaderboard.
    A link carries the home's console token (``<home>/console-token``) once as ``?token=``;
    the console redirects to the page without it and sets an ``HttpOnly; SameSite=Strict``
    cookie. The connection carries ``local_console_url`` (``http://HOST:PORT/console/``) and
    ``local_console_token`` in its extra, so a link is
    ``<local_console_url><path>?token=<local_console_token>``.

Layout (HTTP -> handlers -> services -> records, as moto's emulators are split)
    ``server`` HTTP front and :class:`LocalServer`; ``protocol`` AWS JSON 1.1 against botocore's
    model; ``handlers`` one function per operation; ``backend`` :class:`LocalBackend`, the
    composition root; ``training/`` (service, job record, runner, host processes, script mode,
    toolkit documents, checkpoints, artifacts, isolation, options, metrics, storage, rules);
    ``algorithms/`` (built-in algorithms); ``tuning/`` (on optuna); ``registry/`` (models,
    model packages, tags); ``logs/`` (CloudWatch Logs: journals, streams, service, API);
    ``console/`` (token, HTML, pages, routing); ``listing`` the one filter, sort and page
    implementation of every List* operation; ``store`` SQLite; ``arns`` and
    ``times`` ARNs and UTC helpers; ``errors`` the AWS-coded exceptions; ``auth`` (SigV4
    checked with botocore's signer), ``credentials`` (the access key and the connection using
    it), ``hosts`` (the Host allowlist) and ``home`` (private modes) decide who is answered;
    ``limits`` (request size, connections, timeouts, grid size), ``constraints`` (the model's
    maximums and patterns) and ``matching`` / ``regex_worker`` (metric regexes in a worker with
    a time limit) bound what a request costs; ``launcher`` is the exec wrapper every training
    process runs under, so that nothing a job starts outlives the job or the backend.

Security
    It executes the code it is asked to run, as the user running it, so who may ask is checked
    on every request: the Host header must name this server (no DNS rebinding), no request may
    come from a web page (any Origin is refused, CORS preflights get no permission), and every
    API call must carry an AWS Signature Version 4 for the backend's access key (by default
    generated into ``<home>/credentials.json``; ``python -m airflow_sm_provider.local connection``
    prints an Airflow connection for it). The console, which a browser opens and cannot sign
    for, needs the console token instead; it only reads. The home is 0700, ``state.db``, the
    credentials and the console token 0600. It binds 127.0.0.1 unless told otherwise; exposing
    it is a decision to let whoever holds the key, on that network, run code on this machine.
"""

from __future__ import annotations

__all__ = ["LocalServer"]


def __getattr__(name: str) -> object:
    # lazy, so ``python -m airflow_sm_provider.local logs`` does not load botocore's model
    if name == "LocalServer":
        from airflow_sm_provider.local.server import LocalServer

        return LocalServer
    raise AttributeError(name)
