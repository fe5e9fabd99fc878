"""Custom Rasa input channels, listed in ``credentials.yml`` by class path.

- ``bot.channels.web_widget.WebWidgetInput``: the web chat widget (``/webhooks/web/``)
- ``bot.channels.his.HISInput``: the hospital information system webhook (``/webhooks/his/``)

Both answer each bot message as one ``{"text", "custom"}`` object (``common.py``).
"""
