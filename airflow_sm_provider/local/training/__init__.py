"""Training jobs, run as local processes under the SageMaker script-mode contract.

Modules, one concept each::

    service     TrainingService: the training operations; owns records, runners, the store
    job         TrainingJob record and its allowed lifecycle transitions
    rules       what CreateTrainingJob must satisfy beyond botocore's shape
    runner      one job as OS processes (one per host): download, run, stop, retry, upload
    process     one host's process: its session, output readers, failure reason
    scriptmode  the /opt/ml layout, inputs and command line of a host
    toolkit     inputdataconfig.json, resourceconfig.json and the SM_* variables
    checkpoints CheckpointConfig kept in step with S3Uri while a job runs
    artifacts   model and output data uploaded as SageMaker lays them out
    isolation   EnableNetworkIsolation through a network namespace
    options     backend-wide settings: instance limit, spot interruption simulator
    metrics     MetricDefinitions parsed from the job's output
    storage     s3:// and file:// locations: download, upload, pack
"""
