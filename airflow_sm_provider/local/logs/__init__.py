"""CloudWatch Logs for the training jobs, as SageMaker writes them, on the backend's own port.

``journal`` keeps each training host's lines with the time they were read (the host's output
readers write it, see ``training/process.py``); ``streams`` names the group and streams as
SageMaker does and finds them from the training jobs; ``service`` answers DescribeLogStreams,
GetLogEvents and FilterLogEvents over the journals with bounded reads and stable tokens;
``api`` is the AWS JSON 1.1 front (``X-Amz-Target: Logs_20140328.*``, signed for ``logs``).
"""

from __future__ import annotations
