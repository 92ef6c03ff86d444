"""The SCIM 2.0 surface `/scim/v2/` (RFC 7643/7644, DESIGN §5.4): a partner's members as SCIM
Users, for the identity providers of large forwarders. See docs/scim.md."""
