"""The forwarder pages: the completion form behind the emailed link, and the portal."""
