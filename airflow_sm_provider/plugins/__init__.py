"""The Airflow UI plugin: a SageMaker view on task instance pages.

For a tuning task the view is a leaderboard (status, trial counters, every trial with its tuned
hyperparameters, objective and duration, sortable, the best marked, a chart of the objective in
completion order with the running best); for a training task, its final metrics and the tail of
its log. It refreshes while the job runs.

Module map:

- :mod:`.sagemaker_ui`: the ``AirflowPlugin`` (cheap to import: nothing but names and a lazy app).
- :mod:`.asgi`: the app Airflow mounts, built on its first request in the api-server.
- :mod:`.app`: the FastAPI routes, and who may call them (Airflow's auth manager).
- :mod:`.lookup`: which SageMaker job a task instance ran, and on which connection (metadata DB).
- :mod:`.snapshots`: reading a job through its connection, one upstream read per job per interval.
- :mod:`.cache`: the time-bounded, single-flight cache that makes that true.
- :mod:`.leaderboard`: trials as rows: sorting, the best, the chart's points (pure).
- :mod:`.render`: HTML (Jinja2, autoescaped) and the inline SVG chart.
"""
