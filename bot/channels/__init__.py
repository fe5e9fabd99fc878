"""Custom Rasa input channels, listed in ``credentials.yml`` by class path.

- ``bot.channels.web_widget.WebWidgetInput``: the web chat widget (``/webhooks/web/``)
- ``bot.channels.his.HISInput``: the hospital information system webhook (``/webhooks/his/``)
- ``bot.channels.rest.RestInput``: Rasa's REST channel, validated like the others
- ``bot.channels.health.HealthInput``: whether model, action server and graph work (``/webhooks/health/``)

The chat channels share one machinery, one job per module: ``validation`` (body, JSON,
fields, ``/intent`` neutralised), ``auth`` (bearer tokens), ``config`` (request limits
from ``credentials.yml``), ``dialogue`` (the run through Rasa and the safety net; each bot
message one ``{"text", "custom"}`` object), ``errors`` (the JSON error shape) and
``base`` (:class:`~bot.channels.base.ChatChannel`, which puts them together).

Importing the package installs :mod:`bot.rasa_patches` (Rasa's schema validation compiled once).
"""

from bot import rasa_patches

# A plain ``rasa run --credentials credentials.yml`` loads this package: it gets the fix too.
rasa_patches.install()
