"""Code the retraining DAGs share; not a DAG file (``dags/.airflowignore`` keeps it from being parsed).

Importable as ``retraining`` from every DAG file: Airflow puts the DAGs folder on ``sys.path``.

- :mod:`retraining.config`: the Airflow Variables, their local defaults and what to set on AWS;
- :mod:`retraining.data`: the data channels and the staged training code (Airflow-free);
- :mod:`retraining.model`: the metrics ``scripts/train.py`` prints, the objective, the search space;
- ``scripts/train.py``: the SageMaker script-mode entry point the jobs run.
"""
