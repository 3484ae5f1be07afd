"""Resources other than jobs: models (``models``) and tags on any ARN (``tags``)."""
