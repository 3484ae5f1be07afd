"""A minimal read-only console in the browser, served by the backend itself on its own port.

URL scheme (all ``GET``; ``<name>`` is a job name, percent-encoded as a path segment)::

    /console/                                  jobs list: tuning and training jobs, newest first
    /console/training-jobs/<name>              status, timeline, hyperparameters, metrics, log tail
    /console/training-jobs/<name>/logs         each instance's log stream (latest 1,000 lines;
                                               ``?stream=<stream>&before=<b/ token>`` pages back)
    /console/tuning-jobs/<name>                status, counters, the leaderboard (best marked), a
                                               chart of the objective in completion order

Authentication (``token``): a link carries the home's console token once as ``?token=<token>``
(any page); the console answers 303 to the same page without it and sets the token as an
``HttpOnly; SameSite=Strict`` cookie scoped to ``/console/``. Without the cookie or the token:
401. Before that the server checks the Host (DNS rebinding) and refuses any ``Origin``, as for
the API. The token is ``<home>/console-token`` (0600); :attr:`LocalServer.console_url` and
``console_token`` give them, and the connection (``LocalServer.connection()``, the
``connection`` command) carries them in its extra as ``local_console_url`` (the base URL,
ending in ``/console/``) and ``local_console_token``. A link to a page is
``<local_console_url><path>?token=<local_console_token>``, e.g.
``http://127.0.0.1:8080/console/training-jobs/my-job?token=...``.

Links Airflow shows carry ``?sig=<signature of the page's path>`` instead (``ConsoleToken.sign``:
HMAC-SHA256 of the path as sent, keyed by the token, first 40 hex digits): it opens that page
and the pages under it (``.../logs``) through a cookie scoped to that path, so the link stored in
Airflow's XCom is not a key to the whole console.

Pages are HTML rendered on the server with inline CSS and SVG (``html``, ``pages``), no script
(the Content-Security-Policy forbids any), every value HTML-escaped, never a job's
``Environment`` or anything about the request beyond what DescribeTrainingJob reports.
"""

from __future__ import annotations
