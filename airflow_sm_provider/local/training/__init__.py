"""Training jobs, run as local processes under the SageMaker script-mode contract.

Modules, one concept each::

    service     TrainingService: the training operations; owns records, runners, the store
    job         TrainingJob record and its allowed lifecycle transitions
    rules       what CreateTrainingJob must satisfy beyond botocore's shape
    runner      one job as an OS process: download, run, stop, upload
    scriptmode  the /opt/ml layout, environment and command line SageMaker's toolkit builds
    metrics     MetricDefinitions parsed from the job's output
    storage     s3:// and file:// locations: download, upload, pack
"""
