"""The spec documents, installed as package data of aihubmix_mock (aihubmix_mock.openapi) so the
mock reads the very files this folder holds. Nothing to import here."""
