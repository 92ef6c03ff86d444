from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Provisioning"

    def ready(self):
        # The forwarder pages' link asks are delivered through the outbox, by a sender of
        # theirs (the outbox, a lower layer, imports nothing of the forwarder pages).
        from provisioning.delivery.outbox import outbox_sender_register
        from provisioning.forwarder.asks import link_ask_deliver
        from provisioning.models.outbox import OutboxKind

        outbox_sender_register(OutboxKind.LINK_ASK, link_ask_deliver)
